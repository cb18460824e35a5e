/**
 * One fuzz case of the importer fuzz, reproducible from (kind, run seed, index) alone: which seed
 * file, which mutations, and how the importer's answer is judged.
 */
import { MusicError, parseAbc, readMidi, type NoteSequence } from '@shared/music/index';
import { mutateBytes, mutateText, rng } from './mutate';

export type Kind = 'abc' | 'mid';

export interface CaseInput {
  kind: Kind;
  index: number;
  seedName: string;
  ops: string[];
  data: string | Uint8Array;
}

export function makeCase(kind: Kind, runSeed: number, index: number, seeds: readonly (string | Uint8Array)[], names: readonly string[]): CaseInput {
  const r = rng((runSeed * 1_000_003 + index * 7919) >>> 0);
  const s = Math.floor(r() * seeds.length);
  const other = seeds[Math.floor(r() * seeds.length)];
  const m = kind === 'abc' ? mutateText(seeds[s] as string, other as string, r) : mutateBytes(seeds[s] as Uint8Array, other as Uint8Array, r);
  return { kind, index, seedName: names[s], ops: m.ops, data: m.data };
}

export type Verdict =
  /** Read without complaint. */
  | { outcome: 'accepted'; notes: number }
  /** Some tunes read, others rejected with typed errors (ABC books). */
  | { outcome: 'partial'; codes: string[] }
  /** Refused with a typed error naming what was expected. */
  | { outcome: 'rejected'; codes: string[] }
  /** A rejection that is not a MusicError with a code, a location and a message. */
  | { outcome: 'untyped'; message: string }
  /** The importer threw where it promises not to, or returned notes that break the data model. */
  | { outcome: 'crash'; message: string }
  | { outcome: 'bad-output'; message: string };

const CODES = new Set(['abc-syntax', 'abc-no-tunes', 'abc-no-notes', 'abc-too-long', 'midi-format', 'midi-type-2', 'midi-no-notes', 'out-of-range', 'unencodable', 'bad-spec', 'io']);

function typed(e: unknown, file: string): string | null {
  if (!(e instanceof MusicError)) return `not a MusicError: ${(e as Error)?.name ?? typeof e}: ${String((e as Error)?.message ?? e).slice(0, 200)}`;
  if (!CODES.has(e.code)) return `unknown code ${e.code}`;
  if (!e.detail || e.detail.length < 5) return `no explanation (${e.code})`;
  if (e.file !== file) return `does not name the file (${e.code}: ${e.message.slice(0, 120)})`;
  return null;
}

/** The NoteSequence invariants (types.ts): finite times, end > start, pitches and velocities in range. */
export function checkSequence(seq: NoteSequence): string | null {
  for (const n of seq.notes) {
    if (!Number.isInteger(n.pitch) || n.pitch < 0 || n.pitch > 127) return `pitch ${n.pitch}`;
    if (!Number.isFinite(n.start) || !Number.isFinite(n.end) || !(n.end > n.start) || n.start < 0) return `note times ${n.start}..${n.end}`;
    if (!(n.velocity >= 1 && n.velocity <= 127)) return `velocity ${n.velocity}`;
  }
  if (!Number.isFinite(seq.totalTime)) return `totalTime ${seq.totalTime}`;
  for (const t of seq.tempos) if (!(t.qpm > 0) || !Number.isFinite(t.qpm)) return `tempo ${t.qpm}`;
  return null;
}

export function judge(c: CaseInput): Verdict {
  const file = `fuzz-${c.index}.${c.kind}`;
  if (c.kind === 'abc') {
    let result;
    try {
      result = parseAbc(c.data as string, { file });
    } catch (e) {
      return { outcome: 'crash', message: `parseAbc threw: ${String((e as Error)?.stack ?? e).slice(0, 400)}` };
    }
    for (const e of result.errors) {
      const problem = typed(e, file);
      if (problem) return { outcome: 'untyped', message: problem };
    }
    for (const t of result.tunes) {
      const bad = checkSequence(t.sequence);
      if (bad) return { outcome: 'bad-output', message: `tune ${t.index + 1}: ${bad}` };
    }
    const codes = result.errors.map((e) => e.code);
    if (result.tunes.length && !result.errors.length) return { outcome: 'accepted', notes: result.tunes.reduce((n, t) => n + t.sequence.notes.length, 0) };
    return result.tunes.length ? { outcome: 'partial', codes } : { outcome: 'rejected', codes };
  }
  try {
    const r = readMidi(c.data as Uint8Array, { file });
    const bad = checkSequence(r.sequence);
    if (bad) return { outcome: 'bad-output', message: bad };
    return { outcome: 'accepted', notes: r.sequence.notes.length };
  } catch (e) {
    const problem = typed(e, file);
    if (problem) return { outcome: e instanceof MusicError ? 'untyped' : 'crash', message: problem };
    return { outcome: 'rejected', codes: [(e as MusicError).code] };
  }
}
