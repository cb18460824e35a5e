import { describe, expect, it } from 'vitest';
import type { NoteSequence } from '@shared/music/types';
import { CallAndResponse, type AnswerFn, type CallResponseState } from './call-and-response';
import { FakeClock } from './clock';
import { LoopbackMidiSystem, soundingNotes } from './loopback';
import { OutputBus } from './output';
import { note, snapToSixteenths } from './testing';

const flush = () => new Promise<void>((r) => setImmediate(r));

function rig(answer: AnswerFn, pauseMs?: number, speculateAfterMs?: number) {
  const clock = new FakeClock(1000);
  const system = new LoopbackMidiSystem(clock);
  system.addInput('Keys');
  system.addOutput('Synth');
  const bus = new OutputBus();
  bus.setPort(system.openOutput('Synth'));
  const states: CallResponseState[] = [];
  const latencies: number[] = [];
  const errors: string[] = [];
  const cr = new CallAndResponse({ clock, bus, answer, qpm: 120, pauseMs, quantize: snapToSixteenths, speculateAfterMs, onState: (s) => states.push(s), onLatency: (ms) => latencies.push(ms), onError: (m) => errors.push(m) });
  const input = system.openInput('Keys');
  input.onMessage((b, t) => cr.feed(b, t));
  /** Plays quarter notes at 120 qpm starting now. */
  const phrase = (pitches: number[]) => {
    for (const p of pitches) {
      system.play('Keys', [0x90, p, 100]);
      clock.advance(450);
      system.play('Keys', [0x80, p, 0]);
      clock.advance(50);
    }
  };
  const answerOns = () => system.sent('Synth').filter((e) => (e.bytes[0] & 0xf0) === 0x90 && e.bytes[2] > 0);
  return { clock, system, cr, states, latencies, errors, phrase, answerOns };
}

/** Answers with an arpeggio a fifth up, continuing the phrase's own time axis (starts at its end). */
function echo(log: { seeds: NoteSequence[]; aborted: boolean[]; finished: number }, count = 4): AnswerFn {
  return async function* (seed, signal) {
    log.seeds.push(seed);
    try {
      const top = seed.notes[seed.notes.length - 1];
      for (let i = 0; i < count; i++) {
        await Promise.resolve();
        if (signal.aborted) return;
        yield note(top.pitch + 7 + i, seed.totalTime + i, seed.totalTime + i + 1, 80);
      }
    } finally {
      log.aborted.push(signal.aborted);
      log.finished++;
    }
  };
}

