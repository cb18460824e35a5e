import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAbc } from '../abc/read';
import { splitAbcBook } from '../abc/book';
import { Abc2midi, compareMelodies, findAbc2midi } from '../abc/abc2midi';
import { writeAbc } from '../abc/write';
import { MusicError } from '../errors';
import { quantize } from '../sequence';
import { findCorpora } from '../testing/corpora';
import { mutateText, rng } from '../testing/mutate';
import type { NoteSequence } from '../types';
import { expandPartOrder, perform } from './perform';
import { notate } from './notate';
import { writeTuneForm } from './write';

const exe = findAbc2midi();
if (!exe) console.log('skipping the abc2midi comparisons of the tune form: abc2midi is not installed (apt-get install abcmidi)');
const corpora = findCorpora(new URL('.', import.meta.url).pathname);
if (!corpora) console.log('skipping the corpus parts of the tune form tests: no shared/corpora above this folder');

const notes = (s: NoteSequence) => s.notes.map((n) => [n.pitch, +n.start.toFixed(4), +n.end.toFixed(4)]);
const tune = (text: string, opts = {}) => {
  const r = parseAbc(text, opts);
  expect(r.errors).toEqual([]);
  return r.tunes[0];
};

const JIG = 'X:7\nT:Banish Misfortune\nT:Second title\nC:trad\nR:jig\nM:6/8\nL:1/8\nQ:3/8=100\nK:Dmix\nd/e/|:"D"f2d cAG|"C"c2B cAG|1 "D"A2d def:|2 A3 A2||\n|:"G"g3 g2a|[K:G]b2a g3:|\n';

describe('the tune form keeps what the notation says', () => {
  it('header fields, pickup, bar lines, repeats, endings, chord symbols and key changes', () => {
    const f = tune(JIG).form;
    expect(f.x).toBe('7');
    expect(f.header.map((h) => `${h.field}:${h.value}`)).toEqual(['T:Banish Misfortune', 'T:Second title', 'C:trad', 'R:jig', 'M:6/8', 'L:1/8', 'Q:3/8=100']);
    expect(f.keyText).toBe('Dmix');
    expect(f.unit).toEqual([1, 8]);
    expect(f.pickup).toBe(0.5);
    const v = f.voices[0];
    expect(v.bars.map((b) => [b.start, b.end, b.line, b.ending ?? ''])).toEqual([
      [0, 0.5, '|:', ''],
      [0.5, 3.5, '|', ''],
      [3.5, 6.5, '|', ''],
      [6.5, 9.5, ':|', '1'],
      // A3 A2 completes the pickup's bar; its || and the next line's |: are one bar line.
      [9.5, 12, '|:', '2'],
      [12, 15, '|', ''],
      [15, 18, ':|', ''],
    ]);
    expect(v.chords.map((c) => [c.time, c.name])).toEqual([[0.5, 'D'], [3.5, 'C'], [6.5, 'D'], [12, 'G']]);
    expect(f.keySignatures.map((k) => [k.time, k.tonic, k.mode])).toEqual([[0, 2, 'mixolydian'], [15, 7, 'major']]);
  });

  it('writes it back: the same notation, the same performance', () => {
    const t = tune(JIG);
    const copy = writeTuneForm(t.form);
    expect(copy).toMatch(/^X:7\nT:Banish Misfortune\nT:Second title\nC:trad\nR:jig\nM:6\/8\nL:1\/8\nQ:3\/8=100\nK:Dmix\n/);
    expect(copy).toContain('"D"f2d cAG');
    expect(copy).toContain('[1 "D"A2d def:|');
    const back = tune(copy);
    expect(notes(back.sequence)).toEqual(notes(t.sequence));
    expect(back.form.voices[0].bars.map((b) => [b.start, b.end, b.line, b.ending ?? ''])).toEqual(t.form.voices[0].bars.map((b) => [b.start, b.end, b.line, b.ending ?? '']));
    expect(writeTuneForm(t.form, { title: 'Renamed', x: 3 })).toMatch(/^X:3\nT:Renamed\nT:Second title\n/);
  });

  it('keeps parts, broken rhythm and voices', () => {
    const t = tune('X:1\nT:Parts\nP:ABA\nM:4/4\nL:1/8\nR:hornpipe\nK:G\nV:1\nP:A\nG>A B<c d2 d2|]\nP:B\ng2 g2 ab ag|]\nV:2\nG,8|G,8|]\n', { voices: 'all' });
    expect(t.form.parts).toBe('ABA');
    expect(t.form.voices[0].bars.map((b) => b.part ?? '')).toEqual(['A', 'B']);
    expect(t.form.voices[0].broken).toEqual([{ time: 0, sign: '>' }, { time: 1, sign: '<' }]);
    expect(t.form.voices.length).toBe(2);
    const copy = writeTuneForm(t.form);
    expect(copy).toMatch(/^P:A$/m);
    expect(copy).toMatch(/^P:B$/m);
    expect(notes(parseAbc(copy, { voices: 'all' }).tunes[0].sequence)).toEqual(notes(t.sequence));
  });
});

