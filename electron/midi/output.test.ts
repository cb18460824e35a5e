import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock';
import { LoopbackMidiSystem, soundingNotes } from './loopback';
import { OutputBus } from './output';

function rig() {
  const clock = new FakeClock();
  const system = new LoopbackMidiSystem(clock);
  system.addOutput('A');
  system.addOutput('B');
  const errors: string[] = [];
  const bus = new OutputBus({ onError: (m) => errors.push(m) });
  bus.setPort(system.openOutput('A'));
  return { clock, system, bus, errors };
}

describe('OutputBus panic', () => {
  it('sends a note-off for every sounding note, then CC123 and CC120 on every channel used', () => {
    const { system, bus } = rig();
    const play = bus.voice('playback');
    const thru = bus.voice('thru');
    play.noteOn(0, 60, 100);
    play.noteOn(0, 64, 100);
    thru.noteOn(5, 48, 90);
    bus.send([0xc9, 1]); // a program change still marks channel 10 as used
    bus.panic();
    expect(soundingNotes(system.log, { honourAllNotesOff: false })).toEqual([]);
    const ccs = system.log.filter((e) => (e.bytes[0] & 0xf0) === 0xb0).map((e) => [e.bytes[0] & 0x0f, e.bytes[1]]);
    expect(ccs).toEqual([
      [0, 123],
      [0, 120],
      [5, 123],
      [5, 120],
      [9, 123],
      [9, 120],
    ]);
    const firstCc = system.log.findIndex((e) => (e.bytes[0] & 0xf0) === 0xb0);
    expect(system.log.slice(firstCc).every((e) => (e.bytes[0] & 0xf0) === 0xb0)).toBe(true);
    expect(bus.sounding()).toEqual([]);
  });

  it('keeps going when the port throws on some sends, and tells the musician once', () => {
    const { system, bus, errors } = rig();
    const v = bus.voice('playback');
    for (const p of [60, 62, 64, 65]) v.noteOn(0, p, 100);
    system.failSends('A', (bytes) => (bytes[1] === 62 || bytes[1] === 123 ? new Error('driver refused') : undefined));
    bus.panic();
    const offs = system.log.filter((e) => (e.bytes[0] & 0xf0) === 0x80).map((e) => e.bytes[1]);
    expect(offs.sort()).toEqual([60, 64, 65]);
    expect(system.log.some((e) => e.bytes[1] === 120)).toBe(true);
    expect(errors).toEqual(['MIDI output "A" stopped accepting notes (driver refused).']);
    expect(bus.sendFailures).toBe(2);
  });

  it('silences the old output when the output changes', () => {
    const { system, bus } = rig();
    const v = bus.voice('playback');
    v.noteOn(2, 60, 100);
    bus.setPort(system.openOutput('B'));
    expect(soundingNotes(system.sent('A'), { honourAllNotesOff: false })).toEqual([]);
    expect(system.sent('B')).toEqual([]);
    v.noteOn(2, 61, 100);
    expect(system.sent('B')).toHaveLength(1);
  });

  it('releasing one voice leaves the other voice\'s notes and channel alone', () => {
    const { system, bus } = rig();
    const answer = bus.voice('answer');
    const thru = bus.voice('thru');
    thru.noteOn(0, 48, 100);
    answer.noteOn(0, 72, 100);
    answer.noteOn(1, 74, 100);
    answer.release();
    const held = soundingNotes(system.log, { honourAllNotesOff: true });
    expect(held).toEqual([{ channel: 0, pitch: 48 }]);
    expect(system.log.some((e) => e.bytes[0] === 0xb1 && e.bytes[1] === 123)).toBe(true);
    expect(system.log.some((e) => e.bytes[0] === 0xb0 && e.bytes[1] === 123)).toBe(false);
  });

  it('a port that disappears mid-note is forgotten without sending into the void', () => {
    const { system, bus, errors } = rig();
    const v = bus.voice('playback');
    v.noteOn(0, 60, 100);
    system.remove('A');
    bus.portLost();
    bus.panic();
    v.noteOn(0, 61, 100); // no port: goes nowhere, no throw
    expect(errors).toEqual([]);
  });
});