describe('CallAndResponse', () => {
  it('after the pause, answers the phrase, first note at once, the rest in time', async () => {
    const log = { seeds: [] as NoteSequence[], aborted: [] as boolean[], finished: 0 };
    const { clock, cr, states, latencies, phrase, answerOns } = rig(echo(log));
    phrase([60, 62, 64]);
    expect(cr.state).toBe('hearing');
    const lastOff = clock.now() - 50;
    clock.advanceTo(lastOff + 599);
    expect(log.seeds).toHaveLength(0);
    clock.advanceTo(lastOff + 600);
    await flush();
    expect(log.seeds[0].notes.map((n) => [n.pitch, n.start, n.end])).toEqual([
      [60, 0, 1],
      [62, 1, 2],
      [64, 2, 3],
    ]);
    expect(latencies).toEqual([0]);
    clock.advance(3000);
    await flush();
    clock.advance(100);
    const pauseEnd = lastOff + 600;
    expect(answerOns().map((e) => [e.bytes[1], e.sentMs - pauseEnd])).toEqual([
      [71, 0],
      [72, 500],
      [73, 1000],
      [74, 1500],
    ]);
    expect(states).toEqual(['hearing', 'thinking', 'answering', 'listening']);
    expect(cr.state).toBe('listening');
  });

  it('a long held key does not end the phrase, however long the silence after the other keys', async () => {
    const log = { seeds: [] as NoteSequence[], aborted: [] as boolean[], finished: 0 };
    const { clock, system, cr } = rig(echo(log));
    system.play('Keys', [0x90, 48, 100]);
    system.play('Keys', [0x90, 60, 100]);
    clock.advance(200);
    system.play('Keys', [0x80, 60, 0]);
    clock.advance(2000);
    expect(cr.state).toBe('hearing');
    system.play('Keys', [0x80, 48, 0]);
    clock.advance(600);
    await flush();
    expect(log.seeds).toHaveLength(1);
  });

  it('playing again cuts the answer off cleanly: note-offs for its notes, the model told to stop', async () => {
    const log = { seeds: [] as NoteSequence[], aborted: [] as boolean[], finished: 0 };
    const long: AnswerFn = async function* (seed, signal) {
      log.seeds.push(seed);
      try {
        for (let i = 0; i < 4 && !signal.aborted; i++) {
          await Promise.resolve();
          yield note(72 + i, i, i + 4); // overlapping long notes: several sound at once
        }
        // Still sampling the next note when the musician plays again.
        await new Promise((r) => signal.addEventListener('abort', r));
        if (!signal.aborted) yield note(90, 4, 5);
      } finally {
        log.aborted.push(signal.aborted);
      }
    };
    const { clock, system, cr, phrase } = rig(long);
    phrase([60]);
    clock.advance(600);
    await flush();
    clock.advance(1200); // three answer notes sounding together
    await flush();
    const sounding = soundingNotes(system.sent('Synth'), { honourAllNotesOff: false });
    expect(sounding.length).toBeGreaterThan(1);
    system.play('Keys', [0x90, 65, 100]);
    expect(cr.state).toBe('hearing');
    expect(cr.interruptions).toBe(1);
    expect(soundingNotes(system.sent('Synth'), { honourAllNotesOff: false })).toEqual([]);
    await flush();
    expect(log.aborted).toEqual([true]);
    const after = system.sent('Synth').length;
    clock.advance(400);
    await flush();
    expect(system.sent('Synth').length).toBe(after); // nothing more from the cut-off answer
    system.play('Keys', [0x80, 65, 0]);
    clock.advance(600);
    await flush();
    expect(log.seeds).toHaveLength(2);
    expect(log.seeds[1].notes.map((n) => n.pitch)).toEqual([65]);
    cr.dispose();
    expect(soundingNotes(system.sent('Synth'), { honourAllNotesOff: false })).toEqual([]);
  });

  it('a model that fails mid-answer is reported once and leaves nothing sounding', async () => {
    const failing: AnswerFn = async function* () {
      yield note(70, 0, 8);
      await Promise.resolve();
      throw new Error('engine crashed');
    };
    const { clock, system, cr, errors, phrase } = rig(failing);
    phrase([60, 62]);
    clock.advance(600);
    await flush();
    await flush();
    expect(errors).toEqual(['the answer stopped: engine crashed']);
    expect(cr.state).toBe('listening');
    expect(soundingNotes(system.sent('Synth'), { honourAllNotesOff: false })).toEqual([]);
  });

  it('a custom pause length and an empty answer return to listening', async () => {
    const empty: AnswerFn = async function* () {};
    const { clock, cr, phrase } = rig(empty, 250);
    phrase([60]);
    clock.advance(200);
    await flush();
    expect(cr.state).toBe('listening');
  });

  it('asks the model before the pause is over, and plays the answer the moment the pause ends', async () => {
    const plain = { seeds: [] as NoteSequence[], aborted: [] as boolean[], finished: 0 };
    const a = rig(echo(plain));
    a.phrase([60, 62, 64]);
    a.clock.advance(600);
    await flush();

    const log = { seeds: [] as NoteSequence[], aborted: [] as boolean[], finished: 0 };
    const { clock, cr, latencies, phrase, answerOns } = rig(echo(log), 600, 250);
    phrase([60, 62, 64]);
    const lastOff = clock.now() - 50;
    clock.advanceTo(lastOff + 260);
    await flush();
    expect(log.seeds).toHaveLength(1); // asked early
    expect(answerOns()).toHaveLength(0); // but nothing plays before the pause is over
    expect(cr.state).toBe('hearing');
    clock.advanceTo(lastOff + 600);
    await flush();
    expect(cr.earlyAnswers).toBe(1);
    expect(log.seeds[0]).toEqual(plain.seeds[0]); // the same seed the end of the pause makes
    expect(latencies).toEqual([0]);
    expect(answerOns()[0].sentMs).toBe(lastOff + 600);
    clock.advance(5000);
    await flush();
    expect(answerOns()).toHaveLength(4);
  });

  it('playing on after the early question cancels it; the longer phrase is answered instead', async () => {
    const log = { seeds: [] as NoteSequence[], aborted: [] as boolean[], finished: 0 };
    const { clock, system, cr, phrase, answerOns } = rig(echo(log, 40), 600, 250);
    phrase([60, 62]);
    clock.advance(300); // a breath: the model is asked early
    await flush();
    expect(log.seeds).toHaveLength(1);
    phrase([64]);
    await flush();
    clock.advance(600);
    await flush();
    expect(log.seeds.at(-1)!.notes.map((n) => n.pitch)).toEqual([60, 62, 64]);
    expect(answerOns()[0].bytes[1]).toBe(64 + 7);
    expect(answerOns().some((e) => e.bytes[1] === 62 + 7)).toBe(false); // the early answer to [60, 62] never sounded
    expect(cr.earlyAnswers).toBe(1);
    // and playing over the answer still leaves nothing sounding
    clock.advance(700);
    await flush();
    system.play('Keys', [0x90, 50, 90]);
    system.play('Keys', [0x80, 50, 0]);
    expect(soundingNotes(system.sent('Synth'), { honourAllNotesOff: false })).toEqual([]);
  });
});
