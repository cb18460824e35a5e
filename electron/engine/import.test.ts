import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { initBackend } from './backend';
import { importLayersModel } from './import';
import { loadModel, writeModelFiles } from './library';
import { tempDir } from './testing/fixtures';

/** A Keras-style char model as the seed built it: fixed batch shape, stateful LSTM, softmax Dense, ids 0..V-1 = characters. */
function kerasCharModel(vocab: number): tf.LayersModel {
  const m = tf.sequential();
  m.add(tf.layers.embedding({ inputDim: vocab, outputDim: 8, batchInputShape: [4, 6], name: 'embedding' }));
  m.add(tf.layers.lstm({ units: 8, returnSequences: true, stateful: true, recurrentActivation: 'sigmoid', name: 'lstm' }));
  m.add(tf.layers.dropout({ rate: 0.2, name: 'dropout' }));
  m.add(tf.layers.timeDistributed({ layer: tf.layers.dense({ units: vocab }), name: 'time_distributed' }));
  m.add(tf.layers.activation({ activation: 'softmax', name: 'activation' }));
  return m;
}

beforeAll(async () => {
  await initBackend();
});

describe('import', () => {
  it('accepts a plain character vocabulary (ids 0..V-1 are characters): <s>, </s> go in front and the model predicts the same characters', async () => {
    const dir = await tempDir();
    const chars = ['\n', ' ', '|', 'A', 'B', 'C', 'D', 'K', 'X', ':', '1'];
    const keras = kerasCharModel(chars.length);
    await writeModelFiles(path.join(dir, 'keras'), keras, 'group1-shard1of1.bin');
    // As the seed saved it: a character-to-index table.
    await fs.writeFile(path.join(dir, 'keras', 'char_to_index.json'), JSON.stringify(Object.fromEntries(chars.map((c, i) => [c, i]))));
    const meta = await importLayersModel(path.join(dir, 'keras'), path.join(dir, 'imported'));
    expect(meta.encoding.tokens).toEqual(['<s>', '</s>', ...chars]);
    const { model } = await loadModel(path.join(dir, 'imported'));
    const ids = [8, 9, 10, 0, 7, 9]; // "X:1\nK:" in the Keras ids
    const before = tf.tidy(() => (keras.predict(tf.tensor2d([ids, ids, ids, ids], [4, 6], 'int32')) as tf.Tensor).arraySync() as number[][][]);
    const after = tf.tidy(() => (model.predict(tf.tensor2d([ids.map((i) => i + 2)], [1, 6], 'int32')) as tf.Tensor).arraySync() as number[][][]);
    for (let t = 0; t < ids.length; t++) {
      expect(after[0][t][0]).toBeLessThan(1e-6);
      expect(after[0][t][1]).toBeLessThan(1e-6);
      for (let c = 0; c < chars.length; c++) expect(after[0][t][c + 2]).toBeCloseTo(before[0][t][c], 5);
    }
    keras.dispose();
    model.dispose();
  });

  it('reads a JSON list of single characters as abc-char, and refuses a character table with gaps in words', async () => {
    const dir = await tempDir();
    const chars = ['\n', 'A', 'B', '|'];
    const keras = kerasCharModel(chars.length);
    await writeModelFiles(path.join(dir, 'keras'), keras, 'weights.bin');
    await fs.writeFile(path.join(dir, 'list.json'), JSON.stringify(chars));
    const meta = await importLayersModel(path.join(dir, 'keras'), path.join(dir, 'imported'), { vocab: path.join(dir, 'list.json') });
    expect(meta.encoding).toEqual({ name: 'abc-char', tokens: ['<s>', '</s>', ...chars] });
    await fs.writeFile(path.join(dir, 'gaps.json'), JSON.stringify({ A: 0, B: 2, C: 3, D: 4 }));
    await expect(importLayersModel(path.join(dir, 'keras'), path.join(dir, 'other'), { vocab: path.join(dir, 'gaps.json') })).rejects.toThrow(/ids of a character-to-id table must be 0..3, each once; "D" has 4/);
    keras.dispose();
  });

});
