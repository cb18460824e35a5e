import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock';
import { LoopbackMidiSystem } from './loopback';
import { Recorder } from './recorder';
import { guessKey, seedQuantizer, seedTranscription } from './seed';
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

describe('seedQuantizer: the recorder\'s takes through the music core\'s transcription', () => {
  /** Plays pitches at the given beats (quarter notes from the downbeat) into a recorder, with a seeded jitter. */
  function record(options: { qpm: number; countInBars: number; meter?: { numerator: number; denominator: number }; metronome?: boolean }, notes: [pitch: number, beat: number, length: number][], jitterMs = 15) {
    const clock = new FakeClock(0);
    const system = new LoopbackMidiSystem(clock);
    system.addInput('Keys');
    const recorder = new Recorder({ clock, qpm: options.qpm, meter: options.meter, countInBars: options.countInBars, quantize: seedQuantizer() });
    system.openInput('Keys').onMessage((b, t) => recorder.feed(b, t));
    recorder.start(0);
    const beat = 60000 / options.qpm;
    const random = rng(5);
    const events: [number, number[]][] = [];
    for (const [p, at, len] of notes) {
      const on = recorder.downbeat + at * beat + (random() - 0.5) * 2 * jitterMs;
      events.push([on, [0x90, p, 80]], [on + len * beat * 0.9, [0x80, p, 0]]);
    }
    events.sort((a, b) => a[0] - b[0]);
    for (const [t, bytes] of events) {
      clock.advanceTo(Math.max(clock.now(), t));
      system.play('Keys', bytes, t);
    }
    clock.advanceTo(events[events.length - 1][0] + 50);
    return recorder.stop();
  }

  it('with a count-in: the click\'s tempo and the studio\'s meter; a pickup played at the end of the first bar becomes the pickup', () => {
    // 4/4 at 100: rests for three beats, then two eighths before the downbeat of bar 2.
    const tune: [number, number, number][] = [[66, 3, 0.5], [69, 3.5, 0.5], [74, 4, 1], [78, 5, 0.5], [74, 5.5, 0.5], [69, 6, 0.5], [74, 6.5, 0.5], [78, 7, 0.5], [76, 7.5, 0.5], [74, 8, 2]];
    const { seed, performance } = record({ qpm: 100, countInBars: 1, meter: { numerator: 4, denominator: 4 } }, tune);
    expect(seed.tempos[0].qpm).toBe(100);
    expect(seed.timeSignatures[0]).toMatchObject({ numerator: 4, denominator: 4 });
    expect(seed.notes.map((n) => [n.pitch, n.start])).toEqual(tune.map(([p, at]) => [p, at - 3]));
    const t = seedTranscription(performance, { clicked: true });
    expect(t.pickup).toBe(1);
    expect(t.report).toContain('pickup found: a pickup of a quarter before the first downbeat');
    // Bar-aligned, the pickup's rest comes back: the notes sit where they were played.
    expect(seedQuantizer({ alignBars: true })(performance, { clicked: true }).notes.map((n) => n.start)).toEqual(tune.map(([, at]) => at));
  });

  it('without a click (call and response): the tempo and meter come from the playing, and the seed starts at its first note', () => {
    const jig: [number, number, number][] = [67, 71, 74, 71, 67, 71, 72, 76, 79, 76, 72, 76, 74].map((p, i) => [p, 0.7 + i * 0.5, i === 12 ? 1.5 : 0.5]);
    const { seed } = record({ qpm: 120, countInBars: 0 }, jig.map(([p, at, len], i) => [p, at * (120 / 95), len * (120 / 95)] as [number, number, number]));
    // Played at 95 bpm while the studio says 120: the playing wins.
    expect(Math.abs(seed.tempos[0].qpm - 95)).toBeLessThanOrEqual(3);
    expect(seed.notes.map((n) => n.pitch)).toEqual(jig.map(([p]) => p));
    expect(seed.notes.map((n) => n.start)).toEqual(jig.map((_, i) => i / 2));
  });

  it('an empty take stays empty', () => {
    const q = seedQuantizer();
    const empty = sequence([]);
    expect(q(empty)).toBe(empty);
  });
});
