/**
 * MIDI outputs failing mid-note: the scheduler plays through an OutputBus to a loopback synth whose
 * sends throw for a while (a driver hiccup: some messages, or only note-offs), or that is unplugged
 * and plugged back in. Hung notes are counted from what the synth actually received:
 *  - after the piece ends and the port is healthy again (the hiccup is over, nobody pressed
 *    anything): note-offs the port refused are owed and the bus sends them again by itself;
 *  - after Stop + Panic, for a synth that honours All Notes Off (CC123) and for a strict one that
 *    only releases a key on its own note-off.
 * Every other trial plays through the playback thread's code (ThreadedScheduler, thread run
 * in-process on the same FakeClock), as the studio plays.
 */
import { FakeClock, LoopbackMidiSystem, OutputBus, PlaybackThread, Scheduler, soundingNotes, type LogEntry, type PlaybackScheduler } from '../../electron/midi/index';
import type { Note, NoteSequence } from '@shared/music/types';
import { rng, type Rng } from './mutate';

export type FailureMode = 'some-sends' | 'note-offs' | 'unplug';

export interface MidiFailResult {
  trials: number;
  /** Trials played through the playback thread's code. */
  threadedTrials: number;
  notes: number;
  failedSends: number;
  byMode: Record<FailureMode, { trials: number; hungAfterEnd: number; hungAfterPanic: number; hungAfterPanicStrict: number }>;
  hungAfterEnd: number;
  /** After the end, counting only explicit note-offs (a synth that ignores CC123). */
  hungAfterEndStrict: number;
  hungAfterPanic: number;
  hungAfterPanicStrict: number;
  /** Trials where something threw out of the scheduler or the bus (the studio would have crashed). */
  exceptions: number;
  firstException?: string;
  seconds: number;
}

function randomSequence(r: Rng): NoteSequence {
  const notes: Note[] = [];
  let t = 0;
  const n = 16 + Math.floor(r() * 48);
  for (let i = 0; i < n; i++) {
    const len = [0.25, 0.5, 1, 2][Math.floor(r() * 4)];
    notes.push({ pitch: 40 + Math.floor(r() * 50), start: t, end: t + len, velocity: 1 + Math.floor(r() * 126), voice: 0 });
    // Some notes overlap (chords, legato), some repeat a pitch while it still sounds.
    if (r() < 0.7) t += [0.25, 0.5][Math.floor(r() * 2)];
  }
  const end = Math.max(...notes.map((x) => x.end));
  return { notes, tempos: [{ time: 0, qpm: 90 + Math.floor(r() * 90) }], timeSignatures: [{ time: 0, numerator: 4, denominator: 4 }], keySignatures: [], totalTime: end };
}

const isNoteOff = (b: number[]) => (b[0] & 0xf0) === 0x80 || ((b[0] & 0xf0) === 0x90 && b[2] === 0);

export function runMidiFailures(opts: { trials: number; runSeed?: number }): MidiFailResult {
  const started = performance.now();
  const modes: FailureMode[] = ['some-sends', 'note-offs', 'unplug'];
  const res: MidiFailResult = {
    trials: 0,
    threadedTrials: 0,
    notes: 0,
    failedSends: 0,
    byMode: Object.fromEntries(modes.map((m) => [m, { trials: 0, hungAfterEnd: 0, hungAfterPanic: 0, hungAfterPanicStrict: 0 }])) as MidiFailResult['byMode'],
    hungAfterEnd: 0,
    hungAfterEndStrict: 0,
    hungAfterPanic: 0,
    hungAfterPanicStrict: 0,
    exceptions: 0,
    seconds: 0,
  };
  for (let trial = 0; trial < opts.trials; trial++) {
    const r = rng(((opts.runSeed ?? 5) * 7_777_777 + trial) >>> 0);
    const mode = modes[trial % modes.length];
    const clock = new FakeClock(0);
    const sys = new LoopbackMidiSystem(clock);
    sys.addOutput('synth');
    const bus = new OutputBus({ clock });
    bus.setPort(sys.openOutput('synth'));
    const seq = randomSequence(r);
    const threaded = trial % 2 === 1;
    const thread = threaded ? PlaybackThread.inProcess(clock).thread : undefined;
    const scheduler: PlaybackScheduler = thread ? thread.scheduler({ clock, bus }) : new Scheduler({ clock, bus });
    if (threaded) res.threadedTrials++;
    let ended = false;
    scheduler.onEnd(() => (ended = true));
    scheduler.load(seq);
    const lengthMs = (seq.totalTime * 60000) / seq.tempos[0].qpm;
    const failFrom = r() * lengthMs * 0.8;
    const failTo = failFrom + r() * lengthMs * 0.5;
    const p = 0.2 + r() * 0.6;
    let failing = false;
    let countFrom = 0; // log entries before this index went to a synth that was unplugged
    sys.failSends('synth', (bytes) => {
      if (!failing) return undefined;
      if (mode === 'note-offs' && !isNoteOff(bytes)) return undefined;
      if (r() < p) {
        res.failedSends++;
        return new Error('driver refused the message');
      }
      return undefined;
    });
    try {
      scheduler.play();
      let unplugged = false;
      while (!ended && clock.now() < lengthMs + 5000) {
        const now = clock.now();
        if (mode !== 'unplug') failing = now >= failFrom && now < failTo;
        else if (!unplugged && now >= failFrom) {
          // The cable is pulled mid-note, then the synth comes back and is chosen again.
          unplugged = true;
          sys.remove('synth');
          bus.portLost();
          sys.addOutput('synth');
          countFrom = sys.log.length;
          bus.setPort(sys.openOutput('synth'));
        }
        clock.advance(5);
      }
      // The driver recovers; give the bus's retry timer (backing off up to 2 s) time to deliver.
      failing = false;
      clock.advance(5000);
      const heard = (): LogEntry[] => sys.log.slice(countFrom).filter((e) => e.port === 'synth');
      const afterEnd = soundingNotes(heard(), { honourAllNotesOff: true }).length;
      res.hungAfterEndStrict += soundingNotes(heard(), { honourAllNotesOff: false }).length;
      failing = false;
      scheduler.stop();
      bus.panic();
      const afterPanic = soundingNotes(heard(), { honourAllNotesOff: true }).length;
      const afterPanicStrict = soundingNotes(heard(), { honourAllNotesOff: false }).length;
      const m = res.byMode[mode];
      m.trials++;
      m.hungAfterEnd += afterEnd;
      m.hungAfterPanic += afterPanic;
      m.hungAfterPanicStrict += afterPanicStrict;
      res.hungAfterEnd += afterEnd;
      res.hungAfterPanic += afterPanic;
      res.hungAfterPanicStrict += afterPanicStrict;
    } catch (e) {
      res.exceptions++;
      res.firstException ??= `${mode} trial ${trial}: ${String((e as Error)?.stack ?? e).slice(0, 300)}`;
    }
    res.trials++;
    res.notes += seq.notes.length;
    scheduler.dispose();
    thread?.dispose();
    bus.dispose();
    sys.dispose();
  }
  res.seconds = (performance.now() - started) / 1000;
  return res;
}
