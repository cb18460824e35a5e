/**
 * Builds TensorFlow.js LayersModels from a ModelSpec. Every model maps token ids [batch, time] to
 * logits [batch, time, vocab] (a linear last layer; softmax is applied by the loss and the sampler),
 * so one training loop and one evaluation serve LSTM, GRU and GPT alike.
 */
import * as tf from '@tensorflow/tfjs';
import { CausalSelfAttention, LayerNorm, PositionEmbedding } from './gpt';
import { deriveSeed, Rng } from './rng';
import { validateModelSpec, type ModelSpec } from './hyperparameters';

export function buildModel(spec: ModelSpec, seed: number): tf.LayersModel {
  validateModelSpec(spec);
  const s = (label: string) => deriveSeed(seed, label) % 2147483647;
  const input = tf.input({ shape: [null], dtype: 'int32', name: 'tokens' });
  let x = tf.layers
    .embedding({ inputDim: spec.vocabSize, outputDim: spec.embeddingSize, embeddingsInitializer: tf.initializers.randomUniform({ minval: -0.05, maxval: 0.05, seed: s('embedding') }), name: 'embedding' })
    .apply(input) as tf.SymbolicTensor;

  if (spec.architecture === 'gpt') {
    const w = spec.embeddingSize;
    x = new PositionEmbedding({ contextLength: spec.contextLength, seed: s('positions'), name: 'positions' }).apply(x) as tf.SymbolicTensor;
    if (spec.dropout > 0) x = tf.layers.dropout({ rate: spec.dropout }).apply(x) as tf.SymbolicTensor;
    for (let l = 0; l < spec.layers; l++) {
      let h = new LayerNorm({ name: `block${l}_ln1` }).apply(x) as tf.SymbolicTensor;
      h = new CausalSelfAttention({ heads: spec.heads, seed: s(`attn${l}`), name: `block${l}_attention` }).apply(h) as tf.SymbolicTensor;
      if (spec.dropout > 0) h = tf.layers.dropout({ rate: spec.dropout }).apply(h) as tf.SymbolicTensor;
      x = tf.layers.add().apply([x, h]) as tf.SymbolicTensor;
      h = new LayerNorm({ name: `block${l}_ln2` }).apply(x) as tf.SymbolicTensor;
      h = tf.layers.dense({ units: 4 * w, activation: 'gelu', kernelInitializer: tf.initializers.glorotUniform({ seed: s(`mlp_in${l}`) }), name: `block${l}_mlp_in` }).apply(h) as tf.SymbolicTensor;
      h = tf.layers.dense({ units: w, kernelInitializer: tf.initializers.glorotUniform({ seed: s(`mlp_out${l}`) }), name: `block${l}_mlp_out` }).apply(h) as tf.SymbolicTensor;
      if (spec.dropout > 0) h = tf.layers.dropout({ rate: spec.dropout }).apply(h) as tf.SymbolicTensor;
      x = tf.layers.add().apply([x, h]) as tf.SymbolicTensor;
    }
    x = new LayerNorm({ name: 'final_ln' }).apply(x) as tf.SymbolicTensor;
  } else {
    // Keras's `Dropout(rate)` after each LSTM, rather than the LSTM's own dropout on its input.
    const afterEach = spec.dropoutPlacement === 'output' && spec.dropout > 0;
    spec.units.forEach((units, i) => {
      const common = {
        units,
        returnSequences: true,
        kernelInitializer: tf.initializers.glorotUniform({ seed: s(`kernel${i}`) }),
        // Replaced by orthogonalRecurrentWeights() below; tfjs's own orthogonal initializer is far
        // too slow (minutes for 2x256 on the cpu backend).
        recurrentInitializer: tf.initializers.glorotUniform({ seed: s(`recurrent${i}`) }),
        // Keras/PyTorch semantics: sigmoid gates (tfjs defaults to hardSigmoid).
        recurrentActivation: 'sigmoid' as const,
        dropout: afterEach ? 0 : spec.dropout,
        recurrentDropout: spec.recurrentDropout,
        name: `${spec.architecture}${i}`,
      };
      // unitForgetBias is set by hand in initRecurrentWeights: tfjs's own version leaks 4 tensors per layer.
      x = (spec.architecture === 'gru' ? tf.layers.gru(common) : tf.layers.lstm(common)).apply(x) as tf.SymbolicTensor;
      if (afterEach) x = tf.layers.dropout({ rate: spec.dropout, name: `dropout${i}` }).apply(x) as tf.SymbolicTensor;
    });
  }
  const logits = tf.layers
    .dense({ units: spec.vocabSize, kernelInitializer: tf.initializers.glorotUniform({ seed: s('output') }), name: 'logits' })
    .apply(x) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: logits, name: `seedsong_${spec.architecture}` });
  if (spec.architecture !== 'gpt') initRecurrentWeights(model, s('orthogonal'), 256, spec.recurrentInitializer ?? 'orthogonal');
  return model;
}

