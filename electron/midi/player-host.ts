/**
 * The playback thread's side: real Schedulers, each with its own OutputBus, driven by messages
 * from the studio's thread (thread-protocol.ts). Kept apart from the Worker entry so tests run it
 * in-process with a FakeClock and an in-memory link: the same code the worker runs.
 */
import type { Note, NoteSequence } from '@shared/music/types';
import type { Cancel, Clock } from './clock';
import { OutputBus } from './output';
import type { MidiOutput, MidiPortInfo } from './port';
import { Scheduler } from './scheduler';
import { NoteStream } from './stream';
import type { FromThread, PortTarget, ToThread } from './thread-protocol';

export interface PlayerHostOptions {
  clock: Clock;
  post: (m: FromThread) => void;
  /** Opens a hardware output by name in this thread; without it, rtmidi targets are forwarded. */
  openDirect?: (name: string) => Promise<MidiOutput>;
  /** How often a playing scheduler reports its position. */
  stateEveryMs?: number;
  /** Nanoseconds this thread has waited for a core (Linux), for the benchmark. */
  runDelayNs?: () => number | null;
}

interface Entry {
  id: number;
  scheduler: Scheduler;
  bus: OutputBus;
  stream: NoteStream | null;
  epoch: number;
  target: PortTarget;
  direct: MidiOutput | null;
  cancelState: Cancel | undefined;
}

/** The port each scheduler's bus sends to: the real device, the main thread, or nowhere. */
class HostPort implements MidiOutput {
  readonly info: MidiPortInfo = { name: 'playback thread', kind: 'output', virtual: false };
  constructor(
    private readonly entry: Entry,
    private readonly post: (m: FromThread) => void,
  ) {}
  send(bytes: ArrayLike<number>, atMs?: number): void {
    const e = this.entry;
    if (e.target.kind === 'none') return;
    // All Notes Off / All Sound Off are the main thread's to send: only it knows whether the
    // musician is holding keys on that channel through MIDI thru.
    if ((bytes[0] & 0xf0) === 0xb0 && (bytes[1] === 123 || bytes[1] === 120)) return;
    const copy = Array.from(bytes);
    if (e.target.kind === 'rtmidi' && e.direct) {
      e.direct.send(copy, atMs); // throws when the device is gone: the bus owes the note-offs
      this.post({ t: 'out', id: e.id, epoch: e.epoch, bytes: copy, atMs, delivered: true });
      return;
    }
    this.post({ t: 'out', id: e.id, epoch: e.epoch, bytes: copy, atMs, delivered: false });
  }
  onDisconnect(): Cancel {
    return () => {};
  }
  close(): void {}
}

export class PlayerHost {
  private readonly entries = new Map<number, Entry>();
  private readonly direct = new Map<string, Promise<MidiOutput | null>>();
  private readonly told = new Set<string>();
  private readonly stateEveryMs: number;

  constructor(private readonly options: PlayerHostOptions) {
    this.stateEveryMs = options.stateEveryMs ?? 50;
  }

  handle(m: ToThread): void {
    if (m.t === 'panic') {
      for (const e of this.entries.values()) e.bus.panic();
      return;
    }
    if (m.t === 'probe') {
      this.options.post({ t: 'probe', id: m.id, runDelayNs: this.options.runDelayNs?.() ?? null });
      return;
    }
    if (m.t === 'create') {
      this.create(m.id, m);
      return;
    }
    const e = this.entries.get(m.id);
    if (!e) return;
    const s = e.scheduler;
    switch (m.t) {
      case 'target':
        this.setTarget(e, m.target);
        break;
      case 'load': {
        e.stream = null;
        if (m.ended) {
          const seq: NoteSequence = { notes: m.notes, tempos: m.qpm ? [{ time: 0, qpm: m.qpm }] : [], timeSignatures: [], keySignatures: [], totalTime: m.totalTime ?? 0 };
          s.load(seq);
        } else {
          const stream = new NoteStream();
          this.append(stream, m.notes);
          e.stream = stream;
          s.load(stream);
        }
        break;
      }
      case 'append':
        if (e.stream && !e.stream.finished) this.append(e.stream, m.notes);
        break;
      case 'end':
        e.stream?.end(m.totalTime);
        break;
      case 'play':
        e.epoch = m.epoch;
        e.bus.latencyMs = m.latencyMs;
        s.play(m.fromBeat);
        this.reportState(e);
        break;
      case 'stop':
        e.epoch = m.epoch;
        s.stop();
        break;
      case 'seek':
        e.epoch = m.epoch;
        e.bus.latencyMs = m.latencyMs;
        s.seek(m.beat);
        this.reportState(e);
        break;
      case 'tempo':
        s.setTempo(m.qpm);
        this.reportState(e);
        break;
      case 'loop':
        s.setLoop(m.region);
        break;
      case 'metronome':
        s.setMetronome(m.clicks);
        break;
      case 'voice':
        s.channel = m.channel;
        s.program = m.program;
        break;
      case 'sendProgram':
        s.sendProgram();
        break;
      case 'dispose':
        e.cancelState?.();
        s.dispose();
        e.bus.dispose();
        this.entries.delete(e.id);
        break;
    }
  }

