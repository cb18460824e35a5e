import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { promises as fs, existsSync } from 'node:fs';
import { initBackend } from './backend';
import { buildModel } from './model';
import { ModelLibrary, loadModel, saveModel, type ModelMeta } from './library';
import { importLayersModel } from './import';
import { runGeneration } from './jobs';
import { loadTunes } from './corpus';
import { buildEncoding, type EncodingSpec } from '@shared/music/encodings/index';
import { tempDir, writeTinyCorpus } from './testing/fixtures';

let spec: EncodingSpec;

beforeAll(async () => {
  await initBackend();
  const dir = await tempDir();
  spec = buildEncoding('abc-char', (await loadTunes([await writeTinyCorpus(dir)])).tunes).toSpec();
});

function meta(name: string): ModelMeta {
  const now = new Date().toISOString();
  return { format: 'seedsong-model', version: 1, name, createdAt: now, updatedAt: now, source: 'trained', encoding: spec, model: null, history: [], metrics: { parameters: 0 } };
}

const small = () => buildModel({ architecture: 'lstm', vocabSize: spec.tokens.length, embeddingSize: 8, units: [8], dropout: 0, recurrentDropout: 0, layers: 1, heads: 0, contextLength: 0 }, 1);

/** Writes a model the way the TensorFlow.js converter lays out a Keras model. */
async function writeConverted(dir: string, model: tf.LayersModel): Promise<void> {
  await fs.mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      await fs.writeFile(path.join(dir, 'group1-shard1of1.bin'), new Uint8Array(a.weightData as ArrayBuffer));
      const json = { format: 'layers-model', generatedBy: 'keras v2.15.0', convertedBy: 'TensorFlow.js Converter v4.22.0', modelTopology: a.modelTopology, weightsManifest: [{ paths: ['group1-shard1of1.bin'], weights: a.weightSpecs }] };
      await fs.writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

describe('model library', () => {
  it('saves, lists, loads, renames and deletes models', async () => {
    const lib = new ModelLibrary(await tempDir());
    const m = small();
    await lib.save('first', m, meta('first'));
    await lib.save('second', m, meta('second'));
    await expect(lib.save('first', m, meta('first'))).rejects.toThrow(/already exists/);
    expect((await lib.list()).map((s) => s.id)).toEqual(['first', 'second']);
    const loaded = await lib.load('first');
    const [a, b] = [m.getWeights()[0].dataSync(), loaded.model.getWeights()[0].dataSync()];
    expect(Array.from(b)).toEqual(Array.from(a));
    loaded.model.dispose();
    await lib.rename('first', 'renamed');
    await expect(lib.rename('second', 'renamed')).rejects.toThrow(/already exists/);
    expect((await lib.list()).map((s) => [s.id, s.name])).toEqual([['renamed', 'renamed'], ['second', 'second']]);
    await lib.delete('second');
    expect((await lib.list()).map((s) => s.id)).toEqual(['renamed']);
    await expect(lib.load('../etc')).rejects.toThrow(/not allowed/);
    await expect(lib.deleteCheckpoint('renamed', 'epoch-0001')).rejects.toThrow(/no checkpoint "epoch-0001"/);
    await expect(lib.delete('nothing')).rejects.toThrow(/no such file/);
    m.dispose();
  });

  it('leaves no partial folder when a save fails', async () => {
    const root = await tempDir();
    const m = small();
    m.dispose(); // saving a disposed model fails half-way
    await expect(saveModel(path.join(root, 'broken'), m, meta('broken'))).rejects.toThrow();
    expect(await fs.readdir(root)).toEqual([]);
  });
});

describe('import a converted Keras model', () => {
  it('imports with its vocabulary and generates from it', async () => {
    const root = await tempDir();
    const src = path.join(root, 'keras');
    const input = tf.input({ batchShape: [null, null], dtype: 'int32' });
    let x = tf.layers.embedding({ inputDim: spec.tokens.length, outputDim: 6 }).apply(input) as tf.SymbolicTensor;
    x = tf.layers.lstm({ units: 8, returnSequences: true, recurrentActivation: 'hardSigmoid' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dropout({ rate: 0.2 }).apply(x) as tf.SymbolicTensor;
    const out = tf.layers.dense({ units: spec.tokens.length, activation: 'softmax' }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: out });
    await writeConverted(src, model);
    model.dispose();

    await expect(importLayersModel(src, path.join(root, 'imported'))).rejects.toThrow(/has no vocabulary/);
    expect(existsSync(path.join(root, 'imported'))).toBe(false);

    await fs.writeFile(path.join(src, 'vocab.json'), JSON.stringify(spec));
    const lib = new ModelLibrary(path.join(root, 'lib'));
    await importLayersModel(src, lib.dirOf('imported'), { name: 'imported' });
    const summary = (await lib.list()).find((m) => m.id === 'imported')!;
    expect(summary).toMatchObject({ id: 'imported', source: 'imported', encoding: 'abc-char', architecture: 'imported' });
    const takes = await runGeneration({ model: summary.dir, length: 20, rngSeed: 1 });
    expect(takes[0].tokens.length).toBeGreaterThan(1);
  });

  it('rejects a model with the wrong input shape, and a bad vocabulary', async () => {
    const root = await tempDir();
    const src = path.join(root, 'dense');
    const model = tf.sequential({ layers: [tf.layers.dense({ inputShape: [8], units: spec.tokens.length, activation: 'softmax' })] });
    await writeConverted(src, model);
    model.dispose();
    await fs.writeFile(path.join(src, 'vocab.json'), JSON.stringify(spec));
    await expect(importLayersModel(src, path.join(root, 'x'))).rejects.toThrow(/wrong input shape/);
    // Tokens longer than a character could be abc-token's: the encoding must be named.
    await fs.writeFile(path.join(src, 'vocab.json'), JSON.stringify(['ab', 'cd']));
    await expect(importLayersModel(src, path.join(root, 'x'))).rejects.toThrow(/needs the encoding/);
    // Single characters are a plain character vocabulary (abc-char); this model is still refused for its shape.
    await fs.writeFile(path.join(src, 'vocab.json'), JSON.stringify(['a', 'b']));
    await expect(importLayersModel(src, path.join(root, 'x'))).rejects.toThrow(/wrong input shape/);
    expect(existsSync(path.join(root, 'x'))).toBe(false);
  });

  it('loadModel refuses a vocabulary that does not match the model', async () => {
    const root = await tempDir();
    const m = small();
    await saveModel(path.join(root, 'm'), m, { ...meta('m'), encoding: { name: 'abc-char', tokens: spec.tokens.slice(0, 5) } });
    m.dispose();
    await expect(loadModel(path.join(root, 'm'))).rejects.toThrow(/vocabulary in seedsong.json has 5/);
  });
});
