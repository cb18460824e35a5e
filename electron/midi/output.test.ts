import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock';
import { LoopbackMidiSystem, soundingNotes } from './loopback';
import { OutputBus } from './output';
import { Scheduler } from './scheduler';

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

describe('OutputBus owed note-offs', () => {
  const offs = (log: { bytes: number[] }[]) => log.filter((e) => (e.bytes[0] & 0xf0) === 0x80).map((e) => e.bytes[1]);

  it('a refused note-off is sent again before the next message', () => {
    const { system, bus } = rig();
    const v = bus.voice('playback');
    v.noteOn(0, 60, 100);
    system.failSends('A', () => new Error('driver hiccup'));
    expect(v.noteOff(0, 60)).toBe(false);
    expect(bus.owedNoteOffs).toEqual([{ channel: 0, pitch: 60 }]);
    system.failSends('A', undefined);
    v.noteOn(0, 62, 100);
    expect(system.log.map((e) => e.bytes)).toEqual([
      [0x90, 60, 100],
      [0x80, 60, 0],
      [0x90, 62, 100],
    ]);
    expect(bus.owedNoteOffs).toEqual([]);
  });

  it('panic sends owed note-offs too, and keeps what the port still refuses', () => {
    const { system, bus } = rig();
    const v = bus.voice('playback');
    v.noteOn(0, 60, 100);
    v.noteOn(3, 64, 100);
    system.failSends('A', (b) => ((b[0] & 0xf0) === 0x80 ? new Error('no note-offs today') : undefined));
    v.noteOff(0, 60);
    v.noteOff(3, 64);
    bus.panic(); // still refused: CC123/CC120 get through, the note-offs stay owed
    expect(bus.owedNoteOffs).toHaveLength(2);
    expect(system.log.filter((e) => e.bytes[1] === 123).map((e) => e.bytes[0] & 0x0f)).toEqual([0, 3]);
    system.failSends('A', undefined);
    bus.panic();
    expect(bus.owedNoteOffs).toEqual([]);
    expect(soundingNotes(system.log, { honourAllNotesOff: false })).toEqual([]);
  });

  it('given a clock, retries on its own with back-off until the port takes them', () => {
    const clock = new FakeClock();
    const system = new LoopbackMidiSystem(clock);
    system.addOutput('A');
    const bus = new OutputBus({ clock, retryMs: 50 });
    bus.setPort(system.openOutput('A'));
    const v = bus.voice('playback');
    v.noteOn(0, 60, 100);
    let attempts = 0;
    system.failSends('A', () => (attempts++, new Error('busy')));
    v.noteOff(0, 60);
    clock.advance(50 + 100 + 200); // three retries, all refused
    expect(attempts).toBe(4);
    system.failSends('A', undefined);
    clock.advance(400);
    expect(soundingNotes(system.log, { honourAllNotesOff: false })).toEqual([]);
    expect(clock.pending).toBe(0); // nothing owed: no timer left behind
    bus.dispose();
  });

  it('a port lost mid-note gets its note-offs when it is chosen again, another port does not', () => {
    const { system, bus } = rig();
    const v = bus.voice('playback');
    v.noteOn(0, 60, 100);
    system.remove('A');
    bus.portLost();
    expect(bus.owedNoteOffs).toEqual([{ channel: 0, pitch: 60 }]);
    system.addOutput('A');
    bus.setPort(system.openOutput('A'));
    expect(soundingNotes(system.sent('A'), { honourAllNotesOff: false })).toEqual([]);
    expect(offs(system.sent('A'))).toEqual([60]); // delivered to the synth that came back
    expect(bus.owedNoteOffs).toEqual([]);

    v.noteOn(1, 70, 100);
    system.remove('A');
    bus.portLost();
    bus.setPort(system.openOutput('B'));
    expect(system.sent('B')).toEqual([]); // B never heard that note
    expect(bus.owedNoteOffs).toEqual([]);
  });

  it('a scheduler whose note-offs fail mid-piece leaves no key held once the port recovers', () => {
    const clock = new FakeClock();
    const system = new LoopbackMidiSystem(clock);
    system.addOutput('A');
    const bus = new OutputBus({ clock });
    bus.setPort(system.openOutput('A'));
    const scheduler = new Scheduler({ clock, bus, prerollMs: 0, qpm: 120 });
    const notes = Array.from({ length: 16 }, (_, i) => ({ pitch: 60 + (i % 5), start: i * 0.5, end: i * 0.5 + 0.75, velocity: 90, voice: 0 }));
    scheduler.load({ notes, tempos: [{ time: 0, qpm: 120 }], timeSignatures: [], keySignatures: [], totalTime: 8.25 });
    let failing = false;
    system.failSends('A', (b) => (failing && ((b[0] & 0xf0) === 0x80 || (b[0] & 0xf0) === 0xb0) ? new Error('refused') : undefined));
    scheduler.play();
    clock.advance(1000);
    failing = true; // through the end of the piece: the final release is refused too
    clock.advance(4000);
    expect(scheduler.isPlaying).toBe(false);
    expect(soundingNotes(system.log, { honourAllNotesOff: false }).length).toBeGreaterThan(0);
    failing = false;
    clock.advance(3000);
    expect(soundingNotes(system.log, { honourAllNotesOff: false })).toEqual([]);
    scheduler.dispose();
    bus.dispose();
  });
});
