/**
 * How much memory a model will need, estimated from its hyperparameters before it is built, so a
 * 4096x2 LSTM (1.5 GB and more) is refused with a clear message instead of taking the machine's
 * memory. The limit is SEEDSONG_MODEL_MEMORY_MB (default 2048).
 *
 * Training holds the weights, their gradients and two Adam slots (4 copies), plus the activations
 * kept for backpropagation through time: per recurrent layer and step about 10 x units floats
 * (4 gates, cell, hidden state, their inputs), per GPT block the attention matrices (heads x t x t)
 * and about 12 x width floats, and 3 x vocabulary floats of logits per step. Generation holds the
 * weights once. These are estimates: the figure is meant to catch models an order of magnitude too
 * large, not to be exact.
 */
import { EngineError, HyperparameterError } from './errors';
import type { ModelSpec, TrainingConfig } from './hyperparameters';

export const DEFAULT_MODEL_MEMORY_MB = 2048;
const FLOAT = 4;
const MB = 1024 * 1024;

export function countSpecParameters(spec: ModelSpec): number {
  const v = spec.vocabSize;
  const e = spec.embeddingSize;
  let p = v * e;
  if (spec.architecture === 'gpt') {
    const w = e;
    p += spec.contextLength * w;
    // LN1, qkv, out, LN2, mlp in and out
    p += spec.layers * (2 * w + (3 * w * w + 3 * w) + (w * w + w) + 2 * w + (4 * w * w + 4 * w) + (4 * w * w + w));
    p += 2 * w + w * v + v;
    return p;
  }
  const gates = spec.architecture === 'gru' ? 3 : 4;
  let input = e;
  for (const u of spec.units) {
    p += gates * (input * u + u * u + u);
    input = u;
  }
  return p + input * v + v;
}

export interface MemoryEstimate {
  parameters: number;
  weightsBytes: number;
  /** Training: weights, gradients, optimizer slots and activations. */
  trainingBytes: number;
}

export function estimateModelMemory(spec: ModelSpec, training?: Pick<TrainingConfig, 'batchSize' | 'seqLength'>): MemoryEstimate {
  const parameters = countSpecParameters(spec);
  const weightsBytes = parameters * FLOAT;
  const b = training?.batchSize ?? 1;
  const t = training?.seqLength ?? 1;
  let perStep: number;
  if (spec.architecture === 'gpt') {
    perStep = spec.layers * (12 * spec.embeddingSize + spec.heads * t * 2);
  } else {
    perStep = spec.units.reduce((n, u) => n + 10 * u, 0);
  }
  perStep += spec.embeddingSize + 3 * spec.vocabSize;
  const activationBytes = b * t * perStep * FLOAT;
  return { parameters, weightsBytes, trainingBytes: 4 * weightsBytes + activationBytes };
}

export function modelMemoryLimitMb(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.SEEDSONG_MODEL_MEMORY_MB;
  const n = raw === undefined || raw === '' ? NaN : Number(raw);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_MODEL_MEMORY_MB;
}

function describe(spec: ModelSpec): string {
  if (spec.architecture === 'gpt') return `GPT ${spec.layers} blocks of width ${spec.embeddingSize}`;
  return `${spec.architecture.toUpperCase()} ${spec.units.join('x')}`;
}

/**
 * Refuses a model whose estimate is over the limit, before any tensor is made. `what` is the work:
 * 'train' (weights, gradients, optimizer, activations) or 'generate' (the weights).
 */
export function checkModelMemory(spec: ModelSpec, what: 'train' | 'generate', training?: Pick<TrainingConfig, 'batchSize' | 'seqLength'>, env: NodeJS.ProcessEnv = process.env): MemoryEstimate {
  const estimate = estimateModelMemory(spec, training);
  const limit = modelMemoryLimitMb(env);
  const bytes = what === 'train' ? estimate.trainingBytes : estimate.weightsBytes;
  if (bytes > limit * MB) {
    const mb = Math.ceil(bytes / MB);
    throw new HyperparameterError(`this model (${describe(spec)}, ${(estimate.parameters / 1e6).toFixed(1)} million parameters) would need about ${mb.toLocaleString('en')} MB to ${what === 'train' ? 'train' : 'load'}; the limit is ${limit.toLocaleString('en')} MB. ` +
        `Use fewer units or layers${what === 'train' ? ', or a smaller batch or sequence length' : ''}, or raise SEEDSONG_MODEL_MEMORY_MB if this machine has the memory.`,
    );
  }
  return estimate;
}