describe('perform(form)', () => {
  it('expands P: orders', () => {
    expect(expandPartOrder('AABA')).toEqual([...'AABA']);
    expect(expandPartOrder('A2B')).toEqual([...'AAB']);
    expect(expandPartOrder('(AB)2C.D')).toEqual([...'ABABCD']);
  });
  it('follows the P: order unless told not to, and plays as written without one', () => {
    const text = 'X:1\nT:p\nP:BA2\nM:4/4\nL:1/4\nK:C\nP:A\n|:D4:|\nP:B\nE4|]\n';
    expect(tune(text).sequence.notes.map((n) => n.pitch)).toEqual([64, 62, 62, 62, 62]);
    expect(tune(text, { parts: false }).sequence.notes.map((n) => n.pitch)).toEqual([62, 62, 64]);
  });
  it.skipIf(!exe)('plays P: orders, repeats, endings and hornpipe swing as abc2midi does', () => {
    const oracle = new Abc2midi(exe!);
    try {
      const cases = [
        'X:1\nT:p\nP:(AB)2A\nM:4/4\nL:1/4\nK:C\nC4|\nP:A\n|:D4:|\nP:B\nE4|F4|]\n',
        'X:1\nT:p\nP:ABC\nM:4/4\nL:1/4\nK:C\n[P:A]D4|[P:B]E4|]\n',
        'X:1\nT:e\nM:2/4\nL:1/4\nK:C\n|:C D|1 E F:|2 G A|]\n',
        'X:1\nT:hp\nR:hornpipe\nM:4/4\nL:1/8\nK:D\nA|Bc de fg ab|c2 dz e/f/g ab|c>d e<f (3gfe d2|]\n',
        'X:1\nT:hp\nR:Hornpipe\nM:2/4\nL:1/16\nK:D\nAB|cd ef g2 a>b|c2 dc BAGF|]\n',
        'X:1\nT:hp\nR:hornpipe\nM:6/8\nL:1/8\nK:D\nA>B c d>e f|]\n',
      ];
      const theirs = oracle.melodies(cases);
      cases.forEach((text, i) => {
        const ours = tune(text, { parts: true, swing: true }).sequence;
        expect(compareMelodies(ours, theirs[i]!), text).toEqual({ kind: 'none' });
      });
    } finally {
      oracle.dispose();
    }
  });
});

