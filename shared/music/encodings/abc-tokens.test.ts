/**
 * abc-token version 2 (abc-tokens.ts): one canonical, factored spelling; unknown tokens explicit;
 * old (version 1) specs read exactly as before; decoded takes read by abc2midi.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAbc } from '../abc/read';
import { splitAbcBook } from '../abc/book';
import { Abc2midi, compareMelodies, findAbc2midi, neutralizeForAbc2midi } from '../abc/abc2midi';
import { MusicError } from '../errors';
import { mutateText, rng } from '../testing/mutate';
import { abcTokenV1Spec } from '../testing/vocabularies';
import { tokenizeAbcV2Reference } from './abc-tokens.reference';
import { buildEncoding, detokenizeAbcV2, emptyEncodeReport, encodingFromSpec, tokenizeAbc, tokenizeAbcV2, canonicalKey, canonicalMeter, lengthToken, UNK, type Tune } from './index';

function tuneFrom(abc: string, file = 'x.abc'): Tune {
  const r = parseAbc(abc, { file });
  const t = r.tunes[0];
  if (!t) throw r.errors[0];
  return { title: t.title, abc: t.abc, sequence: t.sequence, source: { file, index: 0, line: t.line } };
}
const triples = (s: { notes: { pitch: number; start: number; end: number }[] }) => s.notes.map((n) => [n.pitch, +n.start.toFixed(6), +n.end.toFixed(6)]).sort((a, b) => a[1] - b[1] || a[0] - b[0]);
const v2 = (abc: string, chords?: 'keep' | 'drop') => tokenizeAbcV2(tuneFrom(abc).abc!, { chords });

const JIG = `X:7
T:The Test Jig
M:6/8
L:1/8
Q:3/8=110
K:Ador
|:"Am"A2B c>d e|[CEG]2 (3abc z/2 {g}f|1 A3 A3:|2 ^G3 =G3-|G6|]
`;

describe('abc-token version 2: one spelling', () => {
  it('factors a note into pitch and length, lengths in eighths whatever L: says', () => {
    expect(v2('X:1\nL:1/8\nK:C\nc/2 c/ c1/2 d3/2 a6 C, c, C\'|]\n')).toEqual(['K:Cmaj', 'c', '/', 'c', '/', 'c', '/', 'd', '3/2', 'a', '6', 'C,', 'C', 'c', '|]']);
    expect(v2('X:1\nL:1/16\nK:C\nc2 d e4 f//|]\n')).toEqual(['K:Cmaj', 'c', 'd', '/', 'e', '2', 'f', '/8', '|]']);
    expect(v2('X:1\nL:1/4\nK:C\nc d/ [CE]2 z|]\n')).toEqual(['K:Cmaj', 'c', '2', 'd', '[', 'C', '4', 'E', '4', ']', 'z', '2', '|]']);
    // ABC's default unit: 1/16 under 3/4 when no L: is given.
    expect(v2('X:1\nM:2/4\nK:C\nc2 d|]\n')).toEqual(['M:2/4', 'K:Cmaj', 'c', 'd', '/', '|]']);
    expect(lengthToken(3, 6)).toBe('/');
    expect(lengthToken(6, 4)).toBe('3/2');
    expect(lengthToken(8, 2)).toBe('4');
  });
  it('spells keys, meters, bar lines, endings, tuplets, decorations and parts one way', () => {
    expect(canonicalKey('G')).toBe('Gmaj');
    expect(canonicalKey('G Major')).toBe('Gmaj');
    expect(canonicalKey('Bb mixolydian')).toBe('Bbmix');
    expect(canonicalKey('f#m')).toBe('F#min');
    expect(canonicalKey('Ador')).toBe('Ador');
    expect(canonicalKey('D exp ^g _b')).toBe('Dmaj ^g _b');
    expect(canonicalKey('none')).toBe('Cmaj');
    expect(canonicalMeter('C')).toBe('4/4');
    expect(canonicalMeter('C|')).toBe('2/2');
    expect(canonicalMeter(' 6 / 8')).toBe('6/8');
    const t = v2('X:1\nM:C|\nP:AABA\nK:Bb\nP:A\n|:A|1B:|2c::d:|:e||f[|g|]\nP:B\n[K:Em]+trill+a (3:2:3bcd (5abcde (3:4:3abc|]\n');
    expect(t).toEqual(['M:2/2', 'P:AABA', 'K:Bbmaj', '[P:A]', '|:', 'A', '|', '[1', 'B', ':|', '[2', 'c', '::', 'd', '::', 'e', '||', 'f', '||', 'g', '|]', '[P:B]', '[K:Emin]', '!trill!', 'a', '(3', 'b', 'c', 'd', '(5', 'a', 'b', 'c', 'd', 'e', '(3:4:3', 'a', 'b', 'c', '|]']);
  });
  it('removes chord symbols and annotations and counts them, or keeps chord symbols as tokens', () => {
    const removed = { chordSymbols: 0, annotations: 0 };
    const toks = tokenizeAbcV2(tuneFrom('X:1\nK:G\n"G"G2 "^fine"B "D7"d|]\n').abc!, {}, removed);
    expect(toks).toEqual(['K:Gmaj', 'G', '2', 'B', 'd', '|]']);
    expect(removed).toEqual({ chordSymbols: 2, annotations: 1 });
    expect(v2('X:1\nK:G\n"G"G2 "^fine"B "D7"d|]\n', 'keep')).toEqual(['K:Gmaj', '"G"', 'G', '2', 'B', '"D7"', 'd', '|]']);
    const enc = buildEncoding('abc-token', [tuneFrom(JIG)], { chords: 'keep' });
    expect(enc.tokens).toContain('"Am"');
    expect(encodingFromSpec(JSON.parse(JSON.stringify(enc.toSpec()))).toSpec()).toEqual(enc.toSpec());
  });
  it('spells decoration letters as their decorations; removes and counts layout marks and k', () => {
    const removed = { chordSymbols: 0, annotations: 0, ignoredMarks: 0 };
    const toks = tokenizeAbcV2(tuneFrom('X:1\nM:6/8\nK:D\n|kf3 TdB uA`dB vA>FD|M[Tce]2 LcOdSe Hf ~g .a y|]\n').abc!, {}, removed);
    expect(toks).toEqual(['M:6/8', 'K:Dmaj', '|', 'f', '3', '!trill!', 'd', 'B', '!upbow!', 'A', 'd', 'B', '!downbow!', 'A', '>', 'F', 'D', '|', '!lowermordent!', '[', '!trill!', 'c', '2', 'e', '2', ']', '!accent!', 'c', '!coda!', 'd', '!segno!', 'e', 'H', 'f', '~', 'g', '.', 'a', '|]']);
    expect(removed).toEqual({ chordSymbols: 0, annotations: 0, ignoredMarks: 3 });
    // Decoded, the decorations are the ones abcjs read from the letters.
    const back = parseAbc(detokenizeAbcV2(toks, [])).tunes[0];
    expect(back.form.voices[0].decorations?.map((d) => d.name).slice(0, 3)).toEqual(['trill', 'upbow', 'downbow']);
    const enc = buildEncoding('abc-token', [tuneFrom('X:1\nK:D\nTd`B uA|]\n')]);
    const report = emptyEncodeReport();
    enc.encode(tuneFrom('X:1\nK:D\nTd`B uA k|]\n'), report);
    expect([report.unknown, report.ignoredMarks]).toEqual([0, 2]);
  });
  it('decodes to the same notes (chord symbols aside) in text abc2midi plays the same way', () => {
    const tunes = [JIG, 'X:1\nM:2/4\nL:1/16\nK:Bb Mixolydian\nB2c2 d4|:e3f g2a2|1 b8:|2 c\'8|]\n', 'X:1\nM:3/4\nL:1/4\nK:D exp ^g\nd/e/ f3/2 g/ a|[DF]2 z|g3|]\n'].map((a) => tuneFrom(a));
    const enc = buildEncoding('abc-token', tunes);
    expect(enc.version).toBe(2);
    const exe = findAbc2midi();
    const oracle = exe ? new Abc2midi(exe) : null;
    if (!oracle) console.log('abc2midi is absent: decoded texts checked with abcjs only');
    try {
      for (const t of tunes) {
        const d = enc.decode(enc.encode(t));
        expect(triples(d.sequence)).toEqual(triples(t.sequence));
        expect(d.warnings).toEqual([]);
        if (oracle) {
          const theirs = oracle.melody(neutralizeForAbc2midi(d.abc)); // chord staggering off, as the oracle bench does
          expect(theirs, d.abc).not.toBeNull();
          expect(compareMelodies(d.sequence, theirs!).kind, d.abc).toBe('none');
        }
      }
    } finally {
      oracle?.dispose();
    }
  });
});

describe('abc-token version 2: unknown tokens', () => {
  it('holds <unk> at id 2 and encodes a token it lacks as <unk>, counted', () => {
    const enc = buildEncoding('abc-token', [tuneFrom(JIG)]);
    expect(enc.tokens[2]).toBe(UNK);
    expect(enc.unk).toBe(2);
    const report = emptyEncodeReport();
    const ids = enc.encode(tuneFrom('X:1\nM:6/8\nK:C#m\nA2B _B,,8|]\n'), report);
    expect(ids.filter((i) => i === enc.unk).length).toBe(report.unknown);
    expect(report.unknownTokens).toMatchObject({ 'K:C#min': 1, '_B,,': 1, '8': 1 });
    // Without a report it does not throw either: the token is <unk>.
    expect(enc.encode(tuneFrom('X:1\nK:C\n_B,,8|]\n'))).toContain(enc.unk);
    const d = enc.decode(ids);
    expect(d.warnings.join(' ')).toMatch(/left out 3 unknown tokens/);
  });
  it('keeps version-1 specs exactly: same tokens, same ids, same errors (the version-1 default model\'s spec)', () => {
    const spec = abcTokenV1Spec();
    expect(spec.tokens).toHaveLength(320);
    expect(spec.version).toBeUndefined();
    const enc = encodingFromSpec(spec);
    expect(enc.version).toBe(1);
    expect(enc.unk).toBeUndefined();
    expect(enc.toSpec()).toEqual({ name: 'abc-token', tokens: spec.tokens });
    const tune = tuneFrom('X:1\nM:6/8\nL:1/8\nK:D\n|:A2B c2d|e3 d3:|\n');
    const want = [0, ...tokenizeAbc(tune.abc!).map((t) => spec.tokens.indexOf(t)), 1];
    expect(want.every((i) => i >= 0)).toBe(true);
    expect(enc.encode(tune)).toEqual(want);
    expect(() => enc.encode(tuneFrom('X:1\nK:C\n"Am"c/2 d3/2 a6|]\n'))).toThrow(MusicError);
    // With a report it scores what it can: unknown tokens left out and counted, chord symbols removed.
    const report = emptyEncodeReport();
    const ids = enc.encode(tuneFrom('X:1\nK:C\n"Am"c/2 d3/2 a6|]\n'), report);
    expect(report.chordSymbols).toBe(1);
    expect(report.unknown).toBeGreaterThan(0);
    // An annotation ("^text") a version-1 vocabulary lacks is an annotation removed, not an unknown token.
    const r2 = emptyEncodeReport();
    const plain = enc.encode(tuneFrom('X:1\nM:6/8\nL:1/8\nK:D\n|:A2B c2d|e3 d3:|\n'), emptyEncodeReport());
    expect(enc.encode(tuneFrom('X:1\nM:6/8\nL:1/8\nK:D\n|:"^fine"A2B c2d|e3 d3:|\n'), r2)).toEqual(plain);
    expect([r2.annotations, r2.unknown, r2.chordSymbols]).toEqual([1, 0, 0]);
    expect(ids.length).toBe(2 + tokenizeAbc(tuneFrom('X:1\nK:C\n"Am"c/2 d3/2 a6|]\n').abc!).length - report.unknown - report.chordSymbols);
  });
  it('refuses a version-2 spec without <unk> and unknown versions', () => {
    expect(() => encodingFromSpec({ name: 'abc-token', version: 2, tokens: ['<s>', '</s>', 'a'] })).toThrow(/<unk>/);
    expect(() => encodingFromSpec({ name: 'abc-token', version: 3 as never, tokens: ['<s>', '</s>'] })).toThrow(/version/);
    expect(() => encodingFromSpec({ name: 'abc-char', version: 2, tokens: ['<s>', '</s>', '<unk>'] })).toThrow(/version 2/);
  });
});

const CORPORA = '/work/shared/corpora';
describe('abc-token version 2 over real tunes', () => {
  it.skipIf(!existsSync(CORPORA))('decodes 100 tunes of each of three collections to the same notes', () => {
    for (const f of ['abc_mit_6s191_irish/irish.abc', 'abc_nottingham/ABC_cleaned/jigs.abc', 'abc_essen_folksong/boehme10.abc']) {
      const p = join(CORPORA, f);
      if (!existsSync(p)) {
        console.log(`skipped ${f}: absent`);
        continue;
      }
      const tunes = parseAbc(readFileSync(p, 'latin1'), { file: p }).tunes.slice(0, 100).map((t) => ({ abc: t.abc, sequence: t.sequence, source: { file: p, index: 0, line: t.line } }));
      const enc = buildEncoding('abc-token', tunes);
      let same = 0;
      for (const t of tunes) if (JSON.stringify(triples(enc.decode(enc.encode(t)).sequence)) === JSON.stringify(triples(t.sequence))) same++;
      expect(same / tunes.length, f).toBeGreaterThan(0.97);
    }
  }, 180_000);
  it('fuzz: the tokenizer and decoder take mutated tunes without crashing', () => {
    const seeds = [JIG, 'X:2\nT:Voices\nM:C|\nL:1/8\nK:D\nV:1\n"D"d2 fd A2 FA|[K:Bb] B4 b4|\nV:2\nD,4 A,4|B,,8|]\n'];
    const p = join(CORPORA, 'abc_nottingham/ABC_cleaned/jigs.abc');
    if (existsSync(p)) seeds.push(...splitAbcBook(readFileSync(p, 'utf8')).tunes.slice(0, 30).map((t) => t.text));
    const enc = buildEncoding('abc-token', seeds.flatMap((s) => parseAbc(s, { file: 's' }).tunes.map((t) => ({ abc: t.abc, sequence: t.sequence, source: { file: 's', index: 0, line: 1 } }))));
    const r = rng(14);
    let cases = 0;
    for (let i = 0; i < 400; i++) {
      const a = seeds[Math.floor(r() * seeds.length)];
      const b = seeds[Math.floor(r() * seeds.length)];
      const { data } = mutateText(a, b, r);
      const parsed = parseAbc(data, { file: 'fuzz.abc' });
      for (const t of parsed.tunes) {
        const tune = { abc: t.abc, sequence: t.sequence, source: { file: 'fuzz.abc', index: 0, line: t.line } };
        const report = emptyEncodeReport();
        try {
          const ids = enc.encode(tune, report);
          expect(ids[0]).toBe(enc.bos);
          expect(ids.every((id) => Number.isInteger(id) && id >= 0 && id < enc.tokens.length)).toBe(true);
          enc.decode(ids);
        } catch (e) {
          // Only a typed error naming the tune and line is allowed.
          expect(e).toBeInstanceOf(MusicError);
          expect((e as MusicError).message).toMatch(/line \d+/);
        }
        cases++;
      }
    }
    console.log(`abc-token v2 fuzz: ${cases} mutated tunes`);
    expect(cases).toBeGreaterThan(100);
  }, 180_000);
});

describe('abc-token version 2: decoding what a model writes', () => {
  it('writes field changes after a bar line as lines, keeps a music line from reading as a field, and two lengths apart', () => {
    const warnings: string[] = [];
    const text = detokenizeAbcV2(['M:6/8', 'K:Dmaj', 'A', '2', 'B', '|', '[K:Gmaj]', 'A', ':|', 'B', '2', '/', '|]'], warnings);
    expect(text).toBe('X:1\nL:1/8\nM:6/8\nK:Dmaj\nA2B|\nK:Gmaj\n A:|B2 /|]\n');
  });
});

describe('abc-token version 2: the scanner cuts as the regular expression did', () => {
  // The same tokens, the same removals and the same errors as tokenizeAbcV2Reference (the
  // regular-expression tokenizer it replaced) on every tune, on mutated tunes and on soup.
  const same = (abc: string, chords: 'keep' | 'drop') => {
    const run = (f: typeof tokenizeAbcV2) => {
      const removed = { chordSymbols: 0, annotations: 0, ignoredMarks: 0 };
      try {
        return { tokens: f(abc, { chords, source: { file: 'f.abc', index: 2, line: 10 } }, removed), removed };
      } catch (e) {
        return { error: (e as Error).message, code: (e as MusicError).code };
      }
    };
    expect(run(tokenizeAbcV2), abc).toEqual(run(tokenizeAbcV2Reference));
  };
  const seeds = [JIG, 'X:2\nT:Voices\nM:C|\nL:1/8\nK:D\nV:1\n"D"d2 fd A2 FA|[K:Bb] B4 b4|\nV:2\nD,4 A,4|B,,8|]\n'];
  const ryans = join(CORPORA, 'abc_ryans_mammoth');
  const files = ['abc_nottingham/ABC_cleaned/jigs.abc', 'abc_oneills1850/0001-0050.abc', 'abc_oneills1850/1476-1555.abc', 'abc_essen_folksong/boehme10.abc', ...(existsSync(ryans) ? readdirSync(ryans).filter((f) => f.endsWith('.abc')).slice(0, 80).map((f) => `abc_ryans_mammoth/${f}`) : [])];
  for (const f of files) {
    const p = join(CORPORA, f);
    if (existsSync(p)) seeds.push(...splitAbcBook(readFileSync(p, 'utf8')).tunes.slice(0, 200).map((t) => t.text));
    else console.log(`scanner comparison: ${f} absent, left out`);
  }
  it('on written tunes and 3,000 mutated ones', () => {
    for (const s of seeds) for (const chords of ['keep', 'drop'] as const) same(s, chords);
    const r = rng(20);
    for (let i = 0; i < 3000; i++) {
      const { data } = mutateText(seeds[Math.floor(r() * seeds.length)], seeds[Math.floor(r() * seeds.length)], r);
      same(data, r() < 0.5 ? 'keep' : 'drop');
    }
  });
  it('on soup of the characters ABC gives meaning to', () => {
    const alphabet = ['[', ']', '|', ':', '::', '[K:G]', '[L:1/16]', '[M:3/4]', '[V:1]', '"', '"Am"', '"^x', '!', '!trill!', '+', '+fermata+', '+ +', '(', '(3', '(3:2:', '(5::2', '<', '>>', '>>>>', '{', '{/', '^', '^^', '_', '__', '=', 'A', 'c', 'G,', "e''", 'z', 'x', 'Z', 'Z3', '2', '/', '//', '3/2', '/4', '/0', ',', '-', '.', '~', 'T', 'u', 'H', 'y', 'k', '`', ' ', '\t', '\u00a0', '\u2003', '\\', '1', '[1', '|2', ':|]', '[|', '||:', ',3', '-2', '\u00e9', '\ud83c\udfb5', 'L:', 'K:'];
    const r = rng(21);
    for (let i = 0; i < 3000; i++) {
      const lines: string[] = [];
      const nLines = 1 + Math.floor(r() * 4);
      for (let l = 0; l < nLines; l++) {
        let line = '';
        const len = Math.floor(r() * 30);
        for (let k = 0; k < len; k++) line += alphabet[Math.floor(r() * alphabet.length)];
        lines.push(line);
      }
      const head = ['X:1', r() < 0.5 ? 'M:2/4' : 'M:6/8', r() < 0.3 ? 'L:1/4' : r() < 0.1 ? 'L:x' : '', 'K:G'].filter(Boolean).join('\n');
      same(head + '\n' + lines.join('\n') + '\n', r() < 0.5 ? 'keep' : 'drop');
    }
  });
});
