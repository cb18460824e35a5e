/**
 * The studio with its real engine process: import a corpus, train a small model, list it,
 * generate from it, read its log, duplicate, rename and delete it. (Seconds, not minutes: a tiny
 * model and a handful of batches.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { composeStudio } from './compose';
import type { Studio } from './index';
import type { EventName } from '@shared/ipc/contract';

const ctx = { via: 'test' as const };
const TUNES = [
  'X:1\nT:Up and down\nM:6/8\nL:1/8\nK:D\n|:DEF GAB|AFD D3:|\n|:ABc dcB|AFD D3:|\n',
  'X:2\nT:Arpeggio\nM:6/8\nL:1/8\nK:D\n|:DFA dAF|DFA d3:|\n|:fed AFD|EFG A3:|\n',
  'X:3\nT:Gee\nM:6/8\nL:1/8\nK:G\n|:GAB cde|dBG G3:|\n|:gfe dcB|AGF G3:|\n',
  'X:4\nT:Steps\nM:6/8\nL:1/8\nK:G\n|:GBd gdB|GBd g3:|\n|:BAG FGA|BAG G3:|\n',
].join('\n');

let dir: string;
let studio: Studio;
const seen: { name: EventName; payload: any }[] = [];
const until = async (predicate: () => boolean, ms: number) => {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > ms) throw new Error(`timed out; events: ${seen.map((e) => e.name).join(', ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-compose-'));
  studio = await composeStudio({ mode: 'serve', userDataDir: dir, builtInModelsDir: path.join(dir, 'no-built-in') });
  studio.events.subscribe((name, payload) => seen.push({ name, payload }));
});

afterAll(async () => {
  await studio.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('studio with the engine process', () => {
  it('with no model at all, Generate says how to get one', async () => {
    const { runId } = await studio.handlers.generate({ seed: { kind: 'none' }, sampling: { temperature: 1, topK: 0, topP: 1, length: 10, count: 1 } }, ctx);
    await until(() => seen.some((e) => e.name === 'run.failed' && e.payload.runId === runId), 60_000);
    expect(seen.find((e) => e.name === 'run.failed')!.payload.error).toMatchObject({ code: 'not_found', message: expect.stringMatching(/train one/) });
  }, 90_000);

  it('imports a corpus, rejecting non-music files by name, and reports its stats', async () => {
    const corpus = await studio.handlers.createCorpus({ name: 'My jigs' }, ctx);
    await expect(async () => studio.handlers.addCorpusFiles({ corpusId: corpus.id, files: [{ name: 'notes.txt', base64: 'aGVsbG8=' }] }, ctx)).rejects.toMatchObject({ code: 'bad_input' });
    const info = await studio.handlers.addCorpusFiles({ corpusId: corpus.id, files: [{ name: '../../evil/jigs.abc', base64: Buffer.from(TUNES).toString('base64') }] }, ctx);
    expect(info.files).toEqual(['jigs.abc']);
    expect(info.stats).toMatchObject({ tunes: 4, meters: { '6/8': 4 } });
    expect((await studio.handlers.listCorpora({}, ctx)).map((c) => c.id)).toEqual([corpus.id]);
  });

  it('trains a model with live progress, then lists it, generates from it and gives its CSV log', async () => {
    const [corpus] = await studio.handlers.listCorpora({}, ctx);
    const presets = await studio.handlers.listPresets({}, ctx);
    expect(presets.map((p) => p.name)).toContain('abc-token-lstm');
    const { runId } = await studio.handlers.startTraining(
      {
        corpusId: corpus.id,
        preset: 'abc-token-lstm',
        modelId: 'jiggy',
        overrides: { model: { units: [24], embeddingSize: 8, dropout: 0 }, training: { seqLength: 12, batchSize: 4, epochs: 2 } },
      },
      ctx,
    );
    await until(() => seen.some((e) => (e.name === 'train.done' || e.name === 'run.failed') && e.payload.runId === runId), 120_000);
    expect(seen.find((e) => e.name === 'run.failed' && e.payload.runId === runId)).toBeUndefined();
    expect(seen.some((e) => e.name === 'train.started' && e.payload.runId === runId)).toBe(true);
    expect(seen.filter((e) => e.name === 'train.epoch' && e.payload.runId === runId)).toHaveLength(2);
    expect(seen.find((e) => e.name === 'train.done')!.payload).toMatchObject({ modelId: 'jiggy', stopReason: 'completed', epochs: 2 });

    const models = await studio.handlers.listModels({}, ctx);
    expect(models.map((m) => m.id)).toEqual(['jiggy']);
    const log = await studio.handlers.trainingLog({ modelId: 'jiggy' }, ctx);
    expect(log.csv.split('\n')[0]).toBe('epoch,loss,accuracy,val_loss,val_accuracy');
    expect(log.history).toHaveLength(2);

    const { runId: takeRun } = await studio.handlers.generate({ modelId: 'jiggy', seed: { kind: 'abc', text: 'X:1\nM:6/8\nL:1/8\nK:D\nDEF' }, sampling: { temperature: 1, topK: 0, topP: 1, length: 40, count: 2, rngSeed: 3 } }, ctx);
    await until(() => seen.some((e) => (e.name === 'take.done' || e.name === 'run.failed') && e.payload.runId === takeRun), 60_000);
    const done = seen.find((e) => e.name === 'take.done' && e.payload.runId === takeRun)!.payload;
    expect(done.takes).toHaveLength(2);
    expect(done.takes[0].abc).toMatch(/^X:/);

    // Key and meter constraints: an ABC model starts the tune with that header.
    const { runId: headed } = await studio.handlers.generate(
      { modelId: 'jiggy', seed: { kind: 'none' }, sampling: { temperature: 1, topK: 0, topP: 1, length: 30, count: 1, rngSeed: 4 }, constraints: { key: 'G', meter: '6/8' } },
      ctx,
    );
    await until(() => seen.some((e) => (e.name === 'take.done' || e.name === 'run.failed') && e.payload.runId === headed), 60_000);
    const headedTake = seen.find((e) => e.name === 'take.done' && e.payload.runId === headed)!.payload.takes[0];
    expect(headedTake.abc).toMatch(/M:6\/8/);
    expect(headedTake.abc).toMatch(/K:G/);
  }, 180_000);

  it('duplicates, renames and deletes models; refuses a second model of the same name', async () => {
    expect(await studio.handlers.duplicateModel({ modelId: 'jiggy', to: 'jiggy-2' }, ctx)).toMatchObject({ id: 'jiggy-2', name: 'jiggy-2' });
    await expect(studio.handlers.duplicateModel({ modelId: 'jiggy', to: 'jiggy-2' }, ctx)).rejects.toMatchObject({ code: 'busy' });
    expect(await studio.handlers.renameModel({ modelId: 'jiggy-2', to: 'reels' }, ctx)).toMatchObject({ id: 'reels' });
    await studio.handlers.deleteModel({ modelId: 'reels' }, ctx);
    expect((await studio.handlers.listModels({}, ctx)).map((m) => m.id)).toEqual(['jiggy']);
    await expect(studio.handlers.deleteModel({ modelId: 'builtin.default' }, ctx)).rejects.toMatchObject({ code: 'unsupported' });
    const [corpus] = await studio.handlers.listCorpora({}, ctx);
    await expect(studio.handlers.startTraining({ corpusId: corpus.id, preset: 'abc-token-lstm', modelId: 'jiggy', overrides: {} }, ctx)).rejects.toMatchObject({ code: 'busy' });
    await expect(studio.handlers.startTraining({ corpusId: corpus.id, preset: 'no-such-preset', modelId: 'x', overrides: {} }, ctx)).rejects.toMatchObject({ code: 'invalid_request' });
  });
  it('imports a model folder uploaded in chunks; a folder without a vocabulary is refused in words, and nothing is left behind', async () => {
    const from = path.join(dir, 'models', 'jiggy');
    const files = fs.readdirSync(from).filter((f) => /\.(json|bin)$/.test(f));
    expect(files).toContain('model.json');
    const upload = async (uploadId: string, names: string[]) => {
      for (const name of names) {
        const bytes = fs.readFileSync(path.join(from, name));
        // Three chunks per file, as the renderer sends files larger than one frame.
        const third = Math.ceil(bytes.length / 3);
        for (let i = 0; i < 3; i++) {
          const r = await studio.handlers.stageFile({ uploadId, path: `sub/${name}`, base64: bytes.subarray(i * third, (i + 1) * third).toString('base64'), append: i > 0 }, ctx);
          if (i === 2) expect(r.bytes).toBe(bytes.length);
        }
      }
    };
    await upload('up-novocab', files.filter((f) => f !== 'seedsong.json'));
    const refused = studio.handlers.importModel({ uploadId: 'up-novocab', name: 'keras-tune' }, ctx);
    await expect(refused).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(/no vocabulary/) });
    await expect(refused).rejects.toMatchObject({ message: expect.not.stringContaining(path.join(dir, 'uploads')) });

    await upload('up-complete', files);
    expect(await studio.handlers.importModel({ uploadId: 'up-complete', name: 'keras-tune' }, ctx)).toMatchObject({ id: 'keras-tune', builtIn: false });
    await expect(studio.handlers.importModel({ uploadId: 'up-complete', name: 'keras-tune' }, ctx)).rejects.toMatchObject({ code: 'not_found' });
    expect(fs.readdirSync(path.join(dir, 'uploads'))).toEqual([]);

    const { runId } = await studio.handlers.generate({ modelId: 'keras-tune', seed: { kind: 'none' }, sampling: { temperature: 1, topK: 0, topP: 1, length: 20, count: 1, rngSeed: 1 } }, ctx);
    await until(() => seen.some((e) => (e.name === 'take.done' || e.name === 'run.failed') && e.payload.runId === runId), 60_000);
    expect(seen.find((e) => e.name === 'take.done' && e.payload.runId === runId)?.payload.takes).toHaveLength(1);
    await studio.handlers.deleteModel({ modelId: 'keras-tune' }, ctx);
  }, 120_000);

  it("reports the engine process's memory", async () => {
    const m = await studio.handlers.engineMemory({}, ctx);
    expect(m.rss).toBeGreaterThan(10e6);
    expect(m.tensors).toBeGreaterThanOrEqual(0);
    expect(m.backend).toMatch(/wasm|cpu|tensorflow/);
  });

  it('in serve mode a save answers "download" and writes nothing', async () => {
    expect(await studio.handlers.saveFile({ suggestedName: 'take.mid', kind: 'mid', base64: 'TVRoZA==' }, ctx)).toEqual({ saved: false, reason: 'download' });
  });
});
