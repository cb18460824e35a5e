/**
 * Fuzzing the readers with mutated real files: whatever the bytes, parseAbc returns (errors are
 * MusicErrors naming the tune and line) and readMidi returns or throws a MusicError; every note that
 * comes out is well formed. Each reader gets a time budget; the case count is printed. The
 * mutations are the reliability suite's (testing/mutate.ts); that suite runs 20,000 of each.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAbc } from './abc/read';
import { splitAbcBook } from './abc/book';
import { readMidi } from './midi/read';
import { writeMidi } from './midi/write';
import { MusicError } from './errors';
import type { NoteSequence } from './types';
import { mutateBytes, mutateText, rng } from './testing/mutate';

const CORPORA = '/work/shared/corpora';
const hasCorpora = existsSync(CORPORA);
if (!hasCorpora) console.log(`fuzzing with built-in seeds only: ${CORPORA} is absent`);

function checkSequence(s: NoteSequence) {
  for (const n of s.notes) {
    if (!(Number.isInteger(n.pitch) && n.pitch >= 0 && n.pitch <= 127 && Number.isFinite(n.start) && Number.isFinite(n.end) && n.end > n.start && n.velocity >= 1 && n.velocity <= 127)) {
      throw new Error(`bad note ${JSON.stringify(n)}`);
    }
  }
  if (!Number.isFinite(s.totalTime)) throw new Error('bad totalTime');
}

const ABC_SEEDS = [
  'X:1\nT:Seed\nM:6/8\nL:1/8\nQ:3/8=120\nK:Ador\n|:A2B c>d e|[CEG]2 (3abc z/2 {g}f|1 A3 A3:|2 ^G3 =G3-|G6|]\n',
  'X:2\nT:Voices\nM:C|\nL:1/8\nK:D\nV:1\n"D"d2 fd A2 FA|[K:Bb] B4 b4|\nV:2\nD,4 A,4|B,,8|]\n',
];
function abcSeeds(): string[] {
  const seeds = [...ABC_SEEDS];
  if (hasCorpora) {
    for (const f of ['abc_mit_6s191_irish/irish.abc', 'abc_airds_airs/book1.abc', 'abc_essen_folksong/boehme10.abc', 'abc_nottingham/ABC_cleaned/jigs.abc', 'abc_cre_irish/CRE_clean.abc']) {
      const p = join(CORPORA, f);
      if (existsSync(p)) seeds.push(...splitAbcBook(readFileSync(p, 'utf8')).tunes.slice(0, 40).map((t) => t.text));
    }
  }
  return seeds;
}

function midiSeeds(): Uint8Array[] {
  const seeds: Uint8Array[] = [
    writeMidi({ notes: [{ pitch: 60, start: 0, end: 1, velocity: 90, voice: 0 }, { pitch: 67, start: 0.5, end: 2, velocity: 50, voice: 1 }], tempos: [{ time: 0, qpm: 90 }, { time: 1, qpm: 120 }], timeSignatures: [{ time: 0, numerator: 3, denominator: 4 }], keySignatures: [{ time: 0, tonic: 9, mode: 'minor', accidentals: 0 }], totalTime: 2 }),
  ];
  if (hasCorpora) {
    for (const d of ['midi_smf_testcases/jazz-soft', 'midi_smf_testcases/music21', 'midi_jsb_chorales', 'abc_cre_irish/MIDI']) {
      const dir = join(CORPORA, d);
      if (!existsSync(dir)) continue;
      for (const f of readdirSync(dir).filter((x) => /\.(mid|kar)$/.test(x)).sort().slice(0, 12)) {
        const bytes = new Uint8Array(readFileSync(join(dir, f)));
        if (bytes.length < 60_000) seeds.push(bytes);
      }
    }
  }
  return seeds;
}

describe('fuzzing', () => {
  it('parseAbc survives mutated tunes and tune books', { timeout: 60_000 }, () => {
    const seeds = abcSeeds();
    const r = rng(20261122);
    const deadline = performance.now() + 12_000;
    let cases = 0;
    let errors = 0;
    while (performance.now() < deadline || cases < 300) {
      const base = seeds[Math.floor(r() * seeds.length)];
      const other = seeds[Math.floor(r() * seeds.length)];
      // A fifth of the cases are two-tune books: one broken tune must not take the other with it.
      const text = mutateText(r() < 0.2 ? base + '\n' + other : base, other, r).data;
      let result;
      try {
        result = parseAbc(text, { file: 'fuzz.abc' });
      } catch (e) {
        throw new Error(`case ${cases}: parseAbc threw ${(e as Error)?.stack ?? e}\n--- input ---\n${text.slice(0, 2000)}`);
      }
      for (const e of result.errors) {
        expect(e).toBeInstanceOf(MusicError);
        expect(e.file).toBe('fuzz.abc');
      }
      errors += result.errors.length;
      for (const t of result.tunes) checkSequence(t.sequence);
      cases++;
    }
    console.log(`parseAbc: ${cases} mutated inputs from ${seeds.length} real tunes, ${errors} typed errors, no crash`);
    expect(cases).toBeGreaterThanOrEqual(300);
  });

  it('readMidi survives mutated MIDI files', { timeout: 60_000 }, () => {
    const seeds = midiSeeds();
    const r = rng(7);
    const deadline = performance.now() + 6_000;
    let cases = 0;
    let rejected = 0;
    while (performance.now() < deadline || cases < 1000) {
      const bytes = mutateBytes(seeds[Math.floor(r() * seeds.length)], seeds[Math.floor(r() * seeds.length)], r).data;
      try {
        const m = readMidi(bytes, { file: 'fuzz.mid', tracks: r() < 0.5 ? 'all' : 'melody' });
        checkSequence(m.sequence);
      } catch (e) {
        if (!(e instanceof MusicError)) throw new Error(`case ${cases}: readMidi threw ${(e as Error)?.stack ?? e}`);
        expect(e.message).toMatch(/^fuzz\.mid: /);
        rejected++;
      }
      cases++;
    }
    console.log(`readMidi: ${cases} mutated files from ${seeds.length} real ones, ${rejected} rejected with typed errors, no crash`);
    expect(cases).toBeGreaterThanOrEqual(1000);
  });
});
