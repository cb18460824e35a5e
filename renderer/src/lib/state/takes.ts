/**
 * What a take is: its own title, the model that made it, the settings and RNG seed it was sampled
 * with, and the seed (and where the seed came from) it continues. Pure helpers; StudioState holds
 * the takes.
 */
import type { NoteDto, Take } from '@shared/ipc/schemas';

export type SeedSource = 'none' | 'abc' | 'selection' | 'file' | 'keyboard';

export interface TakeSampling {
  temperature: number;
  topK: number;
  topP: number;
  length: number;
  count: number;
  rngSeed: number | null;
}

export interface TakeView extends Take {
  runId: string;
  kept: boolean;
  /** The take's number in the session: unique, its name in the list ("Take 7"). */
  number: number;
  /** Its title (the T: of its ABC, its exported files' names). */
  title: string;
  /** The model that made it. */
  model: { id: string | null; name: string };
  sampling: TakeSampling;
  /** Where its seed came from, and the seed. */
  source: SeedSource;
  /** Which seed the take continues (takes are grouped by it). */
  seedLabel: string;
  seedNotes: NoteDto[];
  /** Edits made in the roll or ABC panel since it arrived (the title too: a T: typed on the take). */
  edited?: { notes: NoteDto[]; abc: string; title?: string };
}

/** A take's title: the seed's title and its number, or only its number when there was no seed. */
export function takeTitle(seedTitle: string | null, number: number): string {
  const base = seedTitle?.replace(/,\s*take \d+$/i, '').trim();
  return base ? `${base}, take ${number}` : `Take ${number}`;
}

/** The T: of an ABC text (the first one), or null. */
export function titleOfAbc(abc: string): string | null {
  const m = /^T:[ \t]*(.*?)\s*$/m.exec(abc);
  return m && m[1] ? m[1] : null;
}

/** The ABC with `title` as its T: line: the first T: replaced, or one added after X:. */
export function withTitle(abc: string, title: string): string {
  const line = `T:${title.replace(/[\r\n]+/g, ' ')}`;
  if (/^T:.*$/m.test(abc)) return abc.replace(/^T:.*$/m, line);
  if (/^X:.*$/m.test(abc)) return abc.replace(/^(X:.*)$/m, `$1\n${line}`);
  return `${line}\n${abc}`;
}

/** The settings line of a take, for the list and for comparing takes. */
export function takeSettings(t: Pick<TakeView, 'model' | 'sampling'> & { variation?: number }): string {
  const s = t.sampling;
  const variation = t.variation ?? 0;
  return [
    t.model.name || 'unknown model',
    `T ${s.temperature.toFixed(2)}`,
    s.topK ? `top-k ${s.topK}` : '',
    s.topP < 1 ? `top-p ${s.topP}` : '',
    `${s.length} tokens`,
    // Takes sampled together share the run's seed, each its own variation of it.
    s.rngSeed !== null ? `seed ${s.rngSeed}${variation ? ` (variation ${variation + 1})` : ''}` : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

/** The number the next take gets: one more than any take has had. */
export function nextTakeNumber(takes: readonly Pick<TakeView, 'number'>[]): number {
  return takes.reduce((m, t) => Math.max(m, t.number), 0) + 1;
}
