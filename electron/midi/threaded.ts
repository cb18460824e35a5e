/**
 * Playback off the main thread. The studio's thread (Electron main, or serve) also answers
 * WebSocket/IPC calls and parses JSON; each of those holds the event loop for a while and a note
 * due then leaves late. So the timing loop runs in a worker_threads Worker (player-worker.ts),
 * where the Scheduler and the real clock have a thread to themselves.
 *
 * `ThreadedScheduler` has the Scheduler's API: callers load, play, stop, seek, set tempo and loop
 * as before, and get onSent/onEnd and position() back. Messages reach the synth in one of two ways
 * (thread-protocol.ts): a hardware port (RtMidi) is opened again by name in the worker, which
 * sends at the exact time and tells the main thread what it sent (so panic knows every sounding
 * note); any other port (loopback, the built-in synth) gets the worker's messages forwarded and
 * sent by the main thread through the bus, so the loopback log and its tests work unchanged.
 *
 * Panic stays immediate: stop, seek, load and dispose release this scheduler's notes on the main
 * thread at once (from what it has been told was sent), and note-ons the worker had already sent
 * for an earlier play are dropped when they arrive. If the worker dies, every scheduler on it
 * stops and releases its notes, and new ones run on the main thread.
 */
import type { Worker } from 'node:worker_threads';
import { missingWorker, startWorker, workerEntry } from '@shared/worker/start';
import type { Note, NoteSequence } from '@shared/music/types';
import { Transport, listSource } from '@shared/transport/transport';
import type { Cancel, Clock } from './clock';
import { FakeClock } from './clock';
import type { OutputBus, Voice } from './output';
import { PlayerHost } from './player-host';
import { Listeners, type MidiOutput } from './port';
import { Scheduler, type SchedulerEnd, type SchedulerOptions, type SentEvent } from './scheduler';
import { NoteStream } from './stream';
import type { FromThread, PortTarget, ToThread } from './thread-protocol';

/** What callers use of a scheduler, wherever its timing loop runs. */
export interface PlaybackScheduler {
  channel: number;
  program: number | undefined;
  readonly isPlaying: boolean;
  readonly qpm: number;
  readonly lateNotes: number;
  load(music: NoteSequence | NoteStream): void;
  play(fromBeat?: number): void;
  stop(): void;
  seek(beat: number): void;
  setTempo(qpm: number): void;
  setLoop(region: { start: number; end: number } | null): void;
  setMetronome(clicks: readonly Note[] | null): void;
  sendProgram(): void;
  position(): number;
  onSent(listener: (e: SentEvent) => void): Cancel;
  onEnd(listener: (why: SchedulerEnd) => void): Cancel;
  dispose(): void;
}

export type SchedulerFactory = (options: SchedulerOptions) => PlaybackScheduler;

/** The two ends of the conversation with the playback thread. */
export interface ThreadLink {
  post(m: ToThread): void;
  onMessage(listener: (m: FromThread) => void): void;
  /** The thread is gone (crashed or terminated), with why. */
  onExit(listener: (reason: string) => void): void;
  /** While something plays, the thread keeps the process alive (as the main-thread Scheduler's timers do). */
  keepAlive?(on: boolean): void;
  close(): void;
}

const isNoteOn = (b: readonly number[]) => (b[0] & 0xf0) === 0x90 && (b[2] ?? 0) > 0;

export interface ThreadedSchedulerOptions extends SchedulerOptions {
  /** Overrides where the thread sends (the benchmark uses 'none'); default: follow the bus's port. */
  target?: PortTarget;
}

export class PlaybackThread {
  private readonly schedulers = new Map<number, ThreadedScheduler>();
  private readonly noticeListeners = new Listeners<[string]>();
  private readonly probes = new Map<number, (ns: number | null) => void>();
  private nextId = 1;
  private deadReason: string | null = null;

