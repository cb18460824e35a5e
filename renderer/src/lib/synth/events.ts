/**
 * A tune as timed MIDI events for the offline .wav render. The live player takes its events from
 * the transport core (shared/transport); from the top they are the same events at the same times
 * (player.test.ts checks it), so a take sounds the same through either.
 */
import type { Note } from '@shared/music/types';

export interface SynthEvent {
  /** Seconds from the start of playback. */
  time: number;
  type: 'on' | 'off';
  pitch: number;
  velocity: number;
  channel: number;
}

/** Quarters -> seconds at a fixed tempo. */
export const quartersToSeconds = (quarters: number, qpm: number): number => (quarters * 60) / qpm;
export const secondsToQuarters = (seconds: number, qpm: number): number => (seconds * qpm) / 60;

/**
 * Note-on/off events from `from` (quarters) on, sorted by time with note-offs first at equal times,
 * so that a repeated pitch is released before it sounds again.
 */
export function notesToEvents(notes: readonly Note[], qpm: number, from = 0, channel = 0): SynthEvent[] {
  const events: SynthEvent[] = [];
  for (const n of notes) {
    if (n.end <= from) continue;
    const start = Math.max(n.start, from) - from;
    events.push({ time: quartersToSeconds(start, qpm), type: 'on', pitch: n.pitch, velocity: n.velocity, channel });
    events.push({ time: quartersToSeconds(n.end - from, qpm), type: 'off', pitch: n.pitch, velocity: 0, channel });
  }
  return events.sort((a, b) => a.time - b.time || (a.type === b.type ? a.pitch - b.pitch : a.type === 'off' ? -1 : 1));
}
