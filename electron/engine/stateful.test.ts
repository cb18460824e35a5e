import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend';
import { buildModel } from './model';
import { StatefulRows, prepareData } from './data';
import { StatefulLstmStepper, readStatefulPlan } from './stateful';
import { TfjsBatchStepper, train } from './train';
import type { ModelSpec, TrainingConfig } from './hyperparameters';

const spec = (o: Partial<ModelSpec> = {}): ModelSpec => ({ architecture: 'lstm', vocabSize: 7, embeddingSize: 8, units: [16, 8], dropout: 0, recurrentDropout: 0, layers: 2, heads: 0, contextLength: 0, ...o });
const cfg = (o: Partial<TrainingConfig> = {}): TrainingConfig => ({
  seqLength: 5, batchSize: 2, epochs: 1, optimizer: 'adam', learningRate: 0.02, lrDecay: 1, warmupSteps: 0, clipNorm: 0, loss: 'all', patience: 0,
  checkpointEveryEpochs: 0, checkpointEverySteps: 0, seed: 3, stateful: true, ...o,
});
const tune = (n: number, k: number) => [0, ...Array.from({ length: n }, (_, i) => 2 + ((i * k) % 5)), 1];

beforeAll(async () => {
  await initBackend();
});

describe('StatefulRows', () => {
  it('cuts the stream into rows; window k+1 of a row starts where window k ended', () => {
    const tunes = [tune(20, 1), tune(17, 2), tune(23, 3)];
    const rows = new StatefulRows(tunes, 5, 2);
    const total = tunes.reduce((n, t) => n + t.length, 0);
    expect(rows.rowLength).toBe(Math.floor(total / 2));
    expect(rows.batches).toBe(Math.floor((rows.rowLength - 1) / 5));
    const stream = rows.stream(1, 0, false);
    expect(Array.from(stream)).toEqual(tunes.flat());
    const x = new Int32Array(10);
    const y = new Int32Array(10);
    const seen: number[][] = [[], []];
    for (let k = 0; k < rows.batches; k++) {
      rows.fill(stream, k, x, y);
      for (let b = 0; b < 2; b++) {
        seen[b].push(...x.subarray(b * 5, b * 5 + 5));
        expect(Array.from(y.subarray(b * 5, b * 5 + 4))).toEqual(Array.from(x.subarray(b * 5 + 1, b * 5 + 5)));
      }
    }
    expect(seen[0]).toEqual(Array.from(stream.subarray(0, rows.batches * 5)));
    expect(seen[1]).toEqual(Array.from(stream.subarray(rows.rowLength, rows.rowLength + rows.batches * 5)));
  });

  it('reorders whole tunes between epochs when shuffling, and the order depends only on (seed, epoch)', () => {
    const tunes = Array.from({ length: 8 }, (_, i) => tune(6 + i, i + 1));
    const rows = new StatefulRows(tunes, 4, 2);
    const e0 = Array.from(rows.stream(5, 0, true));
    const e1 = Array.from(rows.stream(5, 1, true));
    expect(e0).not.toEqual(e1);
    expect(Array.from(rows.stream(5, 0, true))).toEqual(e0);
    expect([...e0].sort()).toEqual([...tunes.flat()].sort());
  });

  it('refuses a batch size that leaves rows shorter than one window, naming the numbers', () => {
    expect(() => prepareData({ train: [tune(10, 1)], validation: [], vocabSize: 7 }, { seqLength: 5, batchSize: 4, loss: 'all', stateful: true })).toThrow(/12 training tokens into 4 rows of 3; a window needs 6/);
  });
});

describe('StatefulLstmStepper', () => {
  it('from zero state computes the loss the tfjs model does, and two windows with carried state equal one long window', () => {
    const model = buildModel(spec(), 5);
    const t = cfg();
    const stateful = new StatefulLstmStepper(model, t);
    const plain = new TfjsBatchStepper(model, { ...t, stateful: false });
    const seq = [0, 2, 3, 4, 5, 6, 2, 3, 1, 0, 4];
    const x = Int32Array.from(seq.slice(0, 10));
    const y = Int32Array.from(seq.slice(1, 11));
    const long = plain.evaluateBatch(x, y, 1, 10).loss;
    expect(stateful.evaluateBatch(x, y, 1, 10).loss).toBeCloseTo(long, 5);
    stateful.resetStates('evaluate');
    const a = stateful.evaluateBatch(x.subarray(0, 5), y.subarray(0, 5), 1, 5).loss;
    const b = stateful.evaluateBatch(x.subarray(5), y.subarray(5), 1, 5).loss;
    expect((a + b) / 2).toBeCloseTo(long, 5);
    // ...and differs from starting the second window afresh.
    stateful.resetStates('evaluate');
    expect(Math.abs(stateful.evaluateBatch(x.subarray(5), y.subarray(5), 1, 5).loss - b)).toBeGreaterThan(1e-4);
    stateful.dispose();
    plain.dispose();
    model.dispose();
  });

  it('builds Keras-placed dropout (a Dropout layer after each LSTM) and trains through it without leaking tensors', async () => {
    const model = buildModel(spec({ dropout: 0.2, dropoutPlacement: 'output' }), 5);
    expect(model.layers.map((l) => l.getClassName())).toEqual(['InputLayer', 'Embedding', 'LSTM', 'Dropout', 'LSTM', 'Dropout', 'Dense']);
    expect(model.layers.filter((l) => l.getClassName() === 'LSTM').map((l) => (l.getConfig() as { dropout: number }).dropout)).toEqual([0, 0]);
    const plan = readStatefulPlan(model);
    expect('ops' in plan && plan.ops.map((o) => o.kind)).toEqual(['embedding', 'lstm', 'dropout', 'lstm', 'dropout', 'dense']);
    const tunes = Array.from({ length: 6 }, () => tune(18, 1));
    const before = tf.memory().numTensors;
    const r = await train(model, { train: tunes, validation: tunes.slice(0, 4), vocabSize: 7 }, { training: cfg({ epochs: 12 }) });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.history[11].loss).toBeLessThan(r.history[0].loss * 0.6);
    expect(r.history[11].val_loss).not.toBeNull();
    model.dispose();
  });

  it('refuses GRU models in words', () => {
    const model = buildModel(spec({ architecture: 'gru' }), 5);
    expect(() => new StatefulLstmStepper(model, cfg())).toThrow(/stateful training.*GRU/);
    model.dispose();
  });
});