  /**
   * @param offsetMs main-thread time minus thread time (performance.timeOrigin difference)
   */
  constructor(
    private readonly link: ThreadLink,
    readonly clock: Clock,
    readonly offsetMs: number,
    /** How the thread was started, for logs: "worker thread", "in-process (tests)". */
    readonly description: string,
    /** The thread's CPU priority: "real-time (SCHED_FIFO 10)", "nice -10", or "normal (...why)". */
    readonly priority = 'normal',
  ) {
    link.onMessage((m) => this.receive(m));
    link.onExit((reason) => this.died(reason));
  }

  /**
   * Starts the worker and waits until it is ready. Never throws: `{ ok: false, reason }` says why
   * playback has to stay on the main thread.
   */
  static async start(options: { entry?: string; clock: Clock; timeoutMs?: number; approachMs?: number; spinMs?: number; raisePriority?: boolean }): Promise<{ ok: true; thread: PlaybackThread } | { ok: false; reason: string }> {
    const entry = options.entry ?? workerEntry('player-worker');
    if (!entry) return { ok: false, reason: `the playback thread cannot start: ${missingWorker('player-worker')}` };
    let worker: Worker;
    try {
      const workerData = { approachMs: options.approachMs, spinMs: options.spinMs, raisePriority: options.raisePriority };
      worker = startWorker({ file: entry }, { workerData });
    } catch (e) {
      return { ok: false, reason: `the playback thread could not start (${(e as Error).message ?? e})` };
    }
    return new Promise((resolve) => {
      let settled = false;
      const settle = (r: { ok: true; thread: PlaybackThread } | { ok: false; reason: string }) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const timer = setTimeout(() => {
        void worker.terminate();
        settle({ ok: false, reason: `the playback thread did not start within ${options.timeoutMs ?? 15000} ms` });
      }, options.timeoutMs ?? 15000);
      const early = (e: unknown) => settle({ ok: false, reason: `the playback thread failed to start (${(e as Error)?.message ?? e})` });
      worker.once('error', early);
      worker.once('exit', (code) => settle({ ok: false, reason: `the playback thread exited at start (code ${code})` }));
      worker.once('message', (m: FromThread) => {
        if (m.t !== 'ready') return early(new Error(`unexpected first message ${m.t}`));
        worker.off('error', early);
        const listeners = new Set<(m: FromThread) => void>();
        const exits = new Set<(reason: string) => void>();
        let closing = false;
        worker.on('message', (msg: FromThread) => listeners.forEach((l) => l(msg)));
        worker.on('error', (e) => exits.forEach((l) => l(`the playback thread crashed (${e.message})`)));
        worker.on('exit', (code) => {
          if (!closing) exits.forEach((l) => l(`the playback thread exited (code ${code})`));
        });
        // The studio's own handles keep the process alive; a finished CLI command should not wait for this.
        worker.unref();
        const link: ThreadLink = {
          post: (msg) => worker.postMessage(msg),
          onMessage: (l) => listeners.add(l),
          onExit: (l) => exits.add(l),
          keepAlive: (on) => (on ? worker.ref() : worker.unref()),
          close: () => {
            closing = true;
            void worker.terminate();
          },
        };
        settle({ ok: true, thread: new PlaybackThread(link, options.clock, m.timeOrigin - performance.timeOrigin, 'worker thread', m.priority) });
      });
    });
  }

  /**
   * The thread's code in this thread, connected by a synchronous in-memory link: what tests use
   * to drive the threaded scheduler with a FakeClock (no worker, no sleeping).
   */
  static inProcess(clock: Clock, options: { openDirect?: (name: string) => Promise<MidiOutput> } = {}): { thread: PlaybackThread; host: PlayerHost } {
    const toMain = new Set<(m: FromThread) => void>();
    const host = new PlayerHost({ clock, post: (m) => toMain.forEach((l) => l(m)), openDirect: options.openDirect });
    let closed = false;
    const exits = new Set<(reason: string) => void>();
    const link: ThreadLink = {
      post: (m) => {
        if (!closed) host.handle(structuredClone(m));
      },
      onMessage: (l) => toMain.add(l),
      onExit: (l) => exits.add(l),
      close: () => {
        closed = true;
        host.dispose();
      },
    };
    const thread = new PlaybackThread(link, clock, 0, 'in-process (tests)');
    // For tests of a thread that dies.
    (thread as unknown as { simulateExit: (r: string) => void }).simulateExit = (r) => exits.forEach((l) => l(r));
    return { thread, host };
  }

