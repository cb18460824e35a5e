/**
 * Hyperparameters and presets. A preset is a complete recipe (encoding, model, training); flags and
 * the studio's form override single fields. Everything is checked here, before any work starts.
 */
import { EngineError, HyperparameterError } from './errors';

export type EncodingName = 'abc-char' | 'abc-token' | 'melody-event' | 'midi-event';
export const ENCODING_NAMES: readonly EncodingName[] = ['abc-char', 'abc-token', 'melody-event', 'midi-event'];
export type Architecture = 'lstm' | 'gru' | 'gpt';

export interface ModelSpec {
  architecture: Architecture;
  /** Filled from the encoding's vocabulary when the model is built. */
  vocabSize: number;
  embeddingSize: number;
  /** LSTM/GRU: units of each recurrent layer, bottom first. */
  units: number[];
  dropout: number;
  recurrentDropout: number;
  /** GPT: decoder blocks, attention heads, and the longest context it can attend over. Width = embeddingSize. */
  layers: number;
  heads: number;
  contextLength: number;
  /**
   * LSTM/GRU: where `dropout` applies. 'input' (default): on each recurrent layer's input, one mask
   * per window (the layer's own `dropout`). 'output': a Dropout layer after each recurrent layer, a
   * fresh mask per step and unit, as a Keras model with `Dropout(0.2)` after each LSTM.
   */
  dropoutPlacement?: 'input' | 'output';
  /**
   * LSTM/GRU: initial recurrent matrices. 'orthogonal' (default, Keras's default; above 256 units
   * only where the fast path's initializer is present), 'glorot-uniform' (as the MIT lab writes it).
   */
  recurrentInitializer?: 'orthogonal' | 'glorot-uniform';
}

export type OptimizerName = 'adam' | 'rmsprop';

export interface TrainingConfig {
  seqLength: number;
  batchSize: number;
  /** Distance between window starts; defaults to seqLength (loss 'all') or 1 (loss 'last'). */
  stride?: number;
  epochs: number;
  optimizer: OptimizerName;
  learningRate: number;
  /** Learning rate multiplied by this after every epoch (1 = constant). */
  lrDecay: number;
  /** Linear warm-up over this many batches (0 = none). */
  warmupSteps: number;
  /** Clip the global gradient norm to this (0 = no clipping). */
  clipNorm: number;
  /**
   * Decoupled weight decay (AdamW, as torch.optim.AdamW): each step multiplies every matrix
   * (kernels, embeddings, position table; not biases or LayerNorm gains) by 1 - lr * weightDecay
   * before the update. Optional; absent or 0 = none.
   */
  weightDecay?: number;
  /** 'all': loss on every step of a window; 'last': only the last step, as the Melody-RNN thesis did. */
  loss: 'all' | 'last';
  /** Stop when validation loss has not improved for this many epochs (0 = never). */
  patience: number;
  /** Write a checkpoint every N epochs (plus at the best validation loss and at the end). */
  checkpointEveryEpochs: number;
  /** Also write one every N batches (0 = only at epoch ends); keeps long epochs resumable. */
  checkpointEverySteps: number;
  seed: number;
  /** Adam / RMSprop epsilon (default 1e-7, tf.keras's). */
  epsilon?: number;
  /**
   * Stateful training as a Keras `stateful=True` model: the tunes laid end to end are cut into
   * batchSize rows; batch k holds window k of every row, and each row's recurrent state carries on
   * from its previous window (gradients stop at the window edge). States start at zero each epoch.
   * LSTM models with loss 'all' only.
   */
  stateful?: boolean;
  /**
   * Shuffle between epochs (default true). Windowed training: the window order. Stateful training:
   * the order of the tunes before they are cut into rows (so within an epoch every row still runs
   * on in order).
   */
  shuffle?: boolean;
}

export interface Preset {
  name: string;
  /** Where the recipe comes from, and every way this preset differs from it. */
  description: string;
  encoding: EncodingName;
  model: Omit<ModelSpec, 'vocabSize'>;
  training: TrainingConfig;
}

const rnn = (embeddingSize: number, units: number[], dropout = 0, recurrentDropout = 0): Omit<ModelSpec, 'vocabSize'> => ({
  architecture: 'lstm',
  embeddingSize,
  units,
  dropout,
  recurrentDropout,
  layers: units.length,
  heads: 0,
  contextLength: 0,
});

const training = (t: Partial<TrainingConfig>): TrainingConfig => ({
  seqLength: 64,
  batchSize: 32,
  epochs: 20,
  optimizer: 'adam',
  learningRate: 1e-3,
  lrDecay: 1,
  warmupSteps: 0,
  clipNorm: 5,
  loss: 'all',
  patience: 0,
  checkpointEveryEpochs: 1,
  checkpointEverySteps: 0,
  seed: 1,
  ...t,
});