describe('notate: a performance without notation', () => {
  const played = tune('X:1\nT:Pick\nM:3/4\nL:1/4\nK:D\nA|:dfa|afd|dfa|a2A:|\n').sequence;
  it('bars from the meter with the pickup given or detected, and folds exact repeats only', () => {
    const f = notate(played, { pickup: 'detect' });
    expect(f.pickup).toBe(1);
    expect(f.voices[0].bars.map((b) => b.line)).toEqual(['|:', '|', '|', '|', ':|']);
    expect(notes(perform(f))).toEqual(notes(quantize(played)));
    // Change one note of the second time through: no repeat.
    const changed = { ...played, notes: played.notes.map((n, i) => (i === 20 ? { ...n, pitch: n.pitch + 2 } : n)) };
    const g = notate(changed, { pickup: 'detect' });
    expect(g.voices[0].bars.some((b) => b.line === ':|')).toBe(false);
    expect(notes(perform(g))).toEqual(notes(quantize(changed)));
    expect(notate(played, { pickup: 0, repeats: false }).voices[0].bars.every((b, i, all) => b.line === (i === all.length - 1 ? '|]' : '|'))).toBe(true);
  });
  it('writeAbc keeps its options: seeds come out as before (no pickup, no folding, open end)', () => {
    const abc = writeAbc(played, { pickup: 0, repeats: false, finalBar: false, tempo: false, title: 'Seed' });
    // The same text as before the tune form (checked against main's writer).
    expect(abc).toBe('X:1\nT:Seed\nM:3/4\nL:1/8\nK:D\nA2 d2 f2| a2 a2 f2| d2 d2 f2| a2 a4|\nA2 d2 f2| a2 a2 f2| d2 d2 f2| a2 a4|\nA2 z4|\n');
    expect(writeAbc(played, { pickup: 'detect' })).toMatch(/^A2\|: ?d2 f2 a2\|/m);
    expect(writeAbc(played, { meter: { numerator: 6, denominator: 8 }, repeats: false })).toMatch(/^M:6\/8$/m);
  });
});

describe('fuzzing the tune form reader and writer', () => {
  // 200 cases (~30 s idle). The bound is for a loaded machine: 400 cases took 59 s alone and 218 s
  // beside a build and Chromium at load 20, past the old 120 s limit.
  it('mutated tunes: typed errors naming tune and line, and every form read is written and read back', { timeout: 600_000 }, () => {
    const seeds = [JIG, 'X:2\nT:Voices\nP:AB\nM:C|\nL:1/8\nK:D\nV:1\nP:A\n"D"d2 fd A2 FA|[K:Bb] B4 b4|\nP:B\n|:c>d (3efg a2 a2:|\nV:2\nD,4 A,4|B,,8|]\n'];
    if (corpora) {
      for (const f of ['abc_mit_6s191_irish/irish.abc', 'abc_nottingham/ABC_cleaned/hpps.abc', 'abc_oneills1850/0001-0050.abc']) {
        const p = join(corpora, f);
        if (existsSync(p)) seeds.push(...splitAbcBook(readFileSync(p, 'utf8')).tunes.slice(0, 30).map((t) => t.text));
      }
    }
    const CASES = 200;
    const r = rng(1414);
    let forms = 0;
    let errors = 0;
    let same = 0;
    for (let c = 0; c < CASES; c++) {
      const text = mutateText(seeds[Math.floor(r() * seeds.length)], seeds[Math.floor(r() * seeds.length)], r).data;
      const result = parseAbc(text, { file: 'fuzz.abc', swing: true });
      for (const e of result.errors) {
        expect(e).toBeInstanceOf(MusicError);
        // Every error names its line; errors about one tune name the tune too (a binary file has none).
        if (e.code !== 'abc-no-tunes') expect(typeof e.line, e.message).toBe('number');
        if (!/binary|no tune/.test(e.message)) expect(typeof e.tune, e.message).toBe('number');
      }
      errors += result.errors.length;
      for (const t of result.tunes) {
        let copy: string;
        try {
          copy = writeTuneForm(t.form);
          writeAbc(t.sequence, { pickup: 'detect' });
        } catch (e) {
          throw new Error(`case ${c}: the writer threw ${(e as Error).stack}\n--- input ---\n${text.slice(0, 2000)}`);
        }
        const back = parseAbc(copy, { file: 'copy.abc', swing: true });
        for (const e of back.errors) expect(e).toBeInstanceOf(MusicError);
        forms++;
        if (back.tunes[0] && compareMelodies(back.tunes[0].sequence, t.sequence).kind === 'none') same++;
      }
    }
    console.log(`tune form: ${CASES} mutated inputs, ${forms} forms written and read back (${same} with the same notes), ${errors} typed errors, no crash`);
    expect(forms).toBeGreaterThan(50);
  });
});

