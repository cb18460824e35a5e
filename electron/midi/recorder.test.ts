import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock';
import { LoopbackMidiSystem, soundingNotes } from './loopback';
import { OutputBus } from './output';
import { Recorder, type Recording } from './recorder';
import { rng, snapToSixteenths } from './testing';

function rig(options: Partial<ConstructorParameters<typeof Recorder>[0]> = {}) {
  const clock = new FakeClock(1000);
  const system = new LoopbackMidiSystem(clock);
  system.addOutput('Synth');
  system.addInput('Keys');
  const bus = new OutputBus();
  bus.setPort(system.openOutput('Synth'));
  const recordings: Recording[] = [];
  const recorder = new Recorder({
    clock,
    qpm: 120,
    countInBars: 1,
    metronome: { bus, during: 'count-in' },
    quantize: snapToSixteenths,
    onRecording: (t) => recordings.push(t),
    ...options,
  });
  const input = system.openInput('Keys');
  input.onMessage((bytes, t) => recorder.feed(bytes, t));
  return { clock, system, recorder, recordings };
}

describe('Recorder', () => {
  it('counts in with clicks on the drum channel, accent on the downbeat', () => {
    const { clock, system, recorder } = rig({ meter: { numerator: 3, denominator: 4 } });
    recorder.start();
    expect(recorder.state).toBe('count-in');
    clock.advance(1600);
    const clicks = system.log.filter((e) => e.bytes[0] === 0x99 && e.bytes[2] > 0);
    expect(clicks.map((e) => [e.bytes[1], e.sentMs])).toEqual([
      [76, 1020],
      [77, 1520],
      [77, 2020],
    ]);
    expect(recorder.state).toBe('recording');
    expect(recorder.downbeat).toBe(2520);
    clock.advance(3000);
    expect(system.log.filter((e) => e.bytes[0] === 0x99 && e.bytes[2] > 0)).toHaveLength(3);
    expect(soundingNotes(system.log, { honourAllNotesOff: false })).toEqual([]);
  });

  it('turns a jittery running-status performance into the seed, velocities kept', () => {
    const { clock, system, recorder } = rig();
    recorder.start();
    const random = rng(7);
    const jitter = () => (random() - 0.5) * 30; // +-15 ms, a human playing to a click
    const t0 = 3020; // downbeat: start (1000) + lead (20) + one 4/4 bar at 120 (2000)
    const melody = [
      [60, 0, 1, 90],
      [62, 1, 2, 70],
      [64, 2, 2.5, 110],
      [65, 2.5, 3, 64],
      [67, 3, 5, 100],
    ];
    const events: [number, number[]][] = [];
    for (const [p, s, e, v] of melody) {
      events.push([t0 + s * 500 + jitter(), [p, v]]);
      events.push([t0 + e * 500 - 25 + jitter(), [p, 0]]); // legato: released just before the next key
    }
    events.sort((a, b) => a[0] - b[0]);
    let first = true;
    for (const [t, data] of events) {
      clock.advanceTo(Math.max(clock.now(), t));
      system.play('Keys', first ? [0x90, ...data] : data, t); // one status byte, then running status
      first = false;
    }
    clock.advanceTo(t0 + 6 * 500);
    const recording = recorder.stop();
    expect(recording.seed.notes.map((n) => [n.pitch, n.start, n.end, n.velocity])).toEqual(melody);
    expect(recording.seed.tempos).toEqual([{ time: 0, qpm: 120 }]);
    expect(recording.seed.timeSignatures[0]).toMatchObject({ numerator: 4, denominator: 4 });
    // The unquantized performance keeps the feel.
    expect(recording.performance.notes.filter((n) => (n.start * 4) % 1 !== 0).length).toBeGreaterThan(2);
    expect(recording.stats.notes).toBe(5);
  });

  it('holds released keys while the sustain pedal is down', () => {
    const { clock, system, recorder } = rig({ countInBars: 0 });
    recorder.start(0);
    system.play('Keys', [0xb0, 64, 127], 1000);
    system.play('Keys', [0x90, 60, 80], 1000);
    system.play('Keys', [0x80, 60, 0], 1250);
    system.play('Keys', [0x90, 64, 80], 1500);
    system.play('Keys', [0x90, 60, 80], 1750); // re-struck under the pedal: the first one ends here
    system.play('Keys', [0x80, 64, 0], 1800);
    system.play('Keys', [0xb0, 64, 0], 2500);
    system.play('Keys', [0x90, 67, 80], 2500);
    system.play('Keys', [0x80, 67, 0], 2750);
    system.play('Keys', [0x80, 60, 0], 2760);
    clock.advanceTo(3000);
    const notes = recorder.stop().seed.notes.map((n) => [n.pitch, n.start, n.end]);
    expect(notes).toEqual([
      [60, 0, 1.5],
      [64, 1, 3],
      [60, 1.5, 3.5], // still held by the key after the pedal came up
      [67, 3, 3.5],
    ]);
  });

  it('stops by itself after N bars, ending held notes at the bar line', () => {
    const states: string[] = [];
    const { clock, system, recorder, recordings } = rig({ stopAfterBars: 2, countInBars: 1, onState: (s) => states.push(s) });
    recorder.start();
    clock.advanceTo(3020 + 3000);
    system.play('Keys', [0x90, 72, 100]);
    clock.advance(5000);
    expect(recordings).toHaveLength(1);
    expect(recorder.state).toBe('done');
    expect(recordings[0].seed.notes).toEqual([{ pitch: 72, start: 6, end: 8, velocity: 100, voice: 0 }]);
    expect(recordings[0].seed.totalTime).toBe(8);
    expect(states).toEqual(['count-in', 'recording', 'done']);
    system.play('Keys', [0x90, 74, 100]);
    expect(recorder.stop()).toBe(recordings[0]);
  });

  it('drops notes from the count-in, keeps an eager downbeat, survives junk and SysEx floods', () => {
    const { clock, system, recorder } = rig();
    recorder.start();
    clock.advanceTo(2000);
    system.play('Keys', [0x90, 50, 100]);
    system.play('Keys', [0x80, 50, 0], 2200);
    const flood = [0xf0, ...new Array(100_000).fill(0x11), 0xf7];
    system.play('Keys', flood, 2500);
    system.play('Keys', [0x22, 0x33], 2600); // data bytes with no status (SysEx cancelled running status)
    system.play('Keys', [0x90, 60], 2990); // truncated by the next status byte
    system.play('Keys', [0x90, 60, 100], 3000); // 20 ms before the downbeat
    system.play('Keys', [0x80, 60, 0], 3520);
    clock.advanceTo(4020);
    const recording = recorder.stop();
    expect(recording.seed.notes.map((n) => [n.pitch, n.start, n.end])).toEqual([[60, 0, 1]]);
    expect(recording.stats).toMatchObject({ beforeDownbeat: 1, sysex: 1, truncated: 1 });
    expect(recording.stats.strayBytes).toBeGreaterThan(0);
  });

  it('rejects a nonsense tempo or meter with a message that says what was expected', () => {
    const clock = new FakeClock();
    expect(() => new Recorder({ clock, qpm: 0 })).toThrow(/tempo must be a positive number/);
    expect(() => new Recorder({ clock, qpm: 120, meter: { numerator: 4, denominator: 3 } })).toThrow(/meter must look like/);
  });
});
