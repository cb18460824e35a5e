/**
 * A tune book (.abc with many tunes) as the studio's tune picker lists it: each tune's X: number,
 * title, rhythm, meter and key read from its header lines (no parsing of the music, so a book of
 * thousands of tunes lists in milliseconds), and the text of one chosen tune as its author wrote
 * it, with the file header's fields (L:, M:, Q:, R: before the first X:) that apply to it.
 */
import { splitAbcBook, inheritedHeader } from '../abc/book';
import { MusicError } from '../errors';

export interface BookEntry {
  /** 0-based index in the file (what the studio is asked to open). */
  index: number;
  /** X: number as written ('' when absent). */
  x: string;
  /** The first T: ('' when the tune has none). */
  title: string;
  /** Further T: lines (alternative titles), searched too. */
  alsoKnownAs: string[];
  rhythm: string;
  meter: string;
  key: string;
  /** 1-based line of the tune's X: in the file. */
  line: number;
}

const field = (line: string, letter: string): string | null => (line.startsWith(letter + ':') ? line.slice(2).replace(/%.*$/, '').trim() : null);

/** Lists the tunes of a book (at most `limit`, default 20,000). */
export function listBook(text: string, limit = 20_000): BookEntry[] {
  const book = splitAbcBook(text);
  const header = book.header;
  const fromHeader = (letter: string) => header.map((l) => field(l, letter)).find((v) => v !== null) ?? '';
  const entries: BookEntry[] = [];
  for (const t of book.tunes.slice(0, limit)) {
    const titles: string[] = [];
    let rhythm = '';
    let meter = '';
    let key = '';
    for (const line of t.text.split('\n')) {
      const title = field(line, 'T');
      if (title !== null && !key) titles.push(title);
      rhythm ||= field(line, 'R') ?? '';
      meter ||= field(line, 'M') ?? '';
      const k = field(line, 'K');
      if (k !== null) {
        key = k || 'C';
        break; // the header ends at K:
      }
    }
    entries.push({
      index: t.index,
      x: t.x,
      title: titles[0] ?? '',
      alsoKnownAs: titles.slice(1).filter(Boolean),
      rhythm: rhythm || fromHeader('R'),
      meter: meter || fromHeader('M'),
      key,
      line: t.line,
    });
  }
  return entries;
}

/**
 * The text of tune `index` as written, with the file header's fields that apply to every tune put
 * right after its X: line (so the tune reads the same on its own). Throws MusicError when the book
 * has no such tune.
 */
export function bookTuneText(text: string, index: number, file?: string): string {
  const book = splitAbcBook(text);
  const t = book.tunes[index];
  if (!t) throw new MusicError('abc-no-tunes', `the file has ${book.tunes.length} tune${book.tunes.length === 1 ? '' : 's'}; there is no tune number ${index + 1}`, { file });
  const header = inheritedHeader(book.header).filter((l) => !l.startsWith('%%'));
  if (!header.length) return t.text;
  const lines = t.text.split('\n');
  // Only the fields the tune does not set itself (its own L: wins, as ABC 2.1 says).
  const own = new Set(lines.slice(1).filter((l) => /^[A-Za-z]:/.test(l)).map((l) => l[0]));
  const add = header.filter((l) => !own.has(l[0]));
  return [lines[0], ...add, ...lines.slice(1)].join('\n');
}