describe('the writer keeps line breaks and decorations as written (#14 item 3)', () => {
  it('ABC -> ABC: the lines end where the musician ended them; trills, rolls, staccato and dynamics stay', async () => {
    const { parseAbc } = await import('../abc/read');
    const { writeTuneForm } = await import('./write');
    const text = 'X:12\nT:The Kesh\nM:6/8\nL:1/8\nK:G\n|:GAG GAB|ABA ABd|edd gdd|\nedB dBA|GAG GAB:|\n!trill!B2B d2d|~e2e dBA|.B2B !p!dBG|\nABA AGA|]\n';
    const t = parseAbc(text).tunes[0];
    const out = writeTuneForm(t.form);
    expect(out.split('\n').slice(5, 9)).toEqual(['|:GAG GAB| ABA ABd| edd gdd|', 'edB dBA| GAG GAB:|', '!trill!B2B d2d| ~e2e dBA| .B2B !p!dBG|', 'ABA AGA|]']);
    const back = parseAbc(out).tunes[0];
    expect(back.sequence.notes.map((n) => [n.pitch, n.start, n.end, n.velocity])).toEqual(t.sequence.notes.map((n) => [n.pitch, n.start, n.end, n.velocity]));
    // A form without line breaks (notes from a performance) is still written four bars a line.
    expect(writeTuneForm({ ...t.form, voices: t.form.voices.map((v) => ({ ...v, bars: v.bars.map(({ lineBreak: _, ...b }) => b) })) }).split('\n')[5]).toBe('|:GAG GAB| ABA ABd| edd gdd| edB dBA|');
  });
});

describe('the writer keeps broken rhythm as written (#14 item 3)', () => {
  it('a>b and a<b come back as signs, not dotted lengths, and play the same (the hornpipe swing too)', async () => {
    const { parseAbc } = await import('../abc/read');
    const { writeTuneForm } = await import('./write');
    const text = 'X:1\nT:Hp\nR:hornpipe\nM:4/4\nL:1/8\nK:G\n(3DEF|G>AB>c d>BG>B|c<AF>A G2:|\n';
    const t = parseAbc(text).tunes[0];
    const out = writeTuneForm(t.form);
    expect(out).toContain('G>A B>c d>B G>B| c<A F>A G2:|');
    for (const swing of [false, true]) {
      const a = parseAbc(text, { swing }).tunes[0].sequence.notes;
      const b = parseAbc(out, { swing }).tunes[0].sequence.notes;
      expect(b.map((n) => [n.pitch, n.start, n.end])).toEqual(a.map((n) => [n.pitch, n.start, n.end]));
    }
    // Dotted lengths written as such stay dotted.
    expect(writeTuneForm(parseAbc('X:1\nM:2/4\nL:1/8\nK:D\nd3/2e/ fd|\n').tunes[0].form)).toContain('d3/2e/ fd|');
  });
});