  get alive(): boolean {
    return this.deadReason === null;
  }
  /** Why the thread is gone (null while it runs). */
  get exitReason(): string | null {
    return this.deadReason;
  }

  /** A scheduler whose timing loop runs on this thread. */
  scheduler(options: ThreadedSchedulerOptions): ThreadedScheduler {
    const id = this.nextId++;
    const s = new ThreadedScheduler(this, id, options);
    this.schedulers.set(id, s);
    return s;
  }

  /** A factory that uses this thread while it lives and the main thread after. */
  factory(onFallback?: (reason: string) => void): SchedulerFactory {
    let told = false;
    return (options) => {
      if (this.alive) return this.scheduler(options);
      if (!told) {
        told = true;
        onFallback?.(`playback runs on the main thread: ${this.deadReason}`);
      }
      return new Scheduler(options);
    };
  }

  /** Problems the thread reports, in words (a port it could not open...). */
  onNotice(listener: (message: string) => void): Cancel {
    return this.noticeListeners.add(listener);
  }

  /** Nanoseconds the playback thread has spent waiting for a core (Linux; null elsewhere). */
  runDelayNs(): Promise<number | null> {
    if (!this.alive) return Promise.resolve(null);
    const id = this.nextId++;
    this.link.keepAlive?.(true); // an answer is awaited: keep the process up for it
    return new Promise((resolve) => {
      this.probes.set(id, (ns) => {
        resolve(ns);
        this.playingChanged();
      });
      this.post({ t: 'probe', id });
    });
  }

  /** The Panic button: every scheduler's bus on the thread sends its note-offs (owed ones too). */
  panic(): void {
    this.post({ t: 'panic' });
  }

  dispose(): void {
    for (const s of [...this.schedulers.values()]) s.dispose();
    this.deadReason ??= 'the playback thread was closed';
    this.link.close();
  }

  /** @internal */
  post(m: ToThread): void {
    if (this.alive) this.link.post(m);
  }
  /** @internal */
  forget(id: number): void {
    this.schedulers.delete(id);
    this.playingChanged();
  }
  /** @internal */
  playingChanged(): void {
    let any = false;
    for (const s of this.schedulers.values()) any ||= s.isPlaying;
    if (this.alive) this.link.keepAlive?.(any);
  }

  private receive(m: FromThread): void {
    if (m.t === 'ready') return;
    if (m.t === 'notice') {
      this.noticeListeners.emit(m.message);
      return;
    }
    if (m.t === 'probe') {
      this.probes.get(m.id)?.(m.runDelayNs);
      this.probes.delete(m.id);
      return;
    }
    this.schedulers.get(m.id)?.receive(m);
  }

  private died(reason: string): void {
    if (this.deadReason !== null) return;
    this.deadReason = reason;
    this.noticeListeners.emit(`playback moved to the main thread: ${reason}`);
    for (const s of [...this.schedulers.values()]) s.threadDied();
  }
}

export class ThreadedScheduler implements PlaybackScheduler {
  private readonly clock: Clock;
  private readonly bus: OutputBus;
  private readonly voice: Voice;
  /**
   * This thread's copy of the playback thread's transport: it pulls no notes, it only keeps the same
   * clock model (play, seek, tempo, loop) so that position() answers what the thread plays, and it
   * takes over the thread's own timeline at each report (a late note moves it).
   */
  private readonly transport: Transport;
  private channelValue: number;
  private programValue: number | undefined;
  private epoch = 0;
  private unsubscribe: Cancel[] = [];
  private readonly cancelPort: Cancel;
  private readonly fixedTarget: PortTarget | undefined;
  private readonly sentListeners = new Listeners<[SentEvent]>();
  private readonly endListeners = new Listeners<[SchedulerEnd]>();
  private disposed = false;
  lateNotes = 0;

