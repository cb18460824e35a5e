/**
 * The built-in synth: spessasynth's AudioWorklet synthesizer playing the bundled General MIDI
 * SoundFont. Created on first use (browsers only start audio after a user gesture) and shared.
 */
import { WorkletSynthesizer } from 'spessasynth_lib';
import processorUrl from 'spessasynth_lib/dist/spessasynth_processor.min.js?url';
import type { NoteOutput } from './player';

/** Relative to the page, so it works from app://studio/ and from `seedsong serve` alike. */
export const SOUNDFONT_URL = 'soundfonts/FluidR3Mono_GM.sf3';

let soundFontBytes: Promise<ArrayBuffer> | null = null;

/**
 * The SoundFont file, fetched once. Each caller gets its own copy: the worklet synth takes its
 * buffer by transfer (which empties the sender's), and the .wav export needs the bytes afterwards.
 */
export async function loadSoundFont(): Promise<ArrayBuffer> {
  soundFontBytes ??= fetch(SOUNDFONT_URL).then(async (r) => {
    if (!r.ok) throw new Error(`The built-in synth's SoundFont did not load (${r.status} ${r.statusText}).`);
    return r.arrayBuffer();
  });
  try {
    return (await soundFontBytes).slice(0);
  } catch (e) {
    soundFontBytes = null;
    throw e;
  }
}

export class BuiltInSynth implements NoteOutput {
  private constructor(
    readonly context: AudioContext,
    private readonly synth: WorkletSynthesizer,
  ) {}

  static async create(program = 0): Promise<BuiltInSynth> {
    const context = new AudioContext({ latencyHint: 'interactive' });
    try {
      await context.audioWorklet.addModule(processorUrl);
      const synth = new WorkletSynthesizer(context);
      synth.connect(context.destination);
      await synth.soundBankManager.addSoundBank(await loadSoundFont(), 'main');
      await synth.isReady;
      synth.programChange(0, program);
      return new BuiltInSynth(context, synth);
    } catch (e) {
      void context.close();
      throw new Error(`The built-in synth could not start: ${(e as Error)?.message ?? String(e)}`);
    }
  }

  async resume(): Promise<void> {
    if (this.context.state !== 'running') await this.context.resume();
  }

  now(): number {
    return this.context.currentTime;
  }

  noteOn(channel: number, pitch: number, velocity: number, time: number): void {
    this.synth.noteOn(channel, pitch, velocity, { time });
  }

  noteOff(channel: number, pitch: number, time: number): void {
    this.synth.noteOff(channel, pitch, { time });
  }

  allNotesOff(): void {
    this.synth.stopAll(true);
  }

  /** Raw MIDI bytes (from the studio's scheduler, recorder clicks or MIDI thru), `delayMs` from now. */
  sendBytes(bytes: readonly number[], delayMs: number): void {
    this.synth.sendMessage(bytes, 0, { time: this.context.currentTime + Math.max(0, delayMs) / 1000 });
  }

  setProgram(program: number): void {
    this.synth.programChange(0, program);
  }

  async dispose(): Promise<void> {
    this.synth.destroy();
    await this.context.close();
  }
}

let shared: Promise<BuiltInSynth> | null = null;

/** The one built-in synth of the window (playback, metronome clicks, thru all share it). */
export function builtInSynth(): Promise<BuiltInSynth> {
  shared ??= BuiltInSynth.create();
  shared.catch(() => (shared = null));
  return shared;
}
