import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { notesToEvents } from './events';
import { renderEvents, toWav } from './render';

const SF = path.resolve(__dirname, '../../../../resources/soundfonts/FluidR3Mono_GM.sf3');

describe('synth events', () => {
  it('turns notes into sorted on/off events at the tempo, offs first at equal times', () => {
    const notes = [
      { pitch: 60, start: 0, end: 1, velocity: 90, voice: 0 },
      { pitch: 60, start: 1, end: 2, velocity: 80, voice: 0 },
    ];
    const events = notesToEvents(notes, 120);
    expect(events.map((e) => [e.time, e.type])).toEqual([[0, 'on'], [0.5, 'off'], [0.5, 'on'], [1, 'off']]);
    // starting mid-note clips it to the start
    expect(notesToEvents(notes, 60, 0.5).map((e) => e.time)).toEqual([0, 0.5, 0.5, 1.5]);
  });
});

describe.skipIf(!fs.existsSync(SF))('offline render through the bundled SoundFont', () => {
  it('renders sound where the notes are and silence before them', async () => {
    const sf = fs.readFileSync(SF);
    const events = notesToEvents([{ pitch: 69, start: 1, end: 2, velocity: 100, voice: 0 }], 120);
    const audio = await renderEvents(sf.buffer.slice(sf.byteOffset, sf.byteOffset + sf.byteLength), events, { sampleRate: 22_050, tail: 0.5 });
    expect(audio.left.length).toBe(Math.ceil(1.5 * 22_050));
    const rms = (a: Float32Array, from: number, to: number) => Math.sqrt(a.subarray(from, to).reduce((s, v) => s + v * v, 0) / (to - from));
    expect(rms(audio.left, 0, 10_000)).toBeLessThan(1e-4); // before the note (0.5 s = 11,025 samples)
    expect(rms(audio.left, 11_100, 20_000)).toBeGreaterThan(1e-3);
    const wav = toWav(audio);
    expect(new TextDecoder().decode(wav.subarray(0, 4))).toBe('RIFF');
    expect(new TextDecoder().decode(wav.subarray(8, 12))).toBe('WAVE');
  }, 60_000);
});
