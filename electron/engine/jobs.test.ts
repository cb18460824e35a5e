import { describe, it, expect, beforeAll } from 'vitest';
import path from 'node:path';
import { initBackend } from './backend';
import { buildModel } from './model';
import { readMeta, saveModel } from './library';
import { keyPitchClasses, runGeneration, runTraining } from './jobs';
import { promises as fs } from 'node:fs';
import { buildEncoding } from '@shared/music/encodings/index';
import { TINY_ABC, tempDir } from './testing/fixtures';

beforeAll(async () => {
  await initBackend();
});

describe('key constraints', () => {
  it('reads ABC-style keys', () => {
    expect([...keyPitchClasses('D')].sort((a, b) => a - b)).toEqual([1, 2, 4, 6, 7, 9, 11]);
    expect([...keyPitchClasses('Ador')].sort((a, b) => a - b)).toEqual([0, 2, 4, 6, 7, 9, 11]);
    expect([...keyPitchClasses('F#m')].sort((a, b) => a - b)).toEqual([1, 2, 4, 6, 8, 9, 11]);
    expect(() => keyPitchClasses('H major')).toThrow(/not understood/);
  });

  it('an event model sampled with a key only plays the scale', async () => {
    const encoding = buildEncoding('melody-event', []);
    const dir = path.join(await tempDir(), 'melody');
    const model = buildModel({ architecture: 'lstm', vocabSize: encoding.tokens.length, embeddingSize: 8, units: [16], dropout: 0, recurrentDropout: 0, layers: 1, heads: 0, contextLength: 0 }, 4);
    const now = new Date().toISOString();
    await saveModel(dir, model, { format: 'seedsong-model', version: 1, name: 'melody', createdAt: now, updatedAt: now, source: 'trained', encoding: encoding.toSpec(), model: null, history: [], metrics: { parameters: 0 } });
    model.dispose();
    const free = await runGeneration({ model: dir, length: 300, rngSeed: 1, temperature: 1.5 });
    const outOfD = (pitches: number[]) => pitches.filter((p) => !keyPitchClasses('D').has(p % 12)).length;
    expect(outOfD(free[0].sequence.notes.map((n) => n.pitch))).toBeGreaterThan(0);
    const inD = await runGeneration({ model: dir, length: 300, rngSeed: 1, temperature: 1.5, header: { key: 'D' } });
    expect(inD[0].sequence.notes.length).toBeGreaterThan(0);
    expect(outOfD(inD[0].sequence.notes.map((n) => n.pitch))).toBe(0);
    await expect(runGeneration({ model: dir, length: 10, rngSeed: 1, header: { meter: '6/8' } })).rejects.toThrow(/need an ABC model/);
  });
});

describe('training on every tune (--validation 0) and stateful presets', () => {
  it('keeps no tune aside, records the fraction, and resumes with the same split; keras-stateful trains statefully with Dropout after each LSTM', async () => {
    const dir = await tempDir();
    const corpus = path.join(dir, 'tunes.abc');
    await fs.writeFile(corpus, TINY_ABC);
    const out = path.join(dir, 'model');
    const small = { units: [16, 8], embeddingSize: 8 };
    const r = await runTraining({ preset: 'keras-stateful', corpus: [corpus], out, validationFraction: 0, overrides: { model: small, training: { epochs: 1, batchSize: 2, seqLength: 16 } } });
    expect(r.bestValLoss).toBeNull();
    const meta = await readMeta(out);
    expect(meta.corpus).toMatchObject({ validationTunes: 0, trainTunes: 4, validationFraction: 0 });
    expect(meta.training).toMatchObject({ stateful: true, shuffle: true });
    expect(meta.model).toMatchObject({ dropoutPlacement: 'output', dropout: 0.2 });
    const resumed = await runTraining({ resume: true, out, epochs: 2 });
    expect(resumed.epochs).toBe(2);
    expect((await readMeta(out)).corpus).toMatchObject({ validationTunes: 0, validationFraction: 0 });
  });
});