describe('the writer keeps voices, units and endings as written (#14 leftovers)', () => {
  const same = (a: string, b: string) => expect(notes(parseAbc(b, { voices: 'all' }).tunes[0].sequence)).toEqual(notes(parseAbc(a, { voices: 'all' }).tunes[0].sequence));
  it('voice ids, names and their header definitions; inline [V:] stays inline', () => {
    const text = 'X:1\nT:Two\nM:4/4\nL:1/8\nV:S name="Soprano" clef=treble\nV:A nm="Alto"\nK:G\nV:S\nGABc d2e2|g8|]\nV:A\nB,CDE F2G2|B8|]\n';
    const t = tune(text, { voices: 'all' });
    expect(t.form.voices.map((v) => v.id)).toEqual(['S', 'A']);
    const copy = writeTuneForm(t.form);
    expect(copy).toContain('V:S name="Soprano" clef=treble\nV:A nm="Alto"\nK:G\nV:S\n');
    expect(copy).toMatch(/^V:A$/m);
    same(text, copy);
    const inline = 'X:1\nM:C\nL:1/8\nK:D\n[V:1] A2|d2d>e d2A2|d6::\n[V:2] A>G|F2F>A F2D2|F6::\n';
    const c2 = writeTuneForm(tune(inline, { voices: 'all' }).form);
    expect(c2).toMatch(/^\[V:1\] A2\|/m);
    expect(c2).toMatch(/^\[V:2\] A>G\|/m);
    expect(c2).not.toMatch(/^V:/m);
    same(inline, c2);
    // A single voice named in the body keeps its V: line.
    expect(writeTuneForm(tune('X:1\nM:2/4\nL:1/8\nK:G\nV:Fiddle name="Fiddle"\nGABc|d4|]\n').form)).toContain('K:G\nV:Fiddle name="Fiddle"\nGA Bc|');
  });
  it('[L:] changes stay where they were written, also when abcjs carries one into the next voice', () => {
    const one = 'X:1\nM:4/4\nL:1/8\nK:G\nGABc d2 [L:1/16]e4f4|[L:1/4]g2 a b|]\n';
    const c1 = writeTuneForm(tune(one).form);
    expect(c1).toContain('d2 [L:1/16]e4 f4| [L:1/4]g2 a b|]');
    same(one, c1);
    // abcjs applies an L: to everything after it in the text: the alto reads its first bar in 1/4.
    const two = 'X:1\nM:4/4\nL:1/8\nV:S\nV:A\nK:G\nV:S\nGABc d2 [L:1/4] e f|g2 a b|]\nV:A\nB,CDE F2 G2|[L:1/16]B4c4 d8|]\n';
    const c2 = writeTuneForm(tune(two, { voices: 'all' }).form);
    expect(c2).toContain('V:A\n[L:1/4]');
    same(two, c2);
  });
  it('a K: line right after the header\'s (K:D then K:F) opens the body', () => {
    const text = 'X:6\nM:3/4\nL:1/4\nK:D\nK:F\n=Fde|fed|d3|]\n';
    const copy = writeTuneForm(tune(text).form);
    expect(copy).toContain('K:D\n[K:F]F d e|');
    same(text, copy);
  });
  it('an ending named in words (["Coda") keeps its quotes', () => {
    const text = 'X:1\nM:2/4\nL:1/8\nK:G\nGABc|d4||["Coda" g4|]\n';
    const t = tune(text);
    expect(t.form.voices[0].bars.map((b) => b.ending ?? '')).toEqual(['', '', 'Coda']);
    const copy = writeTuneForm(t.form);
    expect(copy).toContain('||["Coda" g4|]');
    expect(tune(copy).form.voices[0].bars.map((b) => b.ending ?? '')).toEqual(['', '', 'Coda']);
  });
  it('an ending that starts inside a bar (A2A2 [1 Bd|) gets no bar line before it', () => {
    const text = 'X:59\nM:2/4\nL:1/16\nK:Em\nG2|D3E G3A|B2A2A2\n[1 Bd|e2e2 gedB:|\n[2 Bd|e2ge d2ed|]\n';
    const t = tune(text);
    expect(t.form.voices[0].bars.map((b) => b.line)).toEqual(['|', '|', '', '|', ':|', '|', '|]']);
    const copy = writeTuneForm(t.form);
    expect(copy).toContain('B2A2 A2\n[1 Bd|');
    same(text, copy);
  });
  it('triplets after a bar of a 16th in mid tune (|:g/|) keep their beats', () => {
    const text = 'X:212\nM:C\nL:1/8\nK:D\nFAA2 BAFA|dfed B2A>||\n|:g/|faa2 bgaf|(3gfe fd B2A>g|faa2 bgaf|(3gfe fd BABd:|\n';
    const copy = writeTuneForm(tune(text).form);
    expect(copy).toContain('(3gfe fd');
    same(text, copy);
    // Triplet 32nds, also in the last 16th of a short bar.
    const reel = 'X:1\nM:2/4\nL:1/16\nK:A\n|: e2 |.a2(ge) ((3f/g/a/)(ec) | (df).e.c .A2((3e/f/g/) |.a2ge (3f/g/a/ec|dfec A2:|\n';
    const c2 = writeTuneForm(tune(reel).form);
    expect(c2).toContain('(3f/g/a/ec');
    expect(c2).toContain('.A2(3e/f/g/|');
    same(reel, c2);
  });
});

