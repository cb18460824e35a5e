/**
 * Fuzzing the readers with mutated real files: whatever the bytes, parseAbc returns (errors are
 * MusicErrors naming the tune and line) and readMidi returns or throws a MusicError; every note that
 * comes out is well formed. Each reader gets a time budget; the case count is printed.
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

const CORPORA = '/work/shared/corpora';
const hasCorpora = existsSync(CORPORA);
if (!hasCorpora) console.log(`fuzzing with built-in seeds only: ${CORPORA} is absent`);

function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

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
const ABC_NOISE = '|:]][(){}"!^_=,\'/0123456789<>-~.zxABCDEFGabcdefgKLMQTVXP%\\\n ';

function mutateText(src: string, r: () => number): string {
  let s = src;
  const n = 1 + Math.floor(r() * 6);
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (s.length + 1));
    const op = Math.floor(r() * 6);
    if (op === 0) s = s.slice(0, at) + ABC_NOISE[Math.floor(r() * ABC_NOISE.length)] + s.slice(at);
    else if (op === 1) s = s.slice(0, at) + s.slice(at + 1 + Math.floor(r() * 8));
    else if (op === 2) s = s.slice(0, at);
    else if (op === 3) {
      const len = Math.floor(r() * 40);
      s = s.slice(0, at) + s.slice(at, at + len).repeat(1 + Math.floor(r() * 4)) + s.slice(at);
    } else if (op === 4) s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 0x3000)) + s.slice(at);
    else s = s.slice(0, at) + String(Math.floor(r() * 1e6)) + s.slice(at);
  }
  return s;
}

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

function mutateBytes(src: Uint8Array, r: () => number): Uint8Array {
  let b = Array.from(src);
  const n = 1 + Math.floor(r() * 8);
  if (r() < 0.5) {
    // Byte flips only: chunk lengths stay right, so the event reader itself gets the damage.
    for (let k = 0; k < n; k++) b[14 + Math.floor(r() * Math.max(1, b.length - 14))] = Math.floor(r() * 256);
    return Uint8Array.from(b.slice(0, src.length));
  }
  for (let k = 0; k < n; k++) {
    const at = Math.floor(r() * (b.length + 1));
    const op = Math.floor(r() * 5);
    if (op === 0 && b.length) b[Math.min(at, b.length - 1)] = Math.floor(r() * 256);
    else if (op === 1) b.splice(at, 1 + Math.floor(r() * 16));
    else if (op === 2) b = b.slice(0, at);
    else if (op === 3) b.splice(at, 0, ...Array.from({ length: 1 + Math.floor(r() * 8) }, () => Math.floor(r() * 256)));
    else if (b.length > 8) {
      // Corrupt a length or variable-length quantity near a chunk header.
      const i = Math.max(0, b.indexOf(0x4d, Math.floor(r() * b.length)));
      for (let j = 4; j < 8 && i + j < b.length; j++) b[i + j] = Math.floor(r() * 256);
    }
  }
  return Uint8Array.from(b);
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
      const text = r() < 0.2 ? mutateText(base + '\n' + seeds[Math.floor(r() * seeds.length)], r) : mutateText(base, r);
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
      const bytes = mutateBytes(seeds[Math.floor(r() * seeds.length)], r);
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
