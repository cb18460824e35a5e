/**
 * The tune picker's search: a book's tunes filtered by what the musician types (words of the title
 * (or their beginnings) of the title or another title, the rhythm, the key, or an X: number), accents and case ignored, titles that
 * begin with the words first. Pure.
 */
import type { BookTune } from '@shared/ipc/channels/music';

const fold = (s: string): string => s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

export function searchBook(tunes: readonly BookTune[], query: string): BookTune[] {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (!words.length) return tunes.slice();
  const scored: { t: BookTune; score: number }[] = [];
  for (const t of tunes) {
    const titles = fold([t.title, ...t.alsoKnownAs].join(' / '));
    const titleWords = titles.split(/[^a-z0-9']+/).filter(Boolean);
    const rest = fold(`${t.rhythm} ${t.key} ${t.meter}`);
    let ok = true;
    for (const w of words) {
      const x = w.replace(/^x:?/, '');
      if (/^\d+$/.test(x) && (w.startsWith('x') || /^\d+$/.test(w)) && t.x === x) continue;
      if (titleWords.some((tw) => tw.startsWith(w)) || (w.length > 2 && titles.includes(w)) || rest.split(/\s+/).includes(w)) continue;
      ok = false;
      break;
    }
    if (!ok) continue;
    const title = fold(t.title);
    const phrase = words.join(' ');
    const score = words.length === 1 && /^\d+$/.test(words[0].replace(/^x:?/, '')) && t.x === words[0].replace(/^x:?/, '') ? 0 : title.startsWith(phrase) ? 1 : title.includes(phrase) ? 2 : 3;
    scored.push({ t, score });
  }
  return scored.sort((a, b) => a.score - b.score || a.t.index - b.t.index).map((s) => s.t);
}
