/**
 * Repeat starts the reader supplies, written into the text: Seedsong plays the same notes as before,
 * and abc2midi (the oracle, where installed) now plays them too.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Abc2midi, compareMelodies, findAbc2midi, neutralizeForAbc2midi } from './abc2midi';
import { impliedRepeatStarts, parseAbc } from './read';
import { writeImpliedRepeatStarts } from './repeat-starts';

const exe = findAbc2midi();
if (!exe) console.log('repeat-starts.test: abc2midi is not installed: only Seedsong\'s own reading is checked');
const oracle = exe ? new Abc2midi(exe) : null;
afterAll(() => oracle?.dispose());

const HEAD = 'X:1\nT:t\nM:2/4\nL:1/8\nK:C\n';
const notes = (text: string) => parseAbc(text, { file: 't' }).tunes[0].sequence.notes.map((n) => [n.pitch, n.start, n.end]);

/** The written text plays Seedsong's notes for Seedsong and for abc2midi, and needs no supplied start. */
function expectAgreed(original: string, written: string): void {
  expect(notes(written)).toEqual(notes(original));
  const tune = parseAbc(written, { file: 't' }).tunes[0];
  expect(impliedRepeatStarts(tune)).toEqual([]);
  if (oracle) expect(compareMelodies(tune.sequence, oracle.melody(neutralizeForAbc2midi(written))!).kind, written).toBe('none');
}

describe('writeImpliedRepeatStarts', () => {
  it('a section after 1st/2nd endings closed by || at the end of a line: |: heads the next line', () => {
    const text = `${HEAD}|:CDEF|1 GABc:|2 GABz||\nP:B\ndefg|abc2:|\n`;
    const out = writeImpliedRepeatStarts(text);
    expect(out).toBe(`${HEAD}|:CDEF|1 GABc:|2 GABz||\nP:B\n|:defg|abc2:|\n`);
    expectAgreed(text, out);
    // abc2midi read the original another way: that is the point.
    if (oracle) expect(compareMelodies(parseAbc(text, { file: 't' }).tunes[0].sequence, oracle.melody(neutralizeForAbc2midi(text))!).kind).not.toBe('none');
  });

  it('mid-line |]: " |:" after it (abc2midi misreads "||:"); a next line that starts with | gets that | as the start', () => {
    const mid = `${HEAD}|:CDEF|1 GABc:|2 GABz|]defg|abc2:|\n`;
    const out = writeImpliedRepeatStarts(mid);
    expect(out).toBe(`${HEAD}|:CDEF|1 GABc:|2 GABz|] |:defg|abc2:|\n`);
    expectAgreed(mid, out);
    const bar = `${HEAD}|:CDEF|1 GABc:|2 GABz||\n|defg|abc2:|\n`;
    const out2 = writeImpliedRepeatStarts(bar);
    expect(out2).toBe(`${HEAD}|:CDEF|1 GABc:|2 GABz||\n|:defg|abc2:|\n`);
    expectAgreed(bar, out2);
  });

  it('leaves text before `from` as it is (a typed seed), and a text without supplied starts unchanged', () => {
    const text = `${HEAD}|:CDEF|1 GABc:|2 GABz||\ndefg|abc2:|\n`;
    expect(writeImpliedRepeatStarts(text, text.indexOf('defg') + 1)).toBe(text);
    expect(writeImpliedRepeatStarts(text, text.indexOf('defg'))).toBe(`${HEAD}|:CDEF|1 GABc:|2 GABz||\n|:defg|abc2:|\n`);
    const plain = `${HEAD}|:CDEF|GABc:|\n|:defg|abc2:|\n`;
    expect(writeImpliedRepeatStarts(plain)).toBe(plain);
    expect(writeImpliedRepeatStarts('not a tune')).toBe('not a tune');
  });

  it('real tunes: every tune in a book section whose repeats the reader supplies plays the same after writing', () => {
    const book = [
      `X:1\nT:a\nM:6/8\nL:1/8\nK:G\nD|:GAB d2B|1 c2A G2D:|2 c2A G3||\nB|def g2e|dBG A3:|\n`,
      `X:2\nT:b\nR:reel\nM:4/4\nL:1/8\nK:D\n|:A2FA DAFA|1 BAGF E4:|2 BAGF D4|]\n|fdec d2fe|dcBA GFED:|\n`,
    ];
    for (const text of book) {
      const out = writeImpliedRepeatStarts(text);
      expect(out, text).not.toBe(text);
      expectAgreed(text, out);
    }
  });
});

describe('writeImpliedRepeatStarts on a take the default model wrote', () => {
  it('both kinds in one tune: |] mid-line after the endings, and a :| the next section repeats from (written ::)', () => {
    const take = `X:6\nL:1/8\nM:6/8\nK:Dmaj\nBAB|cAAGE/G/F/G/|AdcA/E/D/F/G/F/|GBd>BA/G/F/A/|\nBcd/A/G/A/B/c/A/B/|def/e/dc/B/A/G/|AGFG2A|[1B/A/G/F/F/G2ef/|\ngfe:|[2cdef/g/ec|d2d/c/|]Bcd|\neAaA/A/A/c/d/e/|afed/e/g/e/a|baefdA/B/|cdefef|\nA2D=Dc2|AGEFGA|Becd3|A2d:|\ncee|f/g/afdfe|d2f3a|f4e2|\ndefd2A|d3-d2d|cAAA2B|AB/c/A2A2|\nEED:|\n`;
    const out = writeImpliedRepeatStarts(take);
    expect(out).toBe(take.replace('d2d/c/|]Bcd', 'd2d/c/|] |:Bcd').replace('A2d:|\n', 'A2d::\n'));
    expectAgreed(take, out);
  });
});
