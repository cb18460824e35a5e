/**
 * From files to token ids: reads .abc and .mid files with the music core, removes duplicate
 * tunes, splits by tune into training and validation (seeded), learns or reuses the encoding and
 * encodes. Tunes that cannot be read or encoded are counted and reported, never silently dropped.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { parseAbc } from '../../shared/music/abc/read';
import { readMidi } from '../../shared/music/midi/read';
import { buildEncoding, type Encoding, type EncodingName, type Tune } from '../../shared/music/encodings/index';
import { EngineError } from './errors';
import { Rng, deriveSeed } from './rng';
import type { TokenData } from './data';
import type { CorpusSummary } from './library';

const ABC = new Set(['.abc']);
const MIDI = new Set(['.mid', '.midi', '.kar']);

export interface LoadedTunes {
  tunes: Tune[];
  /** One line per tune or file that could not be read, naming it. */
  problems: string[];
  files: number;
}

async function listFiles(p: string, out: string[]): Promise<void> {
  let st;
  try {
    st = await fs.stat(p);
  } catch {
    throw new EngineError('bad-corpus', `${p}: no such file or folder`);
  }
  if (st.isDirectory()) {
    for (const name of (await fs.readdir(p)).sort()) {
      if (name.startsWith('.')) continue;
      const child = path.join(p, name);
      const cst = await fs.stat(child);
      if (cst.isDirectory()) await listFiles(child, out);
      else if (ABC.has(path.extname(name).toLowerCase()) || MIDI.has(path.extname(name).toLowerCase())) out.push(child);
    }
  } else out.push(p);
}

export async function loadTunes(paths: string[]): Promise<LoadedTunes> {
  if (!paths.length) throw new EngineError('bad-corpus', 'no corpus given: name .abc or .mid files, or folders holding them');
  const files: string[] = [];
  for (const p of paths) await listFiles(p, files);
  const tunes: Tune[] = [];
  const problems: string[] = [];
  for (const file of files) {
    const ext = path.extname(file).toLowerCase();
    if (MIDI.has(ext)) {
      try {
        const r = readMidi(await fs.readFile(file), { file });
        if (r.sequence.notes.length) tunes.push({ title: path.basename(file, ext), sequence: r.sequence, source: { file, index: 0, line: 1 } });
        else problems.push(`${file}: no notes`);
      } catch (e) {
        problems.push(`${file}: ${(e as Error).message}`);
      }
    } else {
      const r = parseAbc(await fs.readFile(file, 'utf8'), { file });
      for (const t of r.tunes) tunes.push({ title: t.title, abc: t.abc, sequence: t.sequence, source: { file, index: t.index, line: t.line } });
      for (const e of r.errors) problems.push(e.message);
    }
  }
  if (!tunes.length) {
    const why = files.length ? `none of its ${files.length} file(s) held a readable tune${problems.length ? ` (first problem: ${problems[0]})` : ''}` : 'it holds no .abc or .mid files';
    throw new EngineError('bad-corpus', `the corpus ${paths.join(', ')} is empty: ${why}`);
  }
  return { tunes, problems, files: files.length };
}

/** Duplicates (same ABC body, or same notes for MIDI) would leak between training and validation. */
function dedupe(tunes: Tune[]): Tune[] {
  const seen = new Set<string>();
  return tunes.filter((t) => {
    const key = t.abc ? t.abc.replace(/^[XTZNSBDHF]:.*$/gm, '').replace(/\s+/g, '') : JSON.stringify(t.sequence.notes.map((n) => [n.pitch, n.start, n.end]));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

export interface EncodedCorpus {
  data: TokenData;
  encoding: Encoding;
  summary: CorpusSummary;
  problems: string[];
  /** The tunes behind data.train and data.validation, in the same order. */
  tunes: { train: Tune[]; validation: Tune[] };
}

export function encodeCorpus(loaded: LoadedTunes, paths: string[], opts: { encoding: EncodingName | Encoding; validationFraction?: number; seed?: number }): EncodedCorpus {
  const unique = dedupe(loaded.tunes);
  const problems = [...loaded.problems];
  const encoding = typeof opts.encoding === 'string' ? buildEncoding(opts.encoding, unique) : opts.encoding;
  const encoded: { tune: Tune; ids: number[] }[] = [];
  for (const tune of unique) {
    try {
      let ids = tune.abc === undefined && encoding.name.startsWith('abc') ? null : encoding.encode(tune);
      if (!ids) {
        problems.push(`${tune.source.file}: tune ${tune.source.index + 1} has no ABC text for the ${encoding.name} encoding`);
        continue;
      }
      if (ids[0] !== encoding.bos) ids = [encoding.bos, ...ids];
      if (ids[ids.length - 1] !== encoding.eos) ids = [...ids, encoding.eos];
      if (ids.length > 2) encoded.push({ tune, ids });
    } catch (e) {
      problems.push(`${tune.source.file}:${tune.source.line}: tune ${tune.source.index + 1}${tune.title ? ` "${tune.title}"` : ''}: ${(e as Error).message}`);
    }
  }
  if (!encoded.length) throw new EngineError('bad-corpus', `no tune of the corpus could be encoded as ${encoding.name}${problems.length ? ` (first problem: ${problems[0]})` : ''}`);
  // Split by tune, seeded, so the same corpus and seed always give the same validation set.
  const order = new Rng(deriveSeed(opts.seed ?? 1, 'split')).shuffle(encoded.map((_, i) => i));
  const fraction = opts.validationFraction ?? 0.1;
  const nVal = encoded.length >= 2 ? Math.max(fraction > 0 ? 1 : 0, Math.round(encoded.length * fraction)) : 0;
  const valSet = new Set(order.slice(0, nVal));
  const train = encoded.filter((_, i) => !valSet.has(i)).map((e) => e.ids);
  const validation = encoded.filter((_, i) => valSet.has(i)).map((e) => e.ids);
  return {
    data: { train, validation, vocabSize: encoding.tokens.length },
    encoding,
    problems,
    tunes: { train: encoded.filter((_, i) => !valSet.has(i)).map((e) => e.tune), validation: encoded.filter((_, i) => valSet.has(i)).map((e) => e.tune) },
    summary: {
      paths,
      tunes: encoded.length,
      trainTunes: train.length,
      validationTunes: validation.length,
      trainTokens: train.reduce((n, t) => n + t.length, 0),
      validationTokens: validation.reduce((n, t) => n + t.length, 0),
      skipped: loaded.tunes.length - encoded.length,
    },
  };
}
