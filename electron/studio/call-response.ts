/**
 * Call-and-response in the studio: the MIDI core's controller listens to the chosen input; when a
 * phrase ends it asks the engine for an answer seeded with that phrase and plays the notes as the
 * sampler produces them. Playing again interrupts the answer (the controller releases its notes)
 * and cancels the engine run.
 */
import type { Note, NoteSequence } from '@shared/music/types';
import { toNoteDto, type Sampling } from '@shared/ipc/schemas';
import { CallAndResponse, seedQuantizer, type AnswerFn } from '../midi/index';
import type { DevicesService } from './midi-service';
import type { EventBus } from './events';
import type { StudioEngine } from './ports';
import type { Handlers } from '@shared/ipc/dispatch';
import { StudioError } from '@shared/ipc/result';


/** Turns a callback stream of notes into an async iterable the controller can consume. */
export function streamAnswer(engine: StudioEngine, seed: NoteSequence, sampling: Sampling & { rngSeed: number }, modelId: string | undefined, signal: AbortSignal): AsyncIterable<Note> {
  const queue: Note[] = [];
  let wake: (() => void) | null = null;
  let finished = false;
  let failure: unknown = null;
  let offset: number | null = null;
  const notify = () => {
    wake?.();
    wake = null;
  };
  engine
    .generate(
      { modelId, seed: { kind: 'notes', notes: seed.notes.map(toNoteDto) }, sampling },
      (variation, note) => {
        if (variation !== 0) return;
        // The answer starts as soon as the pause ends: shift its notes to begin at beat 0.
        offset ??= note.start;
        queue.push({ ...note, start: note.start - offset, end: note.end - offset });
        notify();
      },
      signal,
    )
    .catch((e) => (failure = e))
    .finally(() => {
      finished = true;
      notify();
    });
  return {
    async *[Symbol.asyncIterator]() {
      for (;;) {
        while (queue.length) yield queue.shift()!;
        if (finished || signal.aborted) break;
        await new Promise<void>((r) => (wake = r));
      }
      if (failure && !signal.aborted) throw failure;
    },
  };
}

/** How long after the last key goes up the model is asked (a breath in the middle of a phrase is shorter). */
export const EARLY_ASK_MS = 250;

/**
 * Loads the model in the engine now (the first answer would otherwise also pay for reading and
 * compiling the model, ~0.2 s here): a one-note seed, stopped at its first note.
 */
export function warmUp(engine: StudioEngine, modelId: string | undefined, sampling: Sampling & { rngSeed: number }): void {
  const abort = new AbortController();
  engine
    .generate({ modelId, seed: { kind: 'notes', notes: [{ pitch: 62, start: 0, end: 1, velocity: 80, voice: 0 }] }, sampling: { ...sampling, count: 1 } }, () => abort.abort(), abort.signal)
    .catch(() => {
      /* a model that cannot answer says so when it is asked for real */
    });
}

export class CallResponseService {
  private controller: CallAndResponse | null = null;
  private cancelInput: (() => void) | null = null;

  constructor(
    private readonly devices: DevicesService,
    private readonly engine: StudioEngine | undefined,
    private readonly events: EventBus,
    /** Each answer's RNG seed (a fresh one per phrase unless the request locks one). */
    private readonly random: () => number,
  ) {}

  get enabled(): boolean {
    return this.controller !== null;
  }

  set(options: { enabled: boolean; modelId?: string; qpm: number; pauseMs: number; sampling: Sampling }): boolean {
    this.stop();
    if (!options.enabled) return false;
    const engine = this.engine;
    if (!engine) return false;
    const answer: AnswerFn = (seed, signal) => streamAnswer(engine, seed, { ...options.sampling, rngSeed: options.sampling.rngSeed ?? this.random() }, options.modelId, signal);
    const settings = this.devices.outputSettings();
    this.controller = new CallAndResponse({
      clock: this.devices.clock,
      bus: this.devices.bus,
      answer,
      qpm: options.qpm,
      pauseMs: options.pauseMs,
      channel: settings.channel,
      program: settings.program ?? undefined,
      quantize: seedQuantizer(),
      onState: (state) => this.events.emit('call.state', { state }),
      onSeed: (seed) => this.events.emit('call.seed', { notes: seed.notes.map(toNoteDto) }),
      onAnswerNote: (note) => this.events.emit('call.answer', { note: toNoteDto(note) }),
      onLatency: (ms) => this.events.emit('call.latency', { ms }),
      onError: (message) => this.events.emit('devices.notice', { message }),
      scheduler: this.devices.schedulerFactory,
      // Ask the model while the pause is still running: its answer is ready when the pause ends.
      speculateAfterMs: Math.min(EARLY_ASK_MS, Math.round(options.pauseMs / 2)),
    });
    warmUp(engine, options.modelId, { ...options.sampling, rngSeed: 0 });
    const controller = this.controller;
    this.cancelInput = this.devices.onInput((bytes, timeMs) => controller.feed(bytes, timeMs));
    this.events.emit('call.state', { state: 'listening' });
    return true;
  }

  stop(): void {
    if (!this.controller) return;
    this.cancelInput?.();
    this.cancelInput = null;
    this.controller.dispose();
    this.controller = null;
    this.events.emit('call.state', { state: 'off' });
  }
}

/** `setCallAndResponse`: turn the answering model on or off. */
export function setupCallAndResponse({ callResponse, engine }: { callResponse: CallResponseService; engine: StudioEngine | undefined }): Pick<Handlers, 'setCallAndResponse'> {
  return {
    setCallAndResponse: (request) => {
      if (request.enabled && !engine) throw new StudioError('unsupported', 'call-and-response needs the engine, which is not available in this build');
      return { enabled: callResponse.set(request) };
    },
  };
}
