import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { bookTuneText, listBook } from './book';
import { parseAbc } from '../abc/read';

const BOOK = `% a little book
L:1/8
R:jig

X:12
T:The Kesh
T:The Kesh Jig
M:6/8
K:G
|:GAG GAB|ABA ABd:|

X:13
T:Out on the Ocean
M:6/8
L:1/16
K:G
D2|G4B2 A2G2E2|

X:14
M:3/4
K:Dm
A2 d2 f2|
`;

describe('tune books', () => {
  it('lists every tune by X: and title, with rhythm, meter and key from its header (the file header as a default)', () => {
    const list = listBook(BOOK);
    expect(list.map((e) => [e.x, e.title, e.rhythm, e.meter, e.key])).toEqual([
      ['12', 'The Kesh', 'jig', '6/8', 'G'],
      ['13', 'Out on the Ocean', 'jig', '6/8', 'G'],
      ['14', '', 'jig', '3/4', 'Dm'],
    ]);
    expect(list[0].alsoKnownAs).toEqual(['The Kesh Jig']);
    expect(list[1].line).toBe(12);
  });

  it("gives one tune's text as written, with the file header's fields it does not set itself", () => {
    expect(bookTuneText(BOOK, 0)).toBe('X:12\nL:1/8\nR:jig\nT:The Kesh\nT:The Kesh Jig\nM:6/8\nK:G\n|:GAG GAB|ABA ABd:|\n');
    // Its own L: wins.
    expect(bookTuneText(BOOK, 1)).toBe('X:13\nR:jig\nT:Out on the Ocean\nM:6/8\nL:1/16\nK:G\nD2|G4B2 A2G2E2|\n');
    expect(parseAbc(bookTuneText(BOOK, 1)).tunes[0].sequence.notes[0].end).toBe(0.5);
    expect(() => bookTuneText(BOOK, 3, 'b.abc')).toThrowError(expect.objectContaining({ code: 'abc-no-tunes', message: expect.stringMatching(/b\.abc.*3 tunes; there is no tune number 4/) }));
  });

  it('lists a book of hundreds of tunes from the shared corpora', () => {
    const file = '/work/shared/corpora/abc_nottingham/ABC_cleaned/jigs.abc';
    if (!fs.existsSync(file)) {
      console.log(`skipped: ${file} is not here`);
      return;
    }
    const text = fs.readFileSync(file, 'utf8');
    const list = listBook(text);
    expect(list.length).toBe((text.match(/^X:/gm) ?? []).length);
    expect(list.every((e) => e.title && e.key)).toBe(true);
    expect(list.filter((e) => !e.meter).map((e) => e.title)).toEqual(['Fram Apon Him']); // as written: no M: line
    const t = parseAbc(bookTuneText(text, 100)).tunes[0];
    expect(t.title).toBe(list[100].title);
  });
});
