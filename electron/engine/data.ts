/**
 * The data pipeline: tunes (already encoded to token ids) are laid end to end in one Int32Array,
 * windows are start offsets into it, and each batch is copied out of that one array. Shuffling
 * permutes the offsets, so no epoch copies the corpus.
 */
import { EngineError } from './errors';
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

  /** The window order of one epoch: a permutation that depends only on (seed, epoch). */
  order(seed: number, epoch: number): Int32Array {
    const idx = new Int32Array(this.size);
    for (let i = 0; i < idx.length; i++) idx[i] = i;
    return new Rng(deriveSeed(seed, 'shuffle', epoch)).shuffle(idx);
  }
}

export interface PreparedData {
  train: WindowSet;
  validation: WindowSet | null;
  batchesPerEpoch: number;
}

/** Builds the windows and checks the combination of data and hyperparameters before any work. */
export function prepareData(data: TokenData, opts: { seqLength: number; batchSize: number; stride?: number; loss: 'all' | 'last' }): PreparedData {
  if (data.train.length === 0) throw new EngineError('bad-corpus', 'the corpus has no training tunes (is it empty, or did no tune encode?)');
  for (const [set, tunes] of [['training', data.train], ['validation', data.validation]] as const) {
    tunes.forEach((t, i) => {
      for (let j = 0; j < t.length; j++) {
        const v = t[j];
        if (!Number.isInteger(v) || v < 0 || v >= data.vocabSize) {
          throw new EngineError('bad-corpus', `${set} tune ${i + 1}: token ${j} is ${v}, outside the vocabulary 0..${data.vocabSize - 1}`);
        }
      }
    });
  }
  const longest = Math.max(...data.train.map((t) => t.length));
  if (opts.seqLength + 1 > longest) {
    throw new EngineError('bad-hyperparameters', `sequence length ${opts.seqLength} is longer than every tune (the longest training tune has ${longest} tokens, so at most ${longest - 1} fits)`);
  }
  const stride = opts.stride ?? (opts.loss === 'last' ? 1 : opts.seqLength);
  const train = new WindowSet(data.train, opts.seqLength, stride);
  if (train.size < opts.batchSize) {
    throw new EngineError('bad-hyperparameters', `batch size ${opts.batchSize} is larger than the data: the training tunes give only ${train.size} windows of ${opts.seqLength} tokens`);
  }
  let validation: WindowSet | null = new WindowSet(data.validation, opts.seqLength, opts.seqLength);
  if (validation.size === 0) validation = null;
  return { train, validation, batchesPerEpoch: Math.floor(train.size / opts.batchSize) };
}