  constructor(
    private readonly thread: PlaybackThread,
    readonly id: number,
    options: ThreadedSchedulerOptions,
  ) {
    this.clock = options.clock;
    this.bus = options.bus;
    this.voice = options.bus.voice(options.voiceName ?? 'playback');
    this.channelValue = options.channel ?? 0;
    this.programValue = options.program;
    this.transport = new Transport({ qpm: options.qpm, lookAheadMs: options.lookAheadMs, prerollMs: options.prerollMs });
    this.fixedTarget = options.target;
    thread.post({
      t: 'create',
      id,
      setup: { channel: this.channelValue, program: this.programValue, qpm: this.qpm, lookAheadMs: options.lookAheadMs, intervalMs: options.intervalMs, prerollMs: options.prerollMs },
      target: this.targetFor(this.bus.port),
      latencyMs: this.bus.latencyMs,
    });
    this.cancelPort = this.bus.onPortChange((port) => {
      // The worker's notes on the old port: released there by the bus's panic (setPort) from what we recorded.
      thread.post({ t: 'target', id, target: this.targetFor(port) });
    });
  }

  get channel(): number {
    return this.channelValue;
  }
  set channel(ch: number) {
    this.channelValue = ch;
    this.thread.post({ t: 'voice', id: this.id, channel: ch, program: this.programValue });
  }
  get program(): number | undefined {
    return this.programValue;
  }
  set program(p: number | undefined) {
    this.programValue = p;
    this.thread.post({ t: 'voice', id: this.id, channel: this.channelValue, program: p });
  }
  get prerollMs(): number {
    return this.transport.prerollMs;
  }
  get isPlaying(): boolean {
    return this.transport.playing;
  }
  get qpm(): number {
    return this.transport.qpm;
  }

  load(music: NoteSequence | NoteStream): void {
    if (this.transport.playing) this.halt();
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
    if (music instanceof NoteStream) {
      this.transport.load(listSource([]));
      this.thread.post({ t: 'load', id: this.id, notes: music.notes.map((n) => ({ ...n })), ended: music.finished, totalTime: music.finished ? music.endBeat : undefined });
      if (!music.finished) {
        this.unsubscribe = [
          music.onAppend((notes) => this.thread.post({ t: 'append', id: this.id, notes: notes.map((n) => ({ ...n })) })),
          music.onEnd(() => this.thread.post({ t: 'end', id: this.id, totalTime: music.endBeat })),
        ];
      }
    } else {
      const qpm = music.tempos[0]?.qpm;
      const valid = qpm !== undefined && Number.isFinite(qpm) && qpm > 0;
      this.transport.load(listSource([]), valid ? qpm : undefined);
      this.thread.post({ t: 'load', id: this.id, notes: music.notes.map((n) => ({ ...n })), qpm: valid ? qpm : undefined, ended: true, totalTime: music.totalTime });
    }
  }

  play(fromBeat?: number): void {
    if (this.disposed) return;
    if (!this.transport.play(this.clock.now(), fromBeat, this.bus.latencyMs)) return;
    this.epoch++;
    this.thread.post({ t: 'play', id: this.id, epoch: this.epoch, fromBeat: this.transport.position(this.clock.now()), latencyMs: this.bus.latencyMs });
    this.thread.playingChanged();
  }

  stop(): void {
    if (!this.transport.stop(this.clock.now())) return;
    this.halt();
    this.thread.post({ t: 'stop', id: this.id, epoch: this.epoch });
    this.endListeners.emit('stopped');
  }

