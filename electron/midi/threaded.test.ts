import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import type { NoteSequence } from '@shared/music/types';
import { FakeClock, realClock } from './clock';
import { LoopbackMidiSystem, soundingNotes, type LogEntry } from './loopback';
import { OutputBus } from './output';
import type { MidiOutput } from './port';
import { Scheduler } from './scheduler';
import { NoteStream } from './stream';
import { PlaybackThread } from './threaded';

function tune(n = 24, qpm = 120): NoteSequence {
  const notes = Array.from({ length: n }, (_, i) => ({ pitch: 60 + ((i * 5) % 12), start: i * 0.5, end: i * 0.5 + 0.4, velocity: 70 + (i % 40), voice: 0 }));
  return { notes, tempos: [{ time: 0, qpm }], timeSignatures: [], keySignatures: [], totalTime: n * 0.5 };
}

function rig() {
  const clock = new FakeClock(1000);
  const system = new LoopbackMidiSystem(clock);
  system.addOutput('synth');
  const bus = new OutputBus({ clock });
  bus.setPort(system.openOutput('synth'));
  return { clock, system, bus };
}

const notesOf = (log: LogEntry[]) => log.filter((e) => (e.bytes[0] & 0xf0) === 0x90 || (e.bytes[0] & 0xf0) === 0x80).map((e) => [e.bytes[0], e.bytes[1], e.atMs]);

describe('ThreadedScheduler (thread code in-process, FakeClock)', () => {
  it('sends exactly what the main-thread Scheduler sends, at the same times', () => {
    const a = rig();
    const plain = new Scheduler({ clock: a.clock, bus: a.bus });
    plain.load(tune());
    plain.play();
    a.clock.advance(20000);

    const b = rig();
    const { thread } = PlaybackThread.inProcess(b.clock);
    const threaded = thread.scheduler({ clock: b.clock, bus: b.bus });
    const ends: string[] = [];
    threaded.onEnd((why) => ends.push(why));
    threaded.load(tune());
    threaded.play();
    expect(threaded.isPlaying).toBe(true);
    b.clock.advance(1000);
    expect(threaded.position()).toBeCloseTo(2, 1); // 1 s at 120 qpm, from the thread's reports
    b.clock.advance(19000);
    expect(ends).toEqual(['finished']);
    expect(threaded.isPlaying).toBe(false);
    expect(notesOf(b.system.log)).toEqual(notesOf(a.system.log));
    expect(soundingNotes(b.system.log, { honourAllNotesOff: false })).toEqual([]);
  });

  it('shows the playhead the thread plays, by the same clock model: through loops, seeks, tempo changes and a late note', () => {
    const a = rig();
    const plain = new Scheduler({ clock: a.clock, bus: a.bus });
    const b = rig();
    const { thread } = PlaybackThread.inProcess(b.clock);
    const threaded = thread.scheduler({ clock: b.clock, bus: b.bus });
    const streams = [new NoteStream(), new NoteStream()];
    const first = tune(8).notes;
    streams.forEach((st) => st.append(first));
    plain.load(streams[0]);
    threaded.load(streams[1]);
    for (const s of [plain, threaded]) {
      s.setLoop({ start: 1, end: 3.5 });
      s.play(0.25);
    }
    const step = (ms: number) => {
      for (let t = 0; t < ms; t += 10) {
        a.clock.advance(10);
        b.clock.advance(10);
        expect(threaded.position()).toBeCloseTo(plain.position(), 6);
      }
    };
    step(2400);
    for (const s of [plain, threaded]) s.setTempo(90);
    step(1500);
    for (const s of [plain, threaded]) s.seek(2.75);
    step(1300);
    for (const s of [plain, threaded]) s.setLoop(null);
    step(400);
    // A note of a take still being sampled arrives behind the cursor: both timelines wait for it
    // (the thread's copy learns it from the next report, at most stateEveryMs later).
    const late = { pitch: 70, start: plain.position() + 0.05, end: plain.position() + 0.3, velocity: 90, voice: 0 };
    a.clock.advance(120);
    b.clock.advance(120);
    streams.forEach((st) => st.append(late));
    a.clock.advance(60);
    b.clock.advance(60);
    step(500);
    expect(plain.lateNotes).toBe(1);
    expect(threaded.lateNotes).toBe(1);
  });

  it('stop releases at once on the main thread and drops note-ons still on their way', () => {
    const { clock, system, bus } = rig();
    // A link that holds the thread's messages back, as a busy main thread would.
    const { thread, host } = PlaybackThread.inProcess(clock);
    const s = thread.scheduler({ clock, bus, prerollMs: 0 });
    s.load(tune());
    s.play();
    clock.advance(260); // one note sounding
    expect(soundingNotes(system.log, { honourAllNotesOff: false })).toHaveLength(1);
    const late = { t: 'out' as const, id: s.id, epoch: 1, bytes: [0x90, 90, 100], atMs: clock.now(), delivered: false };
    s.stop();
    expect(soundingNotes(system.log, { honourAllNotesOff: false })).toEqual([]);
    s.receive(late); // a note-on of the stopped play arriving after the stop
    expect(soundingNotes(system.log, { honourAllNotesOff: false })).toEqual([]);
    const stoppedAt = clock.now();
    clock.advance(2000);
    expect(system.log.filter((e) => e.sentMs > stoppedAt && (e.bytes[0] & 0xf0) === 0x90)).toEqual([]);
    expect(s.position()).toBeCloseTo(0.52, 1);
    host.dispose();
  });

  it('plays a stream while it is still growing, and a seek releases what sounded', () => {
    const { clock, system, bus } = rig();
    const { thread } = PlaybackThread.inProcess(clock);
    const s = thread.scheduler({ clock, bus, prerollMs: 0 });
    const stream = new NoteStream();
    stream.append({ pitch: 60, start: 0, end: 1, velocity: 90, voice: 0 });
    s.load(stream);
    s.play();
    clock.advance(100);
    stream.append({ pitch: 62, start: 1, end: 2, velocity: 90, voice: 0 });
    clock.advance(600);
    expect(soundingNotes(system.log, { honourAllNotesOff: false })).toEqual([{ channel: 0, pitch: 62 }]);
    const before = system.log.length;
    s.seek(0); // no preroll: the first note sounds again at once
    const after = system.log.slice(before).map((e) => e.bytes);
    expect(after.findIndex((b) => b[0] === 0x80 && b[1] === 62)).toBeLessThan(after.findIndex((b) => b[0] === 0x90 && b[1] === 60));
    expect(soundingNotes(system.log, { honourAllNotesOff: false })).toEqual([{ channel: 0, pitch: 60 }]);
    stream.end();
    clock.advance(3000);
    expect(s.isPlaying).toBe(false);
    expect(soundingNotes(system.log, { honourAllNotesOff: false })).toEqual([]);
  });

  it('a thread that dies stops its schedulers with their notes released; new ones run here', () => {
    const { clock, system, bus } = rig();
    const { thread } = PlaybackThread.inProcess(clock);
    const s = thread.scheduler({ clock, bus, prerollMs: 0 });
    const ends: string[] = [];
    s.onEnd((w) => ends.push(w));
    s.load(tune());
    s.play();
    clock.advance(300);
    (thread as unknown as { simulateExit: (r: string) => void }).simulateExit('out of memory');
    expect(ends).toEqual(['stopped']);
    expect(soundingNotes(system.log, { honourAllNotesOff: false })).toEqual([]);
    const reasons: string[] = [];
    const make = thread.factory((r) => reasons.push(r));
    expect(make({ clock, bus })).toBeInstanceOf(Scheduler);
    expect(reasons).toEqual(['playback runs on the main thread: out of memory']);
  });

  it('a hardware port is opened in the thread and sent to directly; the main thread only records, and its panic still reaches every note', async () => {
    const { clock, system, bus } = rig();
    // "synth" stands for a hardware port: the main thread has its own handle, the thread opens another.
    const hardwareHandle = system.openOutput('synth');
    const main: MidiOutput = Object.assign(system.openOutput('synth'), { threadTarget: { kind: 'rtmidi' as const, name: 'synth' } });
    bus.setPort(main);
    const { thread } = PlaybackThread.inProcess(clock, { openDirect: async () => hardwareHandle });
    const s = thread.scheduler({ clock, bus, prerollMs: 0 });
    await Promise.resolve(); // the thread's port opens
    await Promise.resolve();
    s.load(tune());
    s.play();
    clock.advance(260);
    expect(bus.sounding()).toEqual([{ channel: 0, pitch: 65 }]); // recorded from the thread's copy
    expect(system.log.filter((e) => (e.bytes[0] & 0xf0) === 0x90).map((e) => e.bytes[1])).toEqual([60, 65]); // each sent once, by the thread
    bus.panic();
    expect(soundingNotes(system.log, { honourAllNotesOff: false })).toEqual([]);
    s.dispose();
  });
});

