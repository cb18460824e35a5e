/** A quick speed figure for `seedsong doctor`: median time of one stateful step of a 2x256 LSTM. */
import { buildModel } from './model';
import { createStepModel } from './step';

export async function measureStep(steps = 30): Promise<number> {
  const model = buildModel({ architecture: 'lstm', vocabSize: 96, embeddingSize: 64, units: [256, 256], dropout: 0, recurrentDropout: 0, layers: 2, heads: 0, contextLength: 0 }, 1);
  const step = createStepModel(model);
  try {
    step.reset(1);
    const times: number[] = [];
    for (let i = 0; i < steps + 5; i++) {
      const t0 = performance.now();
      step.step([i % 96]);
      if (i >= 5) times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  } finally {
    step.dispose();
    model.dispose();
  }
}