export const PRESETS: readonly Preset[] = [
  {
    name: 'mit-char-abc',
    description:
      'MIT 6.S191 Lab 1 (2024): ABC characters, Embedding 256 -> LSTM 1024 (glorot-uniform recurrent, sigmoid gates) -> Dense, seq 100, batch 8, Adam 5e-3, no clipping, loss on every step. ' +
      'Differs: a 50-batch linear warm-up to 5e-3 (straight at 5e-3 the loss rose above a uniform guess within 5 batches before recovering); tunes are framed by <s>/</s> instead of one joined text; windows are shuffled and each starts from zero state (the lab draws random windows into a stateful layer whose state carries over from unrelated windows); 10 epochs instead of 3000 iterations; a validation split unless --validation 0',
    encoding: 'abc-char',
    model: { ...rnn(256, [1024]), recurrentInitializer: 'glorot-uniform' },
    training: training({ seqLength: 100, batchSize: 8, learningRate: 5e-3, warmupSteps: 50, epochs: 10, clipNorm: 0 }),
  },
  {
    name: 'keras-stateful',
    description:
      'Keras stateful char model on Jigs + Hornpipes: Embedding 512 -> LSTM 256 -> Dropout 0.2 -> LSTM 128 -> Dropout 0.2 -> Dense softmax, batch 16, seq 64, stateful (each batch row continues the previous window\'s state, zeroed each epoch), Adam 1e-3, no clipping, weights every 10 epochs, CSV log. ' +
      'Differs: tunes are framed by <s>/</s> instead of blank lines; the tune order is reshuffled between epochs (rows still run on in order within one); a validation split unless --validation 0 (the seed trained on all of it)',
    encoding: 'abc-char',
    model: { ...rnn(512, [256, 128], 0.2), dropoutPlacement: 'output' },
    training: training({ seqLength: 64, batchSize: 16, epochs: 100, checkpointEveryEpochs: 10, clipNorm: 0, stateful: true, shuffle: true }),
  },
  {
    name: 'melody-rnn',
    description:
      'Melody-RNN thesis: 16th-note grid events (128 note-on, note-off, no-event; highest note of a chord), Embedding 256 -> 2x LSTM 256 -> Dense 130, seq 30, batch 64. ' +
      'Differs: loss on every step (the thesis: the last step of each window; --loss last restores it); Adam 1e-3 with gradient clipping 5',
    encoding: 'melody-event',
    model: rnn(256, [256, 256]),
    training: training({ seqLength: 30, batchSize: 64, epochs: 20 }),
  },
  {
    name: 'midi-event-lm',
    description:
      'MIDI-event language model (Performance-RNN style note-on/off, time-shift, velocity tokens): Embedding 256 -> 2x LSTM 512 (input dropout 0.1), seq 128, batch 32, Adam 1e-3, clipping 5. ' +
      'Differs from Performance-RNN: smaller (2x512 instead of 3x512), shorter windows (128 instead of 512 events)',
    encoding: 'midi-event',
    model: rnn(256, [512, 512], 0.1),
    training: training({ seqLength: 128, batchSize: 32, epochs: 20 }),
  },
  {
    name: 'abc-token-lstm',
    description:
      'folk-rnn (Sturm et al. 2016) style: ABC tokens in folk-rnn\'s factored spelling (abc-token version 2: pitch and length as separate tokens, one spelling per key, meter and bar line; chord symbols removed and counted), 3x LSTM 512 with dropout 0.5, gradient clipping 5, loss on every step. ' +
      'Differs: Adam 2e-3 with 0.97 decay per epoch and early stopping instead of RMSprop; windows of 64 tokens rather than whole tunes; an Embedding 256 rather than one-hot input',
    encoding: 'abc-token',
    model: rnn(256, [512, 512, 512], 0.5),
    training: training({ seqLength: 64, batchSize: 64, epochs: 30, learningRate: 2e-3, lrDecay: 0.97, patience: 5 }),
  },
  {
    name: 'abc-token-gpt',
    description:
      'Small GPT-style decoder (causal self-attention, pre-LayerNorm, nanoGPT-like) on ABC tokens (abc-token version 2, factored): 4 blocks, 4 heads, width 128, context 256. ' +
      'Differs from nanoGPT: Adam (no weight decay), 200-step warm-up then 0.95 decay per epoch instead of cosine',
    encoding: 'abc-token',
    model: { architecture: 'gpt', embeddingSize: 128, units: [], dropout: 0.1, recurrentDropout: 0, layers: 4, heads: 4, contextLength: 256 },
    training: training({ seqLength: 128, batchSize: 16, epochs: 30, learningRate: 1e-3, warmupSteps: 200, lrDecay: 0.95, clipNorm: 1, weightDecay: 0.1, patience: 5 }),
  },
];

export function findPreset(name: string): Preset {
  const p = PRESETS.find((x) => x.name === name);
  if (!p) throw new HyperparameterError(`unknown preset "${name}"; known presets: ${PRESETS.map((x) => x.name).join(', ')}`);
  return structuredClone(p) as Preset;
}

/** Field-level overrides, as the CLI flags and the studio form give them. */
export interface HyperparameterOverrides {
  encoding?: EncodingName;
  model?: Partial<Omit<ModelSpec, 'vocabSize'>>;
  training?: Partial<TrainingConfig>;
}