/**
 * Keras-style initial recurrent weights: orthogonal recurrent matrices and, for LSTMs, a forget
 * gate bias of 1 (unit_forget_bias), which lets gradients through long tunes early in training.
 * Sets each gate's recurrent matrix to a random orthogonal one (as Keras does), computed with a
 * modified Gram-Schmidt in Float64 from our seeded RNG. Per gate block (units x units), not over
 * the whole [units, 4*units] matrix, so the cost stays units^3 per gate: ~0.15 s per layer at 256 units (1 s at 512, hence the cap).
 * Above 256 units it keeps the glorot-uniform matrix, which trains fine and costs nothing.
 */
export type OrthogonalInitializer = (rows: number, cols: number, seed: number) => Float32Array | null;
let fastOrthogonal: OrthogonalInitializer | undefined;

/**
 * A faster orthogonal initializer (fast/: SIMD Gram-Schmidt) for layers above the JS cap; it may
 * decline (null). Layers up to the cap always use the JS one, so their weights do not depend on
 * whether the fast path is present.
 */
export function registerOrthogonalInitializer(f: OrthogonalInitializer | undefined): void {
  fastOrthogonal = f;
}

export function initRecurrentWeights(model: tf.LayersModel, seed: number, maxUnits = 256, initializer: 'orthogonal' | 'glorot-uniform' = 'orthogonal'): void {
  // glorot-uniform keeps the layer's initial matrix (tf.layers' glorotUniform, seeded above).
  if (initializer === 'glorot-uniform') maxUnits = 0;
  const rng = new Rng(seed);
  let layerIndex = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    if (cls !== 'LSTM' && cls !== 'GRU') continue;
    const weights = layer.getWeights();
    const recurrent = weights[1];
    const [units, total] = recurrent.shape;
    const replaced: tf.Tensor[] = [];
    let next = weights.slice();
    const big = initializer === 'orthogonal' && units > maxUnits && fastOrthogonal ? fastOrthogonal(units, total, deriveSeed(seed, 'orthogonal', layerIndex)) : null;
    layerIndex++;
    if (big) {
      // Keras semantics over the whole [units, gates * units] matrix (orthonormal rows).
      next[1] = tf.tensor2d(big, [units, total]);
      replaced.push(next[1]);
    } else if (units <= maxUnits) {
      const gates = total / units;
      const out = new Float32Array(units * total);
      for (let g = 0; g < gates; g++) {
        const q = randomOrthogonal(units, rng);
        for (let r = 0; r < units; r++) for (let c = 0; c < units; c++) out[r * total + g * units + c] = q[r * units + c];
      }
      next[1] = tf.tensor2d(out, [units, total]);
      replaced.push(next[1]);
    }
    if (cls === 'LSTM' && weights[2]) {
      const bias = new Float32Array(total);
      bias.fill(1, units, 2 * units); // gate order i, f, c, o
      next[2] = tf.tensor1d(bias);
      replaced.push(next[2]);
    }
    layer.setWeights(next);
    tf.dispose(replaced);
    next = [];
  }
}

function randomOrthogonal(n: number, rng: Rng): Float64Array {
  const a = new Float64Array(n * n);
  // Box-Muller normals: a Gaussian matrix's Q factor is Haar-distributed.
  for (let i = 0; i < n * n; i += 2) {
    const u = Math.max(rng.next(), 1e-300);
    const v = rng.next();
    const r = Math.sqrt(-2 * Math.log(u));
    a[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n * n) a[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  // Rows are orthonormalised (row-major makes the inner loops contiguous).
  for (let i = 0; i < n; i++) {
    const ri = i * n;
    for (let j = 0; j < i; j++) {
      const rj = j * n;
      let dot = 0;
      for (let k = 0; k < n; k++) dot += a[ri + k] * a[rj + k];
      for (let k = 0; k < n; k++) a[ri + k] -= dot * a[rj + k];
    }
    let norm = 0;
    for (let k = 0; k < n; k++) norm += a[ri + k] * a[ri + k];
    norm = Math.sqrt(norm) || 1;
    for (let k = 0; k < n; k++) a[ri + k] /= norm;
  }
  return a;
}

/** Number of trainable parameters, for the studio and the CLI summary. */
export function countParameters(model: tf.LayersModel): number {
  return model.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => (a ?? 0) * (b ?? 0), 1)!, 0);
}

/**
 * Log-probabilities [batch, time, vocab] from a model's output. Our models end in logits; a Keras
 * model imported from elsewhere usually ends in softmax, so its output is logged instead.
 */
export function outputIsProbabilities(model: tf.LayersModel): boolean {
  const last = model.layers[model.layers.length - 1];
  const cfg = last.getConfig() as { activation?: string; layer?: { config?: { activation?: string } } };
  const act = cfg.activation ?? cfg.layer?.config?.activation;
  return act === 'softmax' || last.getClassName() === 'Softmax' || (last.getClassName() === 'Activation' && act === 'softmax');
}

export function logProbabilities(model: tf.LayersModel, out: tf.Tensor, probs = outputIsProbabilities(model)): tf.Tensor {
  return probs ? tf.log(tf.clipByValue(out, 1e-12, 1)) : tf.logSoftmax(out);
}
