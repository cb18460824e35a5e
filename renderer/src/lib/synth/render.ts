/**
 * Offline render to a .wav through the SoundFont: the synth core (spessasynth_core, which
 * spessasynth_lib's worklet wraps) rendered block by block on this thread, with each event applied
 * at its exact sample. Plain computation, so it runs the same in the page and in Node tests.
 */
import { SoundBankLoader, SpessaSynthProcessor, audioToWav } from 'spessasynth_core';
import type { SynthEvent } from './events';

export interface RenderOptions {
  sampleRate?: number;
  /** Seconds of release after the last event (reverb tails). */
  tail?: number;
  /** GM program for channel 0 (default 0, acoustic grand piano). */
  program?: number;
  /** Called with 0..1 while rendering; return false to stop. */
  onProgress?: (fraction: number) => boolean | void;
}

export interface RenderedAudio {
  left: Float32Array;
  right: Float32Array;
  sampleRate: number;
}

const BLOCK = 128;

export async function renderEvents(soundFont: ArrayBuffer, events: readonly SynthEvent[], opts: RenderOptions = {}): Promise<RenderedAudio> {
  if (soundFont.byteLength === 0) throw new Error('the SoundFont is empty (its buffer was handed to another thread)');
  const sampleRate = opts.sampleRate ?? 44_100;
  const processor = new SpessaSynthProcessor(sampleRate, { effectsEnabled: true, eventsEnabled: false });
  await processor.processorInitialized;
  processor.soundBankManager.addSoundBank(SoundBankLoader.fromArrayBuffer(soundFont), 'main');
  processor.programChange(0, opts.program ?? 0);
  const end = (events.at(-1)?.time ?? 0) + (opts.tail ?? 1.5);
  const total = Math.ceil(end * sampleRate);
  const left = new Float32Array(total);
  const right = new Float32Array(total);
  let next = 0;
  let lastReport = 0;
  for (let at = 0; at < total; ) {
    while (next < events.length && Math.round(events[next].time * sampleRate) <= at) {
      const e = events[next++];
      if (e.type === 'on') processor.noteOn(e.channel, e.pitch, e.velocity);
      else processor.noteOff(e.channel, e.pitch);
    }
    const until = next < events.length ? Math.min(total, Math.max(at + 1, Math.round(events[next].time * sampleRate))) : total;
    const count = Math.min(BLOCK, until - at);
    processor.process(left, right, at, count);
    at += count;
    if (opts.onProgress && at - lastReport > sampleRate) {
      lastReport = at;
      if (opts.onProgress(at / total) === false) throw new DOMException('render cancelled', 'AbortError');
      // Let the page breathe between seconds of audio.
      await new Promise((r) => setTimeout(r, 0));
    }
  }
  return { left, right, sampleRate };
}

/** 16-bit stereo PCM RIFF/WAVE bytes. */
export function toWav(audio: RenderedAudio): Uint8Array {
  return new Uint8Array(audioToWav([audio.left, audio.right], audio.sampleRate));
}