export function applyOverrides(p: Preset, o: HyperparameterOverrides): Preset {
  const out = structuredClone(p) as Preset;
  if (o.encoding) out.encoding = o.encoding;
  for (const [k, v] of Object.entries(o.model ?? {})) if (v !== undefined) (out.model as unknown as Record<string, unknown>)[k] = v;
  for (const [k, v] of Object.entries(o.training ?? {})) if (v !== undefined) (out.training as unknown as Record<string, unknown>)[k] = v;
  if (out.model.architecture !== 'gpt') out.model.layers = out.model.units.length;
  return out;
}

function check(cond: boolean, msg: string): void {
  if (!cond) throw new HyperparameterError(msg);
}
const posInt = (v: number) => Number.isInteger(v) && v > 0;

export function validateModelSpec(m: ModelSpec): void {
  check(m.dropoutPlacement === undefined || m.dropoutPlacement === 'input' || m.dropoutPlacement === 'output', `dropout placement must be "input" or "output", got "${m.dropoutPlacement}"`);
  check(m.recurrentInitializer === undefined || m.recurrentInitializer === 'orthogonal' || m.recurrentInitializer === 'glorot-uniform', `recurrent initializer must be "orthogonal" or "glorot-uniform", got "${m.recurrentInitializer}"`);
  check(['lstm', 'gru', 'gpt'].includes(m.architecture), `architecture must be lstm, gru or gpt, got "${m.architecture}"`);
  check(posInt(m.vocabSize) && m.vocabSize >= 2, `the vocabulary needs at least 2 tokens, got ${m.vocabSize}`);
  check(posInt(m.embeddingSize), `embedding size must be a whole number above 0, got ${m.embeddingSize}`);
  check(m.dropout >= 0 && m.dropout < 1, `dropout must be in [0, 1), got ${m.dropout}`);
  check(m.recurrentDropout >= 0 && m.recurrentDropout < 1, `recurrent dropout must be in [0, 1), got ${m.recurrentDropout}`);
  if (m.architecture === 'gpt') {
    check(posInt(m.layers), `a GPT model needs at least 1 layer, got ${m.layers}`);
    check(posInt(m.heads), `a GPT model needs at least 1 head, got ${m.heads}`);
    check(m.embeddingSize % m.heads === 0, `width (embedding size ${m.embeddingSize}) must be divisible by the number of heads (${m.heads})`);
    check(posInt(m.contextLength), `context length must be a whole number above 0, got ${m.contextLength}`);
  } else {
    check(m.units.length > 0, 'a recurrent model needs at least one layer (units list is empty)');
    m.units.forEach((u, i) => check(posInt(u), `layer ${i + 1} must have at least 1 unit, got ${u}`));
  }
}

export function validateTrainingConfig(t: TrainingConfig, m?: Pick<ModelSpec, 'architecture' | 'contextLength'>): void {
  check(posInt(t.seqLength), `sequence length must be a whole number above 0, got ${t.seqLength}`);
  check(posInt(t.batchSize), `batch size must be a whole number above 0, got ${t.batchSize}`);
  check(t.stride === undefined || posInt(t.stride), `stride must be a whole number above 0, got ${t.stride}`);
  check(Number.isInteger(t.epochs) && t.epochs >= 1, `epochs must be at least 1, got ${t.epochs}`);
  check(t.optimizer === 'adam' || t.optimizer === 'rmsprop', `optimizer must be adam or rmsprop, got "${t.optimizer}"`);
  check(t.learningRate > 0 && t.learningRate < 10, `learning rate must be in (0, 10), got ${t.learningRate}`);
  check(t.lrDecay > 0 && t.lrDecay <= 1, `learning-rate decay must be in (0, 1], got ${t.lrDecay}`);
  check(t.clipNorm >= 0, `clip norm must be 0 (off) or positive, got ${t.clipNorm}`);
  check(t.weightDecay === undefined || (t.weightDecay >= 0 && t.weightDecay < 1), `weight decay must be in [0, 1), got ${t.weightDecay}`);
  check(t.loss === 'all' || t.loss === 'last', `loss must be "all" or "last", got "${t.loss}"`);
  check(Number.isInteger(t.patience) && t.patience >= 0, `patience must be a whole number >= 0, got ${t.patience}`);
  check(Number.isInteger(t.seed), `seed must be a whole number, got ${t.seed}`);
  check(t.epsilon === undefined || (t.epsilon > 0 && t.epsilon < 1), `epsilon must be in (0, 1), got ${t.epsilon}`);
  if (t.stateful) {
    check(t.loss === 'all', 'stateful training needs the loss on every step (loss "all"): each window continues the last');
    check(m === undefined || m.architecture === 'lstm', `stateful training runs LSTM models, not ${m?.architecture}`);
  }
  if (m?.architecture === 'gpt') check(t.seqLength <= m.contextLength, `sequence length ${t.seqLength} is longer than the GPT context length ${m.contextLength}`);
}

export function modelSpecFor(p: Preset, vocabSize: number): ModelSpec {
  const spec: ModelSpec = { ...structuredClone(p.model), vocabSize };
  validateModelSpec(spec);
  return spec;
}
