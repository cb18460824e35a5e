import { describe, expect, it } from 'vitest';
import { impliedRepeatStarts, parseAbc, parseAbcTune } from './read';
import { quickParseAbc } from './quick';
import { inheritedHeader, splitAbcBook } from './book';
import { ABCJS_TEXT, DECLINED_TEXTS, QUICK_TEXT, primeAbcReader } from './prime';

/** Each tune of a book read by one reader, or its error. */
function readEach(text: string, reader: 'quick' | 'abcjs'): string[] {
  const book = splitAbcBook(text);
  const header = inheritedHeader(book.header);
  return book.tunes.map((t) => {
    try {
      const r = parseAbcTune(t, header, { file: 'prime.abc', reader });
      return JSON.stringify({ ...r, implied: impliedRepeatStarts(r) });
    } catch (e) {
      return `error: ${(e as Error).message}`;
    }
  });
}

describe('the reader warm-up tunes', () => {
  it('are all read by the quick reader where meant, the same as abcjs reads them', () => {
    const quick = readEach(QUICK_TEXT, 'quick');
    expect(quick.length).toBeGreaterThan(5);
    for (const q of quick) expect(q).not.toMatch(/^error/);
    expect(quick).toEqual(readEach(QUICK_TEXT, 'abcjs'));
  });

  it('send the others to abcjs, which reads them without errors', () => {
    const r = parseAbc(ABCJS_TEXT);
    expect(r.errors).toEqual([]);
    expect(r.tunes.length).toBe(splitAbcBook(ABCJS_TEXT).tunes.length);
    for (const q of readEach(ABCJS_TEXT, 'quick')) expect(q).toMatch(/the quick reader does not cover this tune/);
  });

  it('decline each of the quick reader declines', () => {
    for (const body of DECLINED_TEXTS) expect(quickParseAbc(`X:1\nM:4/4\nL:1/8\n${body}\n`), body).toBeNull();
  });

  it('run once per thread', () => {
    primeAbcReader();
    const t0 = performance.now();
    primeAbcReader();
    expect(performance.now() - t0).toBeLessThan(50);
  });
});
