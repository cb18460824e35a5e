import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStudio, type Studio } from './index';
import { createFakeEngine } from './testing/fake-engine';
import { FakeClock, LoopbackMidiSystem, soundingNotes } from '../midi/index';
import type { EventName } from '@shared/ipc/contract';

const ctx = { via: 'test' as const };
let studio: Studio | undefined;
afterEach(async () => {
  await studio?.dispose();
  studio = undefined;
});

const settle = () => new Promise((r) => setTimeout(r, 5));

describe('call-and-response in the studio', () => {
  it('answers a phrase after the pause, and playing again cuts the answer off with no hung notes', async () => {
    const clock = new FakeClock(0);
    const hardware = new LoopbackMidiSystem(clock);
    hardware.addOutput('Synth A');
    studio = await createStudio({
      mode: 'serve',
      userDataDir: fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-cr-')),
      clock,
      engine: createFakeEngine(),
      openMidi: async () => ({ ok: true, system: hardware }),
    });
    const seen: { name: EventName; payload: any }[] = [];
    studio.events.subscribe((name, payload) => seen.push({ name, payload }));
    await studio.handlers.chooseDevices({ output: 'Synth A', thru: false }, ctx);
    expect(await studio.handlers.setCallAndResponse({ enabled: true, qpm: 120, pauseMs: 600, sampling: { temperature: 1, topK: 0, topP: 1, length: 32, count: 1 } }, ctx)).toEqual({ enabled: true });

    // the phrase: two notes, then silence
    const key = (bytes: number[]) => studio!.handlers.playKeys({ bytes }, ctx);
    key([0x90, 60, 90]);
    clock.advance(250);
    key([0x80, 60, 0]);
    key([0x90, 64, 90]);
    clock.advance(250);
    key([0x80, 64, 0]);
    clock.advance(650); // the pause ends the phrase
    for (let i = 0; i < 20; i++) {
      await settle(); // the (fake) engine streams its notes
      clock.advance(50);
    }
    expect(seen.find((e) => e.name === 'call.seed')?.payload.notes.map((n: any) => n.pitch)).toEqual([60, 64]);
    expect(seen.some((e) => e.name === 'call.state' && e.payload.state === 'answering')).toBe(true);
    const answered = hardware.sent('Synth A').filter((e) => (e.bytes[0] & 0xf0) === 0x90 && e.bytes[2] > 0).map((e) => e.bytes[1]);
    expect(answered.slice(0, 2)).toEqual([62, 63]);
    expect(seen.some((e) => e.name === 'call.latency')).toBe(true);

    // play again mid-answer: the answer stops and nothing is left sounding
    key([0x90, 67, 90]);
    clock.advance(10);
    expect(soundingNotes(hardware.sent('Synth A'), { honourAllNotesOff: false })).toEqual([]);
    key([0x80, 67, 0]);

    expect(await studio.handlers.setCallAndResponse({ enabled: false, qpm: 120, pauseMs: 600, sampling: { temperature: 1, topK: 0, topP: 1, length: 32, count: 1 } }, ctx)).toEqual({ enabled: false });
    expect(seen.at(-1)).toEqual({ name: 'call.state', payload: { state: 'off' } });
  });
});
