/** The memory estimate before a model is built (issue #18 item 9): a 4096x2 LSTM is refused in words. */
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { checkModelMemory, countSpecParameters, estimateModelMemory } from './model-memory';
import { buildModel, countParameters } from './model';
import { PRESETS, modelSpecFor } from './hyperparameters';
import type { ModelSpec } from './hyperparameters';
import { runTraining } from './jobs';
import { tempDir, writeTinyCorpus } from './testing/fixtures';
import path from 'node:path';
import { existsSync } from 'node:fs';

const lstm = (units: number[], vocabSize = 90): ModelSpec => ({ architecture: 'lstm', vocabSize, embeddingSize: 256, units, dropout: 0, recurrentDropout: 0, layers: 0, heads: 0, contextLength: 0 });

describe('model memory estimate', () => {
  it('counts parameters as the built model does (LSTM, GRU, GPT)', () => {
    const specs: ModelSpec[] = [
      lstm([32, 16], 20),
      { ...lstm([24], 20), architecture: 'gru' },
      { architecture: 'gpt', vocabSize: 20, embeddingSize: 16, units: [], dropout: 0, recurrentDropout: 0, layers: 2, heads: 2, contextLength: 12 },
    ];
    for (const spec of specs) {
      const model = buildModel(spec, 1);
      expect(countSpecParameters(spec), spec.architecture).toBe(countParameters(model));
      model.dispose();
    }
  });

  it('refuses a 4096x2 LSTM before any tensor is made, saying what it would need and how to change it', () => {
    const before = tf.memory().numTensors;
    const spec = lstm([4096, 4096]);
    expect(() => checkModelMemory(spec, 'train', { batchSize: 16, seqLength: 64 }, {})).toThrowError(
      expect.objectContaining({ code: 'invalid_request', message: expect.stringMatching(/LSTM 4096x4096, 20[0-9]\.\d million parameters\) would need about [\d,]+ MB to train; the limit is 2,048 MB\. Use fewer units/) }),
    );
    expect(tf.memory().numTensors).toBe(before);
    // The limit is the user's to raise.
    expect(() => checkModelMemory(spec, 'train', { batchSize: 16, seqLength: 64 }, { SEEDSONG_MODEL_MEMORY_MB: '100000' })).not.toThrow();
    expect(() => checkModelMemory(lstm([256]), 'train', { batchSize: 16, seqLength: 64 }, { SEEDSONG_MODEL_MEMORY_MB: '1' })).toThrow(/limit is 1 MB/);
  });

  it('lets every preset train under the default limit', () => {
    for (const preset of PRESETS) {
      const spec = modelSpecFor(preset, 300);
      const e = checkModelMemory(spec, 'train', preset.training, {});
      expect(e.trainingBytes, preset.name).toBeLessThan(1024 * 1024 * 1024);
      expect(estimateModelMemory(spec).weightsBytes).toBe(e.parameters * 4);
    }
  });

  it('is checked by a training run before it builds the model (4096x2 LSTM from the CLI or the studio)', async () => {
    const dir = await tempDir();
    const corpus = await writeTinyCorpus(dir);
    const out = path.join(dir, 'huge');
    const before = tf.memory().numTensors;
    await expect(runTraining({ preset: 'abc-token-lstm', corpus: [corpus], out, overrides: { model: { units: [4096, 4096] } } })).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/would need about [\d,]+ MB to train/) });
    expect(tf.memory().numTensors).toBe(before);
    expect(existsSync(out)).toBe(false);
  });
});
