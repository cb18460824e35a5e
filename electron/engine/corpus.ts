/**
 * From files to token ids. The music core's loadCorpus reads the files (folders and globs too),
 * removes duplicate melodies and splits by melody into training and validation (seeded, so the
 * studio's corpus view and a training run agree on the split); here the tunes are encoded. Tunes
 * that cannot be read or encoded are counted and reported, never silently dropped.
 */
import { loadCorpus } from '@shared/music/node';
import { buildEncoding, type Encoding, type EncodingName, type Tune } from '@shared/music/encodings/index';
import type { CorpusStats } from '@shared/music/corpus/corpus';
import { EngineError } from './errors';
import type { TokenData } from './data';
import type { CorpusSummary } from './library';

export type SplitTune = Tune & { split: 'train' | 'validation' };

export interface LoadedTunes {
  tunes: SplitTune[];
  /** One line per tune or file that could not be read, naming it. */
  problems: string[];
  files: number;
  stats?: CorpusStats;
}

export interface LoadOptions {
  /** Share of tunes held out for validation (0 = none). Default 0.1. */
  validationFraction?: number;
  seed?: number;
  signal?: AbortSignal;
  /** Drop melodies seen before (default true; eval keeps every tune). */
  dedupe?: boolean;
}

export const DEFAULT_VALIDATION_FRACTION = 0.1;

export async function loadTunes(paths: string[], opts: LoadOptions = {}): Promise<LoadedTunes> {
  if (!paths.length) throw new EngineError('bad_input', 'no corpus given: name .abc or .mid files, or folders holding them');
  const corpus = await loadCorpus(paths, { validationFraction: opts.validationFraction ?? DEFAULT_VALIDATION_FRACTION, seed: opts.seed ?? 1, signal: opts.signal, dedupe: opts.dedupe ?? true });
  const problems = corpus.files.flatMap((f) => f.errors.map((e) => e.message));
  const tunes: SplitTune[] = [];
  for await (const t of corpus.tunes('all')) tunes.push(t);
  if (!tunes.length) {
    const why = corpus.stats.files ? `none of its ${corpus.stats.files} file(s) held a readable tune` : 'it holds no .abc or .mid files';
    throw new EngineError('bad_input', `the corpus ${paths.join(', ')} is empty: ${why}${problems.length ? ` (first problem: ${problems[0]})` : ''}`);
  }
  return { tunes, problems, files: corpus.stats.files, stats: corpus.stats };
}

export interface EncodedCorpus {
  data: TokenData;
  encoding: Encoding;
  summary: CorpusSummary;
  problems: string[];
  /** The tunes behind data.train and data.validation, in the same order. */
  tunes: { train: Tune[]; validation: Tune[] };
}

/** Encodes the tunes; `encoding` is a name (the vocabulary is learned from these tunes) or a model's own. */
export function encodeCorpus(loaded: LoadedTunes, paths: string[], opts: { encoding: EncodingName | Encoding }): EncodedCorpus {
  const problems = [...loaded.problems];
  const encoding = typeof opts.encoding === 'string' ? buildEncoding(opts.encoding, loaded.tunes) : opts.encoding;
  const train: { tune: Tune; ids: number[] }[] = [];
  const validation: { tune: Tune; ids: number[] }[] = [];
  for (const tune of loaded.tunes) {
    try {
      let ids = encoding.encode(tune);
      if (ids[0] !== encoding.bos) ids = [encoding.bos, ...ids];
      if (ids[ids.length - 1] !== encoding.eos) ids = [...ids, encoding.eos];
      if (ids.length > 2) (tune.split === 'validation' ? validation : train).push({ tune, ids });
      else problems.push(`${tune.source.file}:${tune.source.line}: tune ${tune.source.index + 1} encodes to nothing`);
    } catch (e) {
      problems.push(`${tune.source.file}:${tune.source.line}: tune ${tune.source.index + 1}${tune.title ? ` "${tune.title}"` : ''}: ${(e as Error).message}`);
    }
  }
  if (!train.length) {
    throw new EngineError('bad_input', `no tune of the corpus could be encoded as ${encoding.name} for training${problems.length ? ` (first problem: ${problems[0]})` : ''}`);
  }
  return {
    data: { train: train.map((e) => e.ids), validation: validation.map((e) => e.ids), vocabSize: encoding.tokens.length },
    encoding,
    problems,
    tunes: { train: train.map((e) => e.tune), validation: validation.map((e) => e.tune) },
    summary: {
      paths,
      tunes: train.length + validation.length,
      trainTunes: train.length,
      validationTunes: validation.length,
      trainTokens: train.reduce((n, t) => n + t.ids.length, 0),
      validationTokens: validation.reduce((n, t) => n + t.ids.length, 0),
      skipped: loaded.tunes.length - train.length - validation.length,
    },
  };
}