  /** Every scheduler stops and silences its notes (the thread is being shut down). */
  dispose(): void {
    for (const e of [...this.entries.values()]) this.handle({ t: 'dispose', id: e.id });
  }

  private create(id: number, m: Extract<ToThread, { t: 'create' }>): void {
    const { clock, post } = this.options;
    const bus = new OutputBus({ clock, onError: (message) => this.notice(message) });
    bus.latencyMs = m.latencyMs;
    const scheduler = new Scheduler({ clock, bus, ...m.setup, voiceName: 'playback thread' });
    const entry: Entry = { id, scheduler, bus, stream: null, epoch: 0, target: { kind: 'none' }, direct: null, cancelState: undefined };
    bus.setPort(new HostPort(entry, post));
    this.setTarget(entry, m.target);
    scheduler.onSent((event) => post({ t: 'sent', id, epoch: entry.epoch, event }));
    scheduler.onEnd((why) => {
      entry.cancelState?.();
      entry.cancelState = undefined;
      post({ t: 'ended', id, epoch: entry.epoch, why });
    });
    this.entries.set(id, entry);
  }

  private append(stream: NoteStream, notes: Note[]): void {
    try {
      stream.append(notes);
    } catch {
      // The main thread's stream already refused bad notes; a batch that still fails is skipped.
    }
  }

  private setTarget(e: Entry, target: PortTarget): void {
    // Whatever sounds where the messages went so far is silenced there first.
    if (e.target.kind !== target.kind || (e.target.kind === 'rtmidi' && target.kind === 'rtmidi' && e.target.name !== target.name)) e.bus.panic();
    e.target = target;
    e.direct = null;
    if (target.kind !== 'rtmidi') return;
    const open = this.options.openDirect;
    if (!open) {
      e.target = { kind: 'forward' };
      return;
    }
    let pending = this.direct.get(target.name);
    if (!pending) {
      pending = open(target.name).catch((err: unknown) => {
        this.notice(`the playback thread could not open "${target.name}" itself (${(err as Error).message ?? err}); its notes go through the studio instead`);
        this.direct.delete(target.name);
        return null;
      });
      this.direct.set(target.name, pending);
    }
    // Until the port is open here, messages are forwarded (sent by the main thread).
    e.target = { kind: 'forward' };
    void pending.then((port) => {
      if (!port || !this.entries.has(e.id)) return;
      e.target = target;
      e.direct = port;
    });
  }

  private reportState(e: Entry): void {
    e.cancelState?.();
    e.cancelState = undefined;
    const s = e.scheduler;
    const { clock, post } = this.options;
    post({ t: 'state', id: e.id, epoch: e.epoch, playing: s.isPlaying, beat: s.position(), atMs: clock.now(), qpm: s.qpm, lateNotes: s.lateNotes, timeline: s.timeline() });
    if (!s.isPlaying) return;
    const next = clock.now() + this.stateEveryMs;
    const again = () => this.reportState(e);
    e.cancelState = clock.around ? clock.around(next, again) : clock.at(next, again);
  }

  private notice(message: string): void {
    if (this.told.has(message)) return;
    this.told.add(message);
    this.options.post({ t: 'notice', message });
  }
}
