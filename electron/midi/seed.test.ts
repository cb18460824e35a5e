import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock';
import { LoopbackMidiSystem } from './loopback';
import { Recorder } from './recorder';
import { guessKey, seedQuantizer } from './seed';
import { note, rng, sequence } from './testing';

describe('seedQuantizer (music core quantize) on a recorded take', () => {
  it('snaps a swung, jittery 6/8 phrase onto the grid, keeping meter, tempo and velocities', () => {
    const clock = new FakeClock(0);
    const system = new LoopbackMidiSystem(clock);
    system.addInput('Keys');
    const recorder = new Recorder({ clock, qpm: 90, meter: { numerator: 6, denominator: 8 }, countInBars: 1, quantize: seedQuantizer() });
    system.openInput('Keys').onMessage((b, t) => recorder.feed(b, t));
    recorder.start(0);
    const eighth = 60000 / 90 / 2;
    const downbeat = recorder.downbeat;
    const random = rng(3);
    const pitches = [67, 69, 71, 72, 71, 69];
    pitches.forEach((p, i) => {
      const on = downbeat + i * eighth + (random() - 0.5) * 40;
      clock.advanceTo(Math.max(clock.now(), on));
      system.play('Keys', [0x90, p, 60 + i * 10], on);
      const off = on + eighth * 0.8;
      clock.advanceTo(off);
      system.play('Keys', [0x80, p, 64], off);
    });
    clock.advanceTo(downbeat + 6 * eighth + 10);
    const { seed } = recorder.stop();
    expect(seed.notes.map((n) => [n.pitch, n.start, n.velocity])).toEqual(pitches.map((p, i) => [p, i / 2, 60 + i * 10]));
    expect(seed.notes.every((n) => n.end > n.start && Math.abs(n.end * 4 - Math.round(n.end * 4)) < 1e-9)).toBe(true);
    expect(seed.timeSignatures[0]).toMatchObject({ numerator: 6, denominator: 8 });
    expect(seed.tempos[0].qpm).toBe(90);
    expect(seed.totalTime).toBe(3);
  });
});

describe('guessKey', () => {
  const phrase = (pitches: number[], lengths: number[] = []) =>
    sequence(pitches.map((p, i) => note(p, i, i + (lengths[i] ?? 1))));

  it('finds the signature the notes fit, and major or minor by the profiles', () => {
    expect(guessKey(phrase([62, 64, 66, 67, 69, 71, 73, 74], [2, 1, 1, 1, 2, 1, 1, 3]))).toMatchObject({ tonic: 2, mode: 'major', accidentals: 2 });
    expect(guessKey(phrase([69, 71, 72, 74, 76, 72, 71, 69], [2, 1, 1, 1, 2, 1, 1, 3]))).toMatchObject({ tonic: 9, mode: 'minor', accidentals: 0 });
    expect(guessKey(phrase([65, 67, 69, 70, 72, 70, 69, 65], [2, 1, 1, 1, 2, 1, 1, 3]))).toMatchObject({ tonic: 5, mode: 'major', accidentals: -1 });
    expect(guessKey(phrase([60, 62, 64, 60]))).toMatchObject({ accidentals: 0 });
    expect(guessKey(phrase([]))).toBeUndefined();
  });

  it('is added to the seed only when the take has no key of its own', () => {
    const q = seedQuantizer();
    expect(q(phrase([62, 66, 69, 73, 74])).keySignatures[0]).toMatchObject({ accidentals: 2 });
    const withKey = { ...phrase([62, 66]), keySignatures: [{ time: 0, tonic: 0, mode: 'major' as const, accidentals: 0 }] };
    expect(q(withKey).keySignatures).toEqual(withKey.keySignatures);
    expect(seedQuantizer({ guessKey: false })(phrase([62, 66])).keySignatures).toEqual([]);
  });
});