describe('fuzzing the writer with damaged forms', () => {
  it('bar lines, endings, units, voice fields and times out of order: the writer never throws and its copy reads or fails typed', { timeout: 120_000 }, () => {
    const seeds = [
      JIG,
      'X:3\nT:Units\nM:4/4\nL:1/8\nV:S name="Top"\nV:A\nK:G\nV:S\nGABc d2 [L:1/16]e4f4|[L:1/4]g2 a b|]\nV:A\n[L:1/8]B,CDE F2G2|B8|]\n',
      'X:59\nM:2/4\nL:1/16\nK:Em\nG2|D3E G3A|B2A2A2\n[1 Bd|e2e2 gedB:|\n[2 Bd|e2ge d2ed|]\n',
      'X:4\nM:C\nL:1/8\nK:D\n[V:1] A2|d2d>e (3fed A2|d6::\n[V:2] A>G|F2F>A F2D2|F6::\n',
    ].map((t) => parseAbc(t, { voices: 'all' }).tunes[0].form);
    const r = rng(2024);
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const lines = ['|', '||', '[|', '|]', '|:', ':|', '::', ''] as const;
    let written = 0;
    let read = 0;
    for (let c = 0; c < 200; c++) {
      const base = pick(seeds);
      const form: typeof base = JSON.parse(JSON.stringify(base));
      for (const v of form.voices) {
        for (const b of v.bars) {
          if (r() < 0.2) b.line = pick(lines);
          if (r() < 0.1) b.ending = pick(['1', '2', '1,3', '', '99']);
          if (r() < 0.05) b.end = b.start - r();
        }
        if (r() < 0.5) v.units = Array.from({ length: Math.floor(r() * 4) }, () => ({ time: Math.floor(r() * 40) / 4 - 1, unit: [pick([0, 1, 3, 7]), pick([0, 1, 2, 8, 16, 64, 512])] as [number, number] }));
        if (r() < 0.3) v.written = { value: pick(['', 'S', 'A b', '1 name="x y"', 'é']), inline: r() < 0.5 };
        if (r() < 0.2) v.id = pick(['', 'S', 'A', '1']);
        if (r() < 0.1) v.notes = v.notes.map((n) => ({ ...n, start: n.start + pick([0, 1 / 3, 1 / 5, -0.5]) })).filter((n) => n.end > n.start);
      }
      let copy: string;
      try {
        copy = writeTuneForm(form);
      } catch (e) {
        throw new Error(`case ${c}: the writer threw ${(e as Error).stack}\n${JSON.stringify(form).slice(0, 1500)}`);
      }
      written++;
      const back = parseAbc(copy, { file: 'copy.abc', voices: 'all' });
      for (const e of back.errors) expect(e).toBeInstanceOf(MusicError);
      if (back.tunes.length) read++;
    }
    console.log(`writer fuzz: ${written} damaged forms written, ${read} copies read back, the rest typed errors`);
    expect(read).toBeGreaterThan(100);
  });
});
