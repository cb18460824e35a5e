import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend';
import { buildModel } from './model';
import { train, type Checkpoint } from './train';
import type { ModelSpec, TrainingConfig } from './hyperparameters';
import { createStepModel } from './step';
import { sample } from './sample';
import { RunControl } from './control';

// A tiny corpus over a 6-token vocabulary (0 = bos, 1 = eos) in which the previous two tokens
// always determine the next one, so a small model can learn it exactly.
export const TUNES = [
  [0, 2, 3, 4, 5, 4, 3, 2, 5, 5, 2, 1],
  [0, 2, 3, 4, 5, 4, 3, 2, 5, 5, 2, 1],
];
const spec = (architecture: ModelSpec['architecture'] = 'lstm'): ModelSpec => ({ architecture, vocabSize: 6, embeddingSize: 8, units: [16], dropout: 0, recurrentDropout: 0, layers: 1, heads: 2, contextLength: 32 });
const cfg = (o: Partial<TrainingConfig> = {}): TrainingConfig => ({
  seqLength: 8, batchSize: 4, stride: 1, epochs: 30, optimizer: 'adam', learningRate: 0.03, lrDecay: 1, warmupSteps: 0, clipNorm: 5, loss: 'all', patience: 0,
  checkpointEveryEpochs: 0, checkpointEverySteps: 0, seed: 7, ...o,
});
const data = { train: TUNES, validation: [TUNES[0]], vocabSize: 6 };

async function weightsOf(m: tf.LayersModel): Promise<Float32Array[]> {
  return Promise.all(m.getWeights().map(async (w) => (await w.data()) as Float32Array));
}

beforeAll(async () => {
  await initBackend();
});

describe('train', () => {
  it('learns a tiny corpus, and low-temperature sampling reproduces it', async () => {
    const model = buildModel(spec(), 3);
    const events: string[] = [];
    const r = await train(model, data, { training: cfg() }, { onBatch: () => events.push('b'), onEpoch: () => events.push('e') });
    expect(r.stopReason).toBe('completed');
    expect(r.history).toHaveLength(30);
    expect(r.history[29].loss).toBeLessThan(0.15);
    expect(r.history[29].loss).toBeLessThan(r.history[0].loss);
    expect(events.filter((e) => e === 'e')).toHaveLength(30);
    const takes = await sample(createStepModel(model), { prime: [0], maxTokens: 40, eos: 1, temperature: 0 });
    expect(takes[0].tokens).toEqual(TUNES[0].slice(1, -1));
    expect(takes[0].stop).toBe('eos');
    model.dispose();
  });

  it('trains GRU and GPT models too', async () => {
    for (const arch of ['gru', 'gpt'] as const) {
      // The GPT only learns positions it was trained on, so its windows cover whole tunes.
      const model = buildModel({ ...spec(arch), embeddingSize: 16, contextLength: 11 }, 3);
      const r = await train(model, data, { training: cfg(arch === 'gpt' ? { epochs: 40, learningRate: 0.005, seqLength: 11 } : { epochs: 30, learningRate: 0.02 }) });
      expect(r.history.at(-1)!.loss, arch).toBeLessThan(0.3);
      const takes = await sample(createStepModel(model), { prime: [0], maxTokens: 40, eos: 1, temperature: 0 });
      expect(takes[0].tokens, arch).toEqual(TUNES[0].slice(1, -1));
      model.dispose();
    }
  });

  it('resuming from a checkpoint gives the same weights as an uninterrupted run (with dropout)', async () => {
    const s = { ...spec(), dropout: 0.2, units: [12, 12] };
    const c = cfg({ epochs: 3, checkpointEveryEpochs: 1 });
    const a = buildModel(s, 11);
    await train(a, data, { training: c });
    const full = await weightsOf(a);

    const b = buildModel(s, 11);
    let saved: { ck: Checkpoint; weights: tf.Tensor[] } | undefined;
    // Stop in the middle of epoch 2, after a mid-epoch checkpoint.
    const first = await train(b, data, { training: { ...c, checkpointEverySteps: 4 }, maxSteps: 6 }, {
      onCheckpoint: async (ck) => {
        saved?.weights.forEach((w) => w.dispose());
        saved = { ck, weights: ck.model.getWeights().map((w) => w.clone()) };
      },
    });
    expect(first.stopReason).toBe('steps');
    expect(saved!.ck.state.step).toBe(6);
    const resumed = buildModel(s, 99);
    resumed.setWeights(saved!.weights);
    await train(resumed, data, { training: c, resume: { state: saved!.ck.state, optimizer: saved!.ck.optimizer } });
    const after = await weightsOf(resumed);
    expect(after.length).toBe(full.length);
    after.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(full[i])));
    saved!.weights.forEach((w) => w.dispose());
    [a, b, resumed].forEach((m) => m.dispose());
  });

  it('leaves tf.memory() unchanged after training (dropout masks and optimizer slots freed)', async () => {
    for (const arch of ['lstm', 'gpt'] as const) {
      const model = buildModel({ ...spec(arch), dropout: 0.2, contextLength: 8 }, 3);
      const before = tf.memory().numTensors;
      await train(model, data, { training: cfg({ epochs: 2, checkpointEveryEpochs: 1 }) }, { onCheckpoint: async () => {} });
      expect(tf.memory().numTensors, arch).toBe(before);
      model.dispose();
    }
  });

  it('pauses, resumes and cancels between batches', async () => {
    const model = buildModel(spec(), 3);
    const control = new RunControl();
    let batches = 0;
    // Wait for state, not for time: the run says when it parks at a pause, and the third batch
    // says that resuming went on.
    const parked = new Promise<void>((resolve) => {
      control.onPausedChange = (paused) => {
        if (paused) resolve();
      };
    });
    let thirdBatch!: () => void;
    const third = new Promise<void>((resolve) => (thirdBatch = resolve));
    const run = train(model, data, { training: cfg({ epochs: 50 }), control }, {
      onBatch: () => {
        batches++;
        if (batches === 2) control.pause();
        if (batches === 3) thirdBatch();
      },
    });
    await parked;
    expect(batches).toBe(2);
    control.resume();
    await third;
    control.cancel();
    const r = await run;
    expect(r.stopReason).toBe('cancelled');
    expect(batches).toBeGreaterThan(2);
    model.dispose();
  });

  it('rejects impossible hyperparameters before any work', async () => {
    const model = buildModel(spec(), 3);
    await expect(train(model, data, { training: cfg({ seqLength: 20 }) })).rejects.toThrow(/longer than every tune/);
    await expect(train(model, data, { training: cfg({ batchSize: 1000 }) })).rejects.toThrow(/batch size 1000 is larger than the data/);
    await expect(train(model, { ...data, train: [] }, { training: cfg() })).rejects.toThrow(/no training tunes/);
    await expect(train(model, { ...data, train: [[0, 9, 1]] }, { training: cfg() })).rejects.toThrow(/outside the vocabulary/);
    expect(() => buildModel({ ...spec(), units: [0] }, 1)).toThrow(/at least 1 unit/);
    model.dispose();
  });
});
