import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { buildModel } from '../model';
import { createStepModel } from '../step';
import type { ModelSpec } from '../hyperparameters';
import { explainFastSampler } from './sampler';
import { createFastStepModel } from './stepper';

tf.setBackend('cpu');

const spec = (over: Partial<ModelSpec> = {}): ModelSpec => ({ architecture: 'gpt', vocabSize: 17, embeddingSize: 16, units: [], dropout: 0.1, recurrentDropout: 0, layers: 2, heads: 2, contextLength: 12, ...over });

function maxDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

/** tfjs on the whole window: probabilities of the last position, per row. */
function windowProbs(model: tf.LayersModel, rows: number[][]): Float32Array {
  return tf.tidy(() => {
    const t = rows[0].length;
    const out = model.predict(tf.tensor2d(rows.flat(), [rows.length, t], 'int32')) as tf.Tensor3D;
    const last = tf.slice(out, [0, t - 1, 0], [rows.length, 1, out.shape[2]]);
    return tf.softmax(tf.reshape(last, [rows.length, out.shape[2]])).dataSync() as Float32Array;
  });
}

describe('fast GPT sampler with a key/value cache', () => {
  for (const c of [
    { name: 'batch 1, inside the context', model: spec(), batch: 1, steps: 10, window: undefined },
    { name: 'batch 3, the window slides (window 5)', model: spec({ embeddingSize: 32, heads: 4, layers: 3 }), batch: 3, steps: 13, window: 5 },
    { name: 'width 24 (panels padded), past the context', model: spec({ embeddingSize: 24, heads: 3, contextLength: 6 }), batch: 2, steps: 9, window: undefined },
  ]) {
    it(`gives tfjs's probabilities within 1e-5 at every step: ${c.name}`, () => {
      const model = buildModel(c.model, 4);
      const { sampler, reason } = explainFastSampler(model, { window: c.window });
      expect(reason).toBeNull();
      const ref = createStepModel(model, { tfjsOnly: true, window: c.window });
      sampler!.reset(c.batch);
      ref.reset(c.batch);
      const history: number[][] = Array.from({ length: c.batch }, () => []);
      const context = Math.min(c.model.contextLength, c.window ?? Infinity);
      let worst = 0;
      for (let s = 0; s < c.steps; s++) {
        const ids = Array.from({ length: c.batch }, (_, b) => (s * 7 + b * 5 + 3) % c.model.vocabSize);
        ids.forEach((t, b) => history[b].push(t));
        const p1 = sampler!.step(ids);
        const p2 = ref.step(ids);
        worst = Math.max(worst, maxDiff(p1, p2));
        // and the whole-window model on the same tokens
        const rows = history.map((h) => h.slice(Math.max(0, h.length - context)));
        worst = Math.max(worst, maxDiff(p1, windowProbs(model, rows)));
      }
      expect(worst).toBeLessThan(1e-5);
      sampler!.dispose();
      ref.dispose();
      model.dispose();
    });
  }

  it('is what the engine gets for a GPT when the fast path is registered, unless no cache is asked for', () => {
    const model = buildModel(spec(), 1);
    expect(createFastStepModel(model, { evenWithNativeBackend: true, window: 8 })).not.toBeNull();
    expect(createFastStepModel(model, { evenWithNativeBackend: true, kvCache: false })).toBeNull();
    const s = createFastStepModel(model, { evenWithNativeBackend: true })!;
    expect(() => s.step([1])).not.toThrow();
    expect(() => s.step([17])).toThrow(/outside the vocabulary/);
    s.dispose();
    expect(() => s.reset(1)).toThrow(/disposed/);
    model.dispose();
  });
});
