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

export { takeTitle, titleOfAbc, withTitle } from '@shared/music/tune/title';

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
