/**
 * The headline journey without a device: a phrase played on a keyboard (a fake clock, seeded human
 * timing: a late start, a pickup, a held note, legato overlaps, a chord, a long last note) goes
 * through the recorder with the studio's seed quantizer, then the engine's seed path (transcribe,
 * spell for the model) and the sampler, for each encoding; the take starts with the seed's own
 * pitches.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { FakeClock } from '../midi/clock';
import { LoopbackMidiSystem } from '../midi/loopback';
import { Recorder, type Recording } from '../midi/recorder';
import { seedQuantizer } from '../midi/seed';
import { rng } from '../midi/testing';
import { buildEncoding, encodingFromSpec, seedToTune, type Encoding } from '@shared/music/encodings/index';
import { abcTokenV1Spec, defaultModelSpec } from '@shared/music/testing/vocabularies';
import { HAND_WRITTEN } from '@shared/music/testing/excerpt';
import type { NoteSequence } from '@shared/music/types';
import { initBackend } from './backend';
import { buildModel } from './model';
import { primeSeed } from './jobs';
import { createStepModel } from './step';
import { sample } from './sample';
import { abcGrammar } from '@shared/music/grammar/abc-grammar';

/** The phrase as meant, in quarter notes from the first downbeat (6/8: bars of 3): an eighth pickup. */
const MEANT = [
  { pitch: 62, start: 2.5, end: 3 },
  { pitch: 67, start: 3, end: 4 }, // held a quarter
  { pitch: 71, start: 4, end: 4.5 },
  { pitch: 74, start: 4.5, end: 5, chord: [67, 71] }, // a chord under it
  { pitch: 79, start: 5, end: 5.5 },
  { pitch: 74, start: 5.5, end: 6 },
  { pitch: 71, start: 6, end: 7.5 }, // the last note, held on
];

/** Plays MEANT into a recorder at `qpm` with seeded human timing; returns the recording. */
function record(seed: number, qpm: number, clicked: boolean): Recording {
  const clock = new FakeClock(1000);
  const system = new LoopbackMidiSystem(clock);
  system.addInput('Keys');
  const recordings: Recording[] = [];
  const recorder = new Recorder({ clock, qpm, meter: { numerator: 6, denominator: 8 }, countInBars: clicked ? 1 : 0, quantize: (p) => seedQuantizer()(p, { clicked }), onRecording: (t) => recordings.push(t) });
  system.openInput('Keys').onMessage((bytes, t) => recorder.feed(bytes, t));
  recorder.start();
  const random = rng(seed);
  const beatMs = 60_000 / qpm;
  // With a count-in the downbeat comes after one 6/8 bar; without, the player starts when ready.
  const downbeat = clicked ? 1000 + 20 + 3 * beatMs : 1000 + 600 + random() * 900;
  const jitter = () => (random() - 0.5) * 50;
  const events: [number, number[]][] = [];
  for (const n of MEANT) {
    const on = downbeat + n.start * beatMs + jitter();
    const legato = random() < 0.5;
    const off = downbeat + n.end * beatMs + (legato ? 20 + random() * 40 : -30 - random() * 60);
    for (const p of [n.pitch, ...(n.chord ?? [])]) {
      events.push([on + (p === n.pitch ? 0 : random() * 20), [0x90, p, 70 + Math.round(random() * 30)]]);
      events.push([off, [0x80, p, 0]]);
    }
  }
  events.sort((a, b) => a[0] - b[0]);
  for (const [t, bytes] of events) {
    clock.advanceTo(Math.max(clock.now(), t));
    system.play('Keys', bytes, t);
  }
  clock.advanceTo(clock.now() + 2 * beatMs);
  recorder.stop();
  return recordings[0];
}

const ENCODINGS: { name: string; encoding: () => Encoding; melody: boolean }[] = [
  { name: 'abc-token (the default model\'s vocabulary)', encoding: () => encodingFromSpec(defaultModelSpec()), melody: true },
  { name: 'abc-token version 1 (the old default model\'s vocabulary)', encoding: () => encodingFromSpec(abcTokenV1Spec()), melody: true },
  { name: 'abc-char', encoding: () => buildEncoding('abc-char', HAND_WRITTEN.map((t) => seedToTune(t.abc))), melody: true },
  { name: 'melody-event', encoding: () => buildEncoding('melody-event', []), melody: true },
  { name: 'midi-event', encoding: () => buildEncoding('midi-event', []), melody: false },
];

/** The highest pitch of each group of notes that start together, in time order. */
function tops(seq: NoteSequence): number[] {
  const byStart = new Map<number, number>();
  for (const n of seq.notes) byStart.set(Math.round(n.start * 48), Math.max(byStart.get(Math.round(n.start * 48)) ?? 0, n.pitch));
  return [...byStart].sort((a, b) => a[0] - b[0]).map(([, p]) => p);
}

describe('recorder -> quantizer -> encoder -> sampler, per encoding', () => {
  beforeAll(async () => {
    await initBackend();
  });

  for (const { name, encoding: make, melody } of ENCODINGS) {
    it(`${name}: ten played takes (with and without the click) continue, starting with the played pitches`, async () => {
      const encoding = make();
      const model = buildModel({ architecture: 'lstm', vocabSize: encoding.tokens.length, embeddingSize: 8, units: [16], dropout: 0, recurrentDropout: 0, layers: 1, heads: 0, contextLength: 0 }, 3);
      try {
        for (let s = 0; s < 10; s++) {
          const recording = record(40 + s, [72, 90, 110, 132, 150][s % 5], s % 2 === 0);
          expect(recording.seed.notes.length).toBeGreaterThanOrEqual(MEANT.length);
          const primed = primeSeed(encoding, { kind: 'notes', notes: recording.seed.notes });
          const grammar = abcGrammar(encoding, primed.ids, 1, { limit: 40 });
          const [out] = await sample(createStepModel(model), { prime: primed.ids, maxTokens: 40, eos: encoding.eos, forbid: encoding.bos !== encoding.eos ? [encoding.bos] : undefined, rngSeed: s, mask: grammar ? grammar.mask.bind(grammar) : undefined, onToken: (v, t) => grammar?.push(v, t) });
          const decoded = encoding.decode([...primed.ids, ...out.tokens]);
          const played = MEANT.map((n) => n.pitch);
          const heard = melody ? decoded.sequence.notes.map((n) => n.pitch) : tops(decoded.sequence);
          expect(heard.slice(0, played.length), `take ${s}: ${primed.abc ?? ''}\n${primed.changes.join('\n')}`).toEqual(played);
          if (!melody) expect(decoded.sequence.notes.filter((n) => n.pitch === 67 || n.pitch === 71).length).toBeGreaterThan(3); // the chord is kept
        }
      } finally {
        model.dispose();
      }
    });
  }
});