describe('PlaybackThread in a real worker', () => {
  it('starts, plays a short tune through a main-thread loopback port with no note left on, and closes', async () => {
    const clock = realClock();
    const started = await PlaybackThread.start({ clock });
    if (!started.ok) throw new Error(started.reason);
    const { thread } = started;
    // Where this user may run a real-time FIFO process (root here), the thread runs in that class;
    // elsewhere it says which priority it got and why.
    const fifoAllowed = process.platform === 'linux' && spawnSync('chrt', ['--fifo', '10', 'true'], { stdio: 'ignore' }).status === 0;
    if (fifoAllowed) expect(thread.priority).toBe('real-time (SCHED_FIFO 10)');
    else console.log(`real-time priority is not allowed here; the playback thread runs at: ${thread.priority}`);
    const system = new LoopbackMidiSystem(clock);
    system.addOutput('synth');
    const bus = new OutputBus({ clock });
    bus.setPort(system.openOutput('synth'));
    const s = thread.scheduler({ clock, bus });
    const sent: number[] = [];
    s.onSent((e) => e.kind === 'on' && sent.push(e.sentMs - e.targetMs));
    s.load(tune(8, 480)); // 8 notes, 1 s
    const done = new Promise<string>((r) => s.onEnd(r));
    s.play();
    expect(await done).toBe('finished');
    expect(sent).toHaveLength(8);
    expect(Math.min(...sent)).toBeGreaterThanOrEqual(0); // never early
    await new Promise((r) => setTimeout(r, 50));
    expect(system.log.filter((e) => (e.bytes[0] & 0xf0) === 0x90).map((e) => e.bytes[1])).toEqual(tune(8).notes.map((n) => n.pitch));
    expect(soundingNotes(system.log, { honourAllNotesOff: false })).toEqual([]);
    thread.dispose();
    expect(thread.alive).toBe(false);
  }, 30_000);
});
