/**
 * Every way playback can be interrupted must leave no note on: each case below plays overlapping
 * long notes, interrupts, and checks the synth's log for an explicit note-off per note.
 */
import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock';
import { DeviceManager } from './device-manager';
import { LoopbackMidiSystem, soundingNotes, type LogEntry } from './loopback';
import { Recorder } from './recorder';
import { Scheduler } from './scheduler';
import { NoteStream } from './stream';
import { note, sequence } from './testing';

const chordTake = () => sequence([note(48, 0, 16), note(60, 0, 16), note(64, 1, 16), note(67, 2, 16), note(72, 3, 4), note(74, 4, 16)]);
const allOff = (log: LogEntry[]) => soundingNotes(log, { honourAllNotesOff: false });

async function studio() {
  const clock = new FakeClock();
  const system = new LoopbackMidiSystem(clock);
  system.addInput('Keys');
  system.addOutput('Synth');
  system.addOutput('Other');
  const manager = new DeviceManager({ clock, openSystem: () => ({ ok: true, system }), choices: { input: 'Keys', output: 'Synth', thru: true, outputSettings: { Synth: { channel: 2, program: null, latencyMs: 0 }, Other: { channel: 2, program: null, latencyMs: 0 } } }, virtualPorts: false });
  await manager.start();
  const scheduler = new Scheduler({ clock, bus: manager.bus, channel: 0, prerollMs: 0 });
  const second = new Scheduler({ clock, bus: manager.bus, channel: 5, prerollMs: 0, voiceName: 'second' });
  scheduler.load(chordTake());
  second.load(chordTake());
  scheduler.play();
  second.play();
  system.play('Keys', [0x90, 36, 100]); // the musician holds a key through thru
  clock.advance(2600);
  const sounding = allOff(system.sent('Synth'));
  expect(sounding.length).toBeGreaterThanOrEqual(9);
  return { clock, system, manager, scheduler, second };
}

describe('no hung notes after any interruption', () => {
  it('stop: the stopped take is silent, the other voices are untouched', async () => {
    const { system, scheduler, second, manager } = await studio();
    scheduler.stop();
    expect(allOff(system.sent('Synth')).filter((n) => n.channel === 0)).toEqual([]);
    expect(allOff(system.sent('Synth')).some((n) => n.channel === 5)).toBe(true);
    second.stop();
    manager.panic(); // the Panic button also ends the key held through thru
    expect(allOff(system.sent('Synth'))).toEqual([]);
  });

  it('seek, and loading another take while playing', async () => {
    const { system, clock, scheduler, second, manager } = await studio();
    const before = system.sent('Synth').length;
    scheduler.seek(8);
    second.load(sequence([note(50, 0, 1)]));
    // Everything that sounded is released before the seek's first note-on...
    const log = system.sent('Synth');
    const firstOn = log.findIndex((e, i) => i >= before && (e.bytes[0] & 0xf0) === 0x90 && e.bytes[2] > 0);
    expect(allOff(log.slice(0, firstOn)).filter((n) => n.channel === 0)).toEqual([]);
    // ...and what sounds then is the chord held at beat 8 (note chase, shared/transport), once each.
    expect(allOff(log).filter((n) => n.channel !== 2)).toEqual([48, 60, 64, 67, 74].map((pitch) => ({ channel: 0, pitch })));
    clock.advance(500);
    scheduler.stop();
    second.stop();
    manager.panic();
    expect(allOff(system.sent('Synth'))).toEqual([]);
  });

  it('output change: the old synth is silenced before the new one hears anything', async () => {
    const { system, clock, scheduler, second, manager } = await studio();
    manager.selectOutput('Other');
    expect(allOff(system.sent('Synth'))).toEqual([]);
    clock.advance(3000);
    scheduler.stop();
    second.stop();
    manager.panic();
    expect(allOff(system.sent('Other'))).toEqual([]);
  });

  it('device loss mid-note: nothing more is sent to the dead port, and the replugged one starts clean', async () => {
    const { system, clock, scheduler, second, manager } = await studio();
    system.remove('Synth');
    const dead = system.sent('Synth').length;
    clock.advance(1000);
    scheduler.stop();
    second.stop();
    expect(system.sent('Synth').length).toBe(dead);
    system.addOutput('Synth');
    clock.advance(1000);
    manager.panic();
    expect(allOff(system.sent('Synth').slice(dead))).toEqual([]);
  });

  it('dispose of the schedulers and of the device manager (app quit)', async () => {
    const { system, scheduler, second, manager } = await studio();
    scheduler.dispose();
    second.dispose();
    manager.dispose();
    expect(allOff(system.sent('Synth'))).toEqual([]);
    const ccs = system.sent('Synth').filter((e) => (e.bytes[0] & 0xf0) === 0xb0).map((e) => `${e.bytes[0] & 15}:${e.bytes[1]}`);
    for (const ch of [0, 2, 5]) expect(ccs).toEqual(expect.arrayContaining([`${ch}:123`, `${ch}:120`]));
  });

  it('the engine dies while a take streams in: stopping the take leaves nothing sounding', async () => {
    const clock = new FakeClock();
    const system = new LoopbackMidiSystem(clock);
    system.addOutput('Synth');
    const manager = new DeviceManager({ clock, openSystem: () => ({ ok: true, system }), virtualPorts: false });
    await manager.start();
    manager.selectOutput('Synth');
    const scheduler = new Scheduler({ clock, bus: manager.bus, prerollMs: 0 });
    const stream = new NoteStream();
    scheduler.load(stream);
    stream.append([note(60, 0, 8), note(64, 0.5, 8)]);
    scheduler.play();
    clock.advance(1000);
    expect(allOff(system.sent('Synth'))).toHaveLength(2);
    // No more notes and no end(): the engine process is gone. The studio reacts by stopping.
    scheduler.stop();
    expect(allOff(system.sent('Synth'))).toEqual([]);
  });

  it('a port that throws on every other message still gets every note-off it accepts', async () => {
    const { system, scheduler, second, manager } = await studio();
    let n = 0;
    system.failSends('Synth', () => (n++ % 2 === 0 ? new Error('USB hiccup') : undefined));
    manager.panic();
    const offsTried = n;
    system.failSends('Synth', undefined);
    expect(offsTried).toBeGreaterThan(9);
    // Every note either got its note-off or the failing send was followed by All Notes Off on its channel.
    expect(soundingNotes(system.sent('Synth'), { honourAllNotesOff: true })).toEqual([]);
    scheduler.stop();
    second.stop();
  });

  it('cancelling a recording during the count-in silences the click', async () => {
    const clock = new FakeClock();
    const system = new LoopbackMidiSystem(clock);
    system.addOutput('Synth');
    const manager = new DeviceManager({ clock, openSystem: () => ({ ok: true, system }), virtualPorts: false });
    await manager.start();
    manager.selectOutput('Synth');
    const recorder = new Recorder({ clock, qpm: 120, metronome: { bus: manager.bus, during: 'always' } });
    recorder.start(0);
    clock.advance(10); // a click is sounding (40 ms long)
    expect(allOff(system.sent('Synth'))).toHaveLength(1);
    recorder.cancel();
    expect(allOff(system.sent('Synth'))).toEqual([]);
    clock.advance(5000);
    expect(allOff(system.sent('Synth'))).toEqual([]);
  });
});
