import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import abcjs from 'abcjs';
import { describe, expect, it } from 'vitest';
import { performTune, snap } from './perform';
import { parseAbc } from '../abc/read';
import { splitAbcBook } from '../abc/book';

const tune = (body: string, head = 'M:4/4\nL:1/8\nK:C') => `X:1\nT:t\n${head}\n${body}\n`;
const notes = (abc: string, opts = {}) => {
  const r = parseAbc(abc, opts);
  expect(r.errors).toEqual([]);
  return r.tunes[0].sequence.notes;
};
const timeline = (abc: string, opts = {}) => notes(abc, opts).map((n) => [n.pitch, n.start, n.end]);

describe('performTune (through parseAbc)', () => {
  it('does not stretch note lengths at an inline tempo change (abcjs player did)', () => {
    expect(timeline(tune('C D [Q:1/4=60] E F|', 'M:4/4\nL:1/4\nQ:1/4=120\nK:C'))).toEqual([
      [60, 0, 1],
      [62, 1, 2],
      [64, 2, 3],
      [65, 3, 4],
    ]);
  });

  it('plays a 2nd ending that runs to the end of the tune once', () => {
    const pitches = timeline(tune('|:C D:|\n|:E F|1 G A:|\n[2 B c|]', 'M:2/4\nL:1/4\nK:C')).map((n) => n[0]);
    expect(pitches).toEqual([60, 62, 60, 62, 64, 65, 67, 69, 64, 65, 71, 72]);
  });

  it('plays three endings in turn', () => {
    const pitches = timeline(tune('|:C|1 D:|2 E:|3 F|]', 'M:1/4\nL:1/4\nK:C')).map((n) => n[0]);
    expect(pitches).toEqual([60, 62, 60, 64, 60, 65]);
  });

  it('joins ties across bar lines and repeats, and a tie in a chord holds only its note', () => {
    expect(timeline(tune('|:C2-|C2 D2:|'))).toEqual([
      [60, 0, 2],
      [62, 2, 3],
      [60, 3, 5],
      [62, 5, 6],
    ]);
    expect(timeline(tune('[CE-]2 [DE]2|'))).toEqual([
      [60, 0, 1],
      [64, 0, 2],
      [62, 1, 2],
    ]);
  });

  it('times triplets and other tuplets exactly', () => {
    const t = timeline(tune('(3CDE (5CDEFG (3:2:4C/D/E/F/ c2|', 'M:4/4\nL:1/8\nK:C'));
    for (const n of t.slice(0, 3)) expect(n[2] - n[1]).toBeCloseTo(1 / 3, 9);
    expect(t[2][2]).toBe(1);
    // (5 in simple meter: five in the time of two.
    expect(t.slice(3, 8).map((n) => +(n[2] - n[1]).toFixed(9))).toEqual(Array(5).fill(0.2));
    expect(t[8][1]).toBe(2);
    // (3:2:4 puts four 16ths in 2/3 of their time.
    expect(t[12][0]).toBe(72);
    expect(t[12][1]).toBeCloseTo(2 + 2 / 3, 9);
  });

  it('plays (5, (7 and (9 in a compound meter in the time of three (ABC 2.1, abc2midi), unless the ratio is written', () => {
    const lengths = (abc: string) => timeline(abc).map((n) => +(n[2] - n[1]).toFixed(6));
    expect(lengths(tune('(5ABcde f3|(7ABcdefg f3|', 'M:6/8\nL:1/8\nK:C'))).toEqual([...Array(5).fill(0.3), 1.5, ...Array(7).fill(0.214286), 1.5]);
    expect(lengths(tune('(5ABcde f3|', 'M:2/4\nL:1/8\nK:C')).slice(0, 5)).toEqual(Array(5).fill(0.2));
    expect(lengths(tune('(5:2ABcde f3|', 'M:6/8\nL:1/8\nK:C')).slice(0, 5)).toEqual(Array(5).fill(0.2));
  });

  it('keeps grace notes in the first half of the main note when asked', () => {
    expect(timeline(tune('{ga}A2 B'), { graces: 'keep' })).toEqual([
      [79, 0, 0.25],
      [81, 0.25, 0.5],
      [69, 0.5, 1],
      [71, 1, 1.5],
    ]);
    // Dropped (default): the main note keeps its written time, but a grace's accidental still
    // holds through the bar (abcjs and abc2midi agree).
    expect(timeline(tune('{^g}A2 g'))).toEqual([
      [69, 0, 1],
      [80, 1, 1.5],
    ]);
  });

  it('accents beats: the bar\'s first note, other beats, off-beats and the pickup', () => {
    const v = notes(tune('C|C D E F G A B c|', 'M:4/4\nL:1/8\nK:C')).map((n) => n.velocity);
    // pickup, then beat 1, off, beat 2, off, ...
    expect(v).toEqual([85, 105, 85, 95, 85, 95, 85, 95, 85]);
  });

  it('follows dynamics, accents and hairpins', () => {
    const v = notes(tune('!p!C D !f!E !accent!F|!crescendo(!C D E !crescendo)!F|', 'M:4/4\nL:1/4\nK:C')).map((n) => n.velocity);
    // p: beat 1 then beat 2; f: beat 3; an accent on f's beat 4 is 1.5 times 95, capped.
    expect(v.slice(0, 4)).toEqual([60, 50, 95, 127]);
    // The crescendo adds to every beat's accent, note by note (D, E, F are all on beats).
    expect(v[6]).toBeGreaterThan(v[5]);
    expect(v[7]).toBeGreaterThan(v[6]);
    expect(v[7]).toBeLessThanOrEqual(127);
  });

  it('plays a treble-8 clef an octave down and %%MIDI transpose', () => {
    expect(timeline(tune('c', 'L:1/4\nK:C clef=treble-8')).map((n) => n[0])).toEqual([60]);
    expect(timeline(tune('c', 'L:1/4\n%%MIDI transpose 2\nK:C')).map((n) => n[0])).toEqual([74]);
  });

  it('numbers voices as abcjs does and reports the notes of each', () => {
    const parsed = abcjs.parseOnly('X:1\nL:1/4\nK:C\nV:1\nc d|\nV:2\nC, D, E,|\n')[0];
    const p = performTune(parsed as never, 'drop');
    expect(p.voices.map((v) => v.notes.map((n) => n.pitch))).toEqual([[72, 74], [48, 50, 52]]);
    expect(p.voices.map((v) => v.played)).toEqual([2, 3]);
  });

  it('gives the start times of the notes the caller asks about, once per time played', () => {
    const text = 'X:1\nL:1/4\nK:C\n|:C D:|\n';
    const parsed = abcjs.parseOnly(text)[0];
    const d = text.indexOf('D');
    const p = performTune(parsed as never, 'drop', new Set([d]));
    expect(p.anchorTimes.get(d)).toEqual([0.25, 0.75]);
  });
});

