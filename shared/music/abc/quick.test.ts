import { describe, expect, it } from 'vitest';
import { impliedRepeatStarts, parseAbc, type AbcReadResult } from './read';
import { quickParseAbc } from './quick';

/** Everything parseAbc returns, as text, read by one reader. */
function read(text: string, reader: 'abcjs' | 'quick'): string {
  const r: AbcReadResult = parseAbc(text, { file: 't.abc', reader });
  return JSON.stringify({ tunes: r.tunes.map((t) => ({ ...t, implied: impliedRepeatStarts(t) })), errors: r.errors.map((e) => [e.code, e.message, e.line]) });
}

const tune = (body: string, head = 'M:4/4\nL:1/8\nK:G') => `X:1\nT:A Tune, The\nR:reel\n${head}\n${body}\n`;

// Each is read by the quick reader (none is declined) and must come out as abcjs reads it.
const COVERED: [string, string][] = [
  ['notes, octaves, accidentals, lengths', tune("C,D E/F/ G3/2A/ ^c'2 _B =f g//a// z2 x y|]")],
  ['ties, also across bar lines and to other pitches', tune('A2-|A2 B-c d- d|G3-G F2-G2|]')],
  ['broken rhythm, also with spaces and rests', tune('A>B c<d e>>f g > a z>B|]')],
  ['chords with lengths, ties and broken rhythm', tune('[CEG]2 [DF]/[EG]/ [CE]-[CE] [GB]>[Ac]|]')],
  ['tuplets, their forms and uneven groups', tune('(3ABc (3:2:3d2ef (5ABcde (3D>EG (6abcdef|]', 'M:6/8\nL:1/8\nK:D')],
  ['grace notes and acciaccaturas', tune('{g}A2 {/ag}B2 {gAGA}c2 ({d}e f)|]')],
  ['repeats, endings and section bars', tune('|:ABcd:|[1 efga:|2 bagf||\nc4 d4|1 e4:|2 f4|]\n::g8::a8[|b8|]')],
  ['implied repeat starts after a double bar', tune('ABcd|efga||bagf|edcB:|')],
  ['chord symbols, annotations and their respelling', tune('"G"A2 "Bb7"B2 "^above""_below"c2 "F#m7b5"d2 "Co"e2 "D;E"f2|]')],
  ['decorations of every spelling', tune('~A2 .B2 TC2 uD2 vE2 !trill!F2 !>!G2 !fermata!A2 HB2 LC2|]')],
  ['dynamics and hairpins', tune('!p!A2 !crescendo(!B2 c2 !crescendo)!d2 !f!e4|]')],
  ['parts in the body and a P: order', tune('P:A\nABcd|efga:|\nP:B\nbagf|edcB:|', 'M:4/4\nL:1/8\nP:AAB\nK:Em')],
  ['continued lines and abc2win line ends', tune('ABcd \\\nefga|\\\nbagf|!\nedcB|]')],
  ['whole-bar rests and unit lengths in the body', tune('z8|A8|\nL:1/4\nB4|z4|]')],
  ['a header tempo, text fields and the default unit', 'X:7\nT:T\nC:Trad\nO:Ireland\nS:somewhere\nZ:me\nN:a note\nQ:1/4=96 "Slow"\nM:3/4\nK:Ador\nABc|d2e|]\n'],
  ['a bare tempo after the meter', 'X:7\nT:T\nM:6/8\nQ:120\nL:1/8\nK:Bb\nABc def|]\n'],
  ['keys in every mode', 'X:1\nT:x\nK:F#m\nF2|]\n\nX:2\nT:y\nK:Eb Major\nE2|]\n\nX:3\nT:z\nK:C# Mixolydian\nC2|]\n\nX:5\nK:G Dorian\nB2|]\n\nX:4\nK:A#\nA2|]\n'],
  ['lines starting |: and e:|', tune('ABcd|\n|:efga|\ne:|]')],
  ['durations abcjs warns about, and unknown characters', tune('A5 B3 c7/ d k e|]')],
  ['M:none and no L:', 'X:1\nT:free\nM:none\nK:D\nABc def|]\n'],
  ['a file header and several tunes', 'L:1/16\nM:2/4\n\nX:1\nT:one\nK:G\nA4B4|c8|]\n\nX:2\nT:two\nL:1/8\nK:D\nd2e2|f4|]\n'],
];

// The quick reader declines these and abcjs reads them (as before): same result whichever is asked.
const DECLINED = [
  tune('[V:1]ABcd|[V:2]cdef|]'),
  tune('AB [K:D] cd|]'),
  tune('ABcd|\nK:Am\nefga|]'),
  tune('+GB+A2 B2|]'),
  tune('Z4|ABcd|]'),
  tune('ABcd & efga|]'),
  'X:1\n%%MIDI program 1\nK:C\nCDEF|]\n',
  tune('[A z]2 c2|]'),
  'X:1\nT:x\nK:C# Lydian\nC2|]\n',
];

describe('the quick ABC reader', () => {
  for (const [what, text] of COVERED)
    it(`reads ${what} as abcjs does`, () => {
      expect(read(text, 'quick')).toBe(read(text, 'abcjs'));
    });

  it('declines what it does not cover; parseAbc then reads it with abcjs', () => {
    for (const text of DECLINED) {
      const nl = text.indexOf('K:');
      expect(quickParseAbc(text), text.slice(nl, nl + 40)).toBeNull();
      expect(JSON.stringify(parseAbc(text).tunes.map((t) => t.sequence))).toBe(JSON.stringify(parseAbc(text, { reader: 'abcjs' }).tunes.map((t) => t.sequence)));
    }
  });

  it('reads random ABC either exactly as abcjs does or not at all', () => {
    // A seeded soup of ABC pieces, valid and not: the quick reader may decline any of it, but what it
    // reads must be what abcjs reads (notes, form, warnings, errors).
    const pieces = ['A', 'B,', "c'", 'd2', 'e/', 'f3/2', '^g', '_a', '=b', 'z', 'z2', 'x', '-', '>', '<', '>>', '(3', '(3:2:2', '(', ')', '[CE]', '[DF]2', '{g}', '{/a}', '"G"', '"^x"', '~', '.', 'T', '!trill!', '!p!', '|', '||', '|:', ':|', '::', '|]', '[|', '|1', ':|2', '[2', ' ', ' ', '  ', '\n', '\\\n', '%c\n', 'k', '0', '/', ']', '[', '}', '{', '"', '!', '&', 'P:A\n', 'L:1/4\n', 'w:la la\n', 'e:|'];
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let covered = 0;
    for (let n = 0; n < 400; n++) {
      let body = '';
      const len = 5 + rand(40);
      for (let k = 0; k < len; k++) body += pieces[rand(pieces.length)];
      const head = ['M:4/4\nL:1/8\nK:G', 'M:6/8\nK:Dm', 'M:C|\nK:Ador', 'M:3/4\nL:1/4\nQ:1/4=90\nK:Bb', 'K:E'][rand(5)];
      const text = tune(body, head);
      const quick = quickParseAbc(text);
      if (!quick) continue;
      covered++;
      expect(read(text, 'quick'), text).toBe(read(text, 'abcjs'));
    }
    // The soup is mostly readable: the comparison must have had something to compare.
    expect(covered).toBeGreaterThan(30);
  });
});
