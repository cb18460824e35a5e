/**
 * The fast path inside the engine's own train() and sample(): the same tiny-corpus checks the
 * engine runs on tfjs, with the fast stepper plugged in through train()'s `stepper` option and the
 * fast StepModel through registerStepModelFactory.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../backend';
import { buildModel } from '../model';
import { train, TfjsBatchStepper, type BatchStepper, type Checkpoint } from '../train';
import type { ModelSpec, TrainingConfig } from '../hyperparameters';
import { createStepModel, registerStepModelFactory } from '../step';
import { sample } from '../sample';
import { createFastStepModel, fastStepperOr } from './stepper';

const TUNES = [
  [0, 2, 3, 4, 5, 4, 3, 2, 5, 5, 2, 1],
  [0, 2, 3, 4, 5, 4, 3, 2, 5, 5, 2, 1],
];
const data = { train: TUNES, validation: [TUNES[0]], vocabSize: 6 };
const spec = (o: Partial<ModelSpec> = {}): ModelSpec => ({ architecture: 'lstm', vocabSize: 6, embeddingSize: 8, units: [16], dropout: 0, recurrentDropout: 0, layers: 1, heads: 2, contextLength: 32, ...o });
const cfg = (o: Partial<TrainingConfig> = {}): TrainingConfig => ({
  seqLength: 8, batchSize: 4, stride: 1, epochs: 30, optimizer: 'adam', learningRate: 0.03, lrDecay: 1, warmupSteps: 0, clipNorm: 5, loss: 'all', patience: 0,
  checkpointEveryEpochs: 0, checkpointEverySteps: 0, seed: 7, ...o,
});

let used = 0;
const stepper = (m: tf.LayersModel, c: TrainingConfig): BatchStepper => {
  const s = fastStepperOr((mm, cc) => new TfjsBatchStepper(mm, cc), { evenWithNativeBackend: true, threads: 2 })(m, c);
  if (!(s instanceof TfjsBatchStepper)) used++;
  return s;
};
let unregister: () => void;

beforeAll(async () => {
  await initBackend();
  unregister = registerStepModelFactory((m) => createFastStepModel(m, { evenWithNativeBackend: true }));
});
afterAll(() => unregister());

async function weightsOf(m: tf.LayersModel): Promise<Float32Array[]> {
  return Promise.all(m.getWeights().map(async (w) => (await w.data()) as Float32Array));
}

describe('fast path in the engine', () => {
  it('train() learns the tiny corpus and the fast sampler reproduces it', async () => {
    const model = buildModel(spec(), 3);
    used = 0;
    const r = await train(model, data, { training: cfg(), stepper });
    expect(used).toBe(1);
    expect(r.history.at(-1)!.loss).toBeLessThan(0.15);
    expect(r.history.at(-1)!.val_loss).not.toBeNull();
    const step = createStepModel(model);
    expect(step.constructor.name).not.toMatch(/^Tf/);
    const takes = await sample(step, { prime: [0], maxTokens: 40, eos: 1, temperature: 0 });
    expect(takes[0].tokens).toEqual(TUNES[0].slice(1, -1));
    // the same RNG seed gives the same takes from the fast and the tfjs step models
    const opts = { prime: [0, 2], maxTokens: 30, count: 3, temperature: 1.2, rngSeed: 5 };
    const fastTakes = await sample(createStepModel(model), opts);
    const tfTakes = await sample(createStepModel(model, { tfjsOnly: true }), opts);
    expect(fastTakes.map((t) => t.tokens)).toEqual(tfTakes.map((t) => t.tokens));
    model.dispose();
  });

  it('a run resumed from a mid-epoch checkpoint ends with the same weights (input dropout on)', async () => {
    const s = spec({ dropout: 0.2, units: [16, 8] });
    const c = cfg({ epochs: 3, checkpointEveryEpochs: 1 });
    const a = buildModel(s, 11);
    await train(a, data, { training: c, stepper });
    const full = await weightsOf(a);

    const b = buildModel(s, 11);
    let saved: { ck: Checkpoint; weights: tf.Tensor[] } | undefined;
    const first = await train(b, data, { training: { ...c, checkpointEverySteps: 4 }, maxSteps: 6, stepper }, {
      onCheckpoint: async (ck) => {
        saved?.weights.forEach((w) => w.dispose());
        saved = { ck, weights: ck.model.getWeights().map((w) => w.clone()) };
      },
    });
    expect(first.stopReason).toBe('steps');
    const resumed = buildModel(s, 99);
    resumed.setWeights(saved!.weights);
    await train(resumed, data, { training: c, resume: { state: saved!.ck.state, optimizer: saved!.ck.optimizer }, stepper });
    const after = await weightsOf(resumed);
    after.forEach((w, i) => expect(Array.from(w)).toEqual(Array.from(full[i])));
    saved!.weights.forEach((w) => w.dispose());
    [a, b, resumed].forEach((m) => m.dispose());
  });
});
