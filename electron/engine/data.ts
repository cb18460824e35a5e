/**
 * The data pipeline: tunes (already encoded to token ids) are laid end to end in one Int32Array,
 * windows are start offsets into it, and each batch is copied out of that one array. Shuffling
 * permutes the offsets, so no epoch copies the corpus.
 */
import { EngineError, HyperparameterError } from './errors';
import { Rng, deriveSeed } from './rng';

export interface TokenData {
  /** Each tune as token ids, beginning with the encoding's bos and ending with its eos. */
  train: ArrayLike<number>[];
  validation: ArrayLike<number>[];
  vocabSize: number;
}

export class WindowSet {
  readonly stream: Int32Array;
  readonly starts: Int32Array;
  constructor(
    tunes: ArrayLike<number>[],
    readonly seqLength: number,
    stride: number,
  ) {
    const total = tunes.reduce((n, t) => n + t.length, 0);
    this.stream = new Int32Array(total);
    let o = 0;
    for (const t of tunes) {
      this.stream.set(t as ArrayLike<number>, o);
      o += t.length;
    }
    // A window is seqLength inputs plus the one token after them (the last target).
    const count = total >= seqLength + 1 ? Math.floor((total - seqLength - 1) / stride) + 1 : 0;
    this.starts = new Int32Array(count);
    for (let i = 0; i < count; i++) this.starts[i] = i * stride;
  }

  get size(): number {
    return this.starts.length;
  }

  get tokens(): number {
    return this.stream.length;
  }

  /** Fills x and y ([batch * seqLength] each) with the windows at the given indices into starts. */
  fill(indices: ArrayLike<number>, x: Int32Array, y: Int32Array): void {
    const T = this.seqLength;
    for (let b = 0; b < indices.length; b++) {
      const s = this.starts[indices[b]];
      x.set(this.stream.subarray(s, s + T), b * T);
      y.set(this.stream.subarray(s + 1, s + T + 1), b * T);
    }
  }

  /** The window order of one epoch: a permutation that depends only on (seed, epoch); in order with shuffle false. */
  order(seed: number, epoch: number, shuffle = true): Int32Array {
    const idx = new Int32Array(this.size);
    for (let i = 0; i < idx.length; i++) idx[i] = i;
    return shuffle ? new Rng(deriveSeed(seed, 'shuffle', epoch)).shuffle(idx) : idx;
  }
}

/**
 * Stateful training data, as a Keras `stateful=True` model reads its text: the tunes laid end to
 * end are cut into `rows` equal rows (row b = the b-th slice of the stream), and batch k holds
 * window k of every row, so row b of batch k+1 continues exactly where row b of batch k ended.
 * Shuffling (when asked) reorders the tunes before the cut, once per epoch; within an epoch every
 * row runs on in order.
 */
export class StatefulRows {
  private readonly total: number;
  readonly rowLength: number;
  readonly batches: number;
  private cached: { key: string; stream: Int32Array } | null = null;

  constructor(
    readonly tunes: ArrayLike<number>[],
    readonly seqLength: number,
    readonly rows: number,
  ) {
    this.total = tunes.reduce((n, t) => n + t.length, 0);
    this.rowLength = Math.floor(this.total / rows);
    // A window is seqLength inputs plus the next token (the last target), all inside its row.
    this.batches = this.rowLength >= seqLength + 1 ? Math.floor((this.rowLength - 1) / seqLength) : 0;
  }

  get tokens(): number {
    return this.total;
  }

  /** The stream of one epoch: the tunes in corpus order, or permuted by (seed, epoch). */
  stream(seed: number, epoch: number, shuffle: boolean): Int32Array {
    const key = shuffle ? `${seed}/${epoch}` : 'fixed';
    if (this.cached?.key === key) return this.cached.stream;
    const order = new Int32Array(this.tunes.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    if (shuffle) new Rng(deriveSeed(seed, 'shuffle-tunes', epoch)).shuffle(order);
    const stream = new Int32Array(this.total);
    let o = 0;
    for (const i of order) {
      stream.set(this.tunes[i] as ArrayLike<number>, o);
      o += this.tunes[i].length;
    }
    this.cached = { key, stream };
    return stream;
  }

  /** Fills x and y ([rows * seqLength] each) with window k of every row of `stream`. */
  fill(stream: Int32Array, k: number, x: Int32Array, y: Int32Array): void {
    const T = this.seqLength;
    for (let b = 0; b < this.rows; b++) {
      const s = b * this.rowLength + k * T;
      x.set(stream.subarray(s, s + T), b * T);
      y.set(stream.subarray(s + 1, s + T + 1), b * T);
    }
  }
}

export interface PreparedData {
  train: WindowSet;
  validation: WindowSet | null;
  batchesPerEpoch: number;
  /** Stateful training (training.stateful): the rows each batch continues; train/validation windows are then unused. */
  stateful?: { train: StatefulRows; validation: StatefulRows | null };
}

/** Builds the windows and checks the combination of data and hyperparameters before any work. */
export function prepareData(data: TokenData, opts: { seqLength: number; batchSize: number; stride?: number; loss: 'all' | 'last'; stateful?: boolean }): PreparedData {
  if (data.train.length === 0) throw new EngineError('bad_input', 'the corpus has no training tunes (is it empty, or did no tune encode?)');
  for (const [set, tunes] of [['training', data.train], ['validation', data.validation]] as const) {
    tunes.forEach((t, i) => {
      for (let j = 0; j < t.length; j++) {
        const v = t[j];
        if (!Number.isInteger(v) || v < 0 || v >= data.vocabSize) {
          throw new EngineError('bad_input', `${set} tune ${i + 1}: token ${j} is ${v}, outside the vocabulary 0..${data.vocabSize - 1}`);
        }
      }
    });
  }
  if (opts.stateful) {
    const rows = new StatefulRows(data.train, opts.seqLength, opts.batchSize);
    if (rows.batches === 0) {
      throw new HyperparameterError(`stateful training cuts the ${rows.tokens} training tokens into ${opts.batchSize} rows of ${rows.rowLength}; a window needs ${opts.seqLength + 1} (lower the batch size or the sequence length)`);
    }
    const val = new StatefulRows(data.validation, opts.seqLength, opts.batchSize);
    const none = new WindowSet([], opts.seqLength, opts.seqLength);
    return { train: none, validation: null, batchesPerEpoch: rows.batches, stateful: { train: rows, validation: val.batches > 0 ? val : null } };
  }
  const longest = Math.max(...data.train.map((t) => t.length));
  if (opts.seqLength + 1 > longest) {
    throw new HyperparameterError(`sequence length ${opts.seqLength} is longer than every tune (the longest training tune has ${longest} tokens, so at most ${longest - 1} fits)`);
  }
  const stride = opts.stride ?? (opts.loss === 'last' ? 1 : opts.seqLength);
  const train = new WindowSet(data.train, opts.seqLength, stride);
  if (train.size < opts.batchSize) {
    throw new HyperparameterError(`batch size ${opts.batchSize} is larger than the data: the training tunes give only ${train.size} windows of ${opts.seqLength} tokens`);
  }
  let validation: WindowSet | null = new WindowSet(data.validation, opts.seqLength, opts.seqLength);
  if (validation.size === 0) validation = null;
  return { train, validation, batchesPerEpoch: Math.floor(train.size / opts.batchSize) };
}