  seek(beat: number): void {
    const target = Math.max(0, beat);
    const wasPlaying = this.transport.playing;
    this.transport.seek(this.clock.now(), target, this.bus.latencyMs);
    if (!wasPlaying) return;
    this.epoch++;
    this.voice.release();
    this.thread.post({ t: 'seek', id: this.id, epoch: this.epoch, beat: target, latencyMs: this.bus.latencyMs });
  }

  setTempo(qpm: number): void {
    if (!this.transport.setTempo(this.clock.now(), qpm)) return;
    this.thread.post({ t: 'tempo', id: this.id, qpm });
  }

  setLoop(region: { start: number; end: number } | null): void {
    this.transport.setLoop(region);
    this.thread.post({ t: 'loop', id: this.id, region: this.transport.loop });
  }

  setMetronome(clicks: readonly Note[] | null): void {
    this.thread.post({ t: 'metronome', id: this.id, clicks: clicks ? clicks.map((c) => ({ ...c })) : null });
  }

  sendProgram(): void {
    this.thread.post({ t: 'sendProgram', id: this.id });
  }

  /** The song position now sounding: the thread's timeline (as last reported), by the same clock model. */
  position(): number {
    return this.transport.position(this.clock.now());
  }

  onSent(listener: (e: SentEvent) => void): Cancel {
    return this.sentListeners.add(listener);
  }
  onEnd(listener: (why: SchedulerEnd) => void): Cancel {
    return this.endListeners.add(listener);
  }

  dispose(): void {
    if (this.disposed) return;
    if (this.transport.playing) this.halt();
    this.disposed = true;
    this.thread.post({ t: 'dispose', id: this.id });
    this.thread.forget(this.id);
    for (const u of this.unsubscribe) u();
    this.cancelPort();
    this.voice.dispose();
    this.sentListeners.clear();
    this.endListeners.clear();
  }

  /** @internal */
  receive(m: Exclude<FromThread, { t: 'ready' } | { t: 'notice' } | { t: 'probe' }>): void {
    const offset = this.thread.offsetMs;
    switch (m.t) {
      case 'out': {
        const atMs = m.atMs === undefined ? undefined : m.atMs + offset;
        if (m.delivered) {
          this.voice.record(m.bytes, atMs);
        } else if (m.epoch === this.epoch || !isNoteOn(m.bytes)) {
          // A note-on from a play that has since been stopped would hang: only its note-offs pass.
          if (!this.disposed) this.voice.send(m.bytes, atMs);
        }
        break;
      }
      case 'sent':
        if (m.epoch === this.epoch && this.transport.playing) {
          this.sentListeners.emit({ ...m.event, targetMs: m.event.targetMs + offset, sentMs: m.event.sentMs + offset });
        }
        break;
      case 'state':
        if (m.epoch === this.epoch && this.transport.playing && m.playing) {
          this.transport.adopt(m.timeline, offset);
          this.lateNotes = m.lateNotes;
        }
        break;
      case 'ended':
        if (m.why === 'finished' && m.epoch === this.epoch && this.transport.playing) {
          this.transport.finish();
          this.thread.playingChanged();
          if (this.voice.soundingCount) this.voice.release();
          this.endListeners.emit('finished');
        }
        break;
    }
  }

  /** @internal the worker is gone: silence what it was playing, as a stop would. */
  threadDied(): void {
    if (!this.transport.stop(this.clock.now())) return;
    this.halt();
    this.endListeners.emit('stopped');
  }

  private halt(): void {
    this.transport.halt();
    this.epoch++;
    this.voice.release();
    this.thread.playingChanged();
  }

  private targetFor(port: MidiOutput | null): PortTarget {
    if (this.fixedTarget) return this.fixedTarget;
    return port?.threadTarget ?? { kind: 'forward' };
  }
}

/** Use a worker only with a real clock: a FakeClock's time lives in this thread. */
export function canUseThread(clock: Clock): boolean {
  return !(clock instanceof FakeClock);
}