/**
 * abcjs's own player (setUpAudio) as the reference: performTune must play the same notes from the
 * same tree. Ornaments are taken out first (parseAbc does; abcjs would play them as runs of short
 * notes), and tunes with tempo changes in the body are left out (the one deliberate difference).
 */
const ORNAMENTS = new Set(['trill', 'trillh', 'lowermordent', 'uppermordent', 'mordent', 'pralltriller', 'turn', 'roll', 'irishroll', 'turnx', 'invertedturn', 'invertedturnx', 'arpeggio', 'slide']);
type El = { decoration?: string[] };
function stripOrnaments(t: abcjs.TuneObject): void {
  for (const line of t.lines ?? []) for (const staff of (line as { staff?: { voices?: El[][] }[] }).staff ?? []) for (const voice of staff.voices ?? []) for (const el of voice) if (el.decoration) el.decoration = el.decoration.filter((d) => !ORNAMENTS.has(d));
}
function viaAbcjs(text: string): string[][] {
  const t = abcjs.parseOnly(text)[0];
  stripOrnaments(t);
  const audio = t.setUpAudio({ chordsOff: true });
  return audio.tracks.map((tr) =>
    tr
      .filter((e): e is abcjs.AudioTrackNoteItem => e.cmd === 'note')
      .map((e) => ({ pitch: e.pitch, start: snap(e.start), end: snap(e.start + e.duration), velocity: Math.min(127, Math.max(1, Math.round(e.volume ?? 0))) }))
      .filter((n) => n.end > n.start && n.pitch >= 0 && n.pitch <= 127)
      .map((n) => `${n.pitch}@${n.start}-${n.end}v${n.velocity}`)
      .sort(),
  );
}
function viaPerform(text: string): string[][] {
  const t = abcjs.parseOnly(text)[0];
  stripOrnaments(t);
  return performTune(t as never, 'keep', undefined, false).voices.map((v) => v.notes.map((n) => `${n.pitch}@${n.start}-${n.end}v${n.velocity}`).sort());
}

describe('performTune plays as abcjs\'s player does', () => {
  const cases = [
    tune('|:C D E F|1 G A B c:|2 B A G F|]'),
    tune('|:C>D E<F (3GAB c2|{g}A2 {ag}B2 [CEG]2 z2::d2-d e f2 g2:|'),
    tune('!p!C D !mf!E F|!crescendo(!G A B !crescendo)!c|!ff!d2 !diminuendo(!c B !diminuendo)!A|'),
    tune('C D ^F G|F =F _B B|[K:D] F c z2|[M:3/4] A B c|'),
    tune('(3:2:4C/D/E/F/ G2 (5ABcde|', 'M:2/4\nL:1/8\nK:C'),
    'X:1\nL:1/8\nM:2/4\nK:G\nV:1\nGA|B2 d2:|\nV:2 clef=bass\nG,,2|D,2 G,2:|\n',
  ];
  it('on hand-written tunes', () => {
    for (const c of cases) expect(viaPerform(c), c).toEqual(viaAbcjs(c));
  });

  const corpora = new URL('../../../../shared/corpora', import.meta.url).pathname;
  const have = existsSync(corpora);
  if (!have) console.log(`skipping the corpus comparison with abcjs's player: no corpora at ${corpora}`);
  it.skipIf(!have)('on every 25th tune of each ABC collection', () => {
    const walk = (d: string): string[] => readdirSync(d).sort().flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.abc') ? [join(d, f)] : []));
    let compared = 0;
    for (const dir of readdirSync(corpora).filter((d) => d.startsWith('abc_')).sort()) {
      let i = 0;
      for (const file of walk(join(corpora, dir)))
        for (const t of splitAbcBook(readFileSync(file, 'utf8')).tunes) {
          if (i++ % 25 !== 0) continue;
          const body = t.text.slice(t.text.search(/^K:/m));
          if (/(?:^|\[)Q:/m.test(body)) continue;
          expect(viaPerform(t.text), `${file} X:${t.x}`).toEqual(viaAbcjs(t.text));
          compared++;
        }
    }
    expect(compared).toBeGreaterThan(500);
  }, 120_000);
});
