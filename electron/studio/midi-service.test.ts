import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStudio, noMidiHardware, type Studio } from './index';
import { BUILT_IN_SYNTH, ON_SCREEN_KEYBOARD } from './midi-service';
import { FakeClock, LoopbackMidiSystem, realClock, soundingNotes, type Clock } from '../midi/index';
import type { EventName } from '@shared/ipc/contract';
import { metronomeClicks } from '@shared/transport/transport';

const ctx = { via: 'test' as const };
let studios: Studio[] = [];
afterEach(async () => {
  for (const s of studios) await s.dispose();
  studios = [];
});

async function studioWith(options: { hardware?: LoopbackMidiSystem; clock: Clock; dir?: string }) {
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-devices-'));
  const studio = await createStudio({
    mode: 'serve',
    userDataDir: dir,
    clock: options.clock,
    midiPollMs: 100,
    openMidi: options.hardware ? async () => ({ ok: true, system: options.hardware! }) : noMidiHardware,
  });
  studios.push(studio);
  const seen: { name: EventName; payload: any }[] = [];
  studio.events.subscribe((name, payload) => seen.push({ name, payload }));
  return { studio, seen, dir };
}

describe('studio devices', () => {
  it('without MIDI hardware: built-in synth and on-screen keyboard, and a reason in words', async () => {
    const { studio } = await studioWith({ clock: new FakeClock() });
    const state = await studio.handlers.devices({}, ctx);
    expect(state.hardware).toBe(false);
    expect(state.message).toBe('No MIDI devices: MIDI hardware is not used here. Using the built-in synth and the on-screen keyboard.');
    expect(state.inputs.map((p) => p.name)).toEqual([ON_SCREEN_KEYBOARD]);
    expect(state.outputs.map((p) => p.name)).toEqual([BUILT_IN_SYNTH]);
    expect(state).toMatchObject({ input: ON_SCREEN_KEYBOARD, output: BUILT_IN_SYNTH });
    const info = await studio.handlers.appInfo({}, ctx);
    expect(info.midi).toEqual({ available: false, message: state.message });
  });

  it('records a seed from the on-screen keyboard: count-in clicks, then quantized notes', async () => {
    const clock = new FakeClock(1000);
    const { studio, seen } = await studioWith({ clock });
    const { runId } = await studio.handlers.startRecording({ qpm: 120, meter: { numerator: 4, denominator: 4 }, countInBars: 1 }, ctx);
    // one bar of count-in at 120 qpm = 2 s; the clicks sound on the built-in synth
    clock.advance(2000 + 20);
    const clicks = seen.filter((e) => e.name === 'synth.midi' && (e.payload.bytes[0] & 0xf0) === 0x90);
    expect(clicks.length).toBeGreaterThanOrEqual(4);
    // play D E F# with a little human jitter, half a beat each (250 ms)
    const start = clock.now();
    const play = (offsetMs: number, bytes: number[]) => {
      clock.advanceTo(start + offsetMs);
      studio.handlers.playKeys({ bytes }, ctx);
    };
    play(3, [0x90, 62, 90]);
    play(240, [0x80, 62, 0]);
    play(252, [0x90, 64, 80]);
    play(497, [0x90, 64, 0]);
    play(498, [0x90, 66, 100]);
    play(745, [0x80, 66, 0]);
    expect(await studio.handlers.stopRecording({ runId }, ctx)).toEqual({ stopped: true });
    const done = seen.find((e) => e.name === 'record.done')?.payload;
    expect(done.runId).toBe(runId);
    expect(done.notes.map((n: any) => [n.pitch, n.start, n.end, n.velocity])).toEqual([
      [62, 0, 0.5, 90],
      [64, 0.5, 1, 80],
      [66, 1, 1.5, 100],
    ]);
    expect(seen.some((e) => e.name === 'input.note' && e.payload.pitch === 64)).toBe(true);
    expect(await studio.handlers.stopRecording({ runId }, ctx)).toEqual({ stopped: false });
  });

  it('says where the recording is: each count-in click, then each beat from the downbeat (not the last click throughout)', async () => {
    const clock = new FakeClock(0);
    const { studio, seen } = await studioWith({ clock });
    const { runId } = await studio.handlers.startRecording({ qpm: 120, meter: { numerator: 6, denominator: 8 }, countInBars: 1 }, ctx);
    clock.advance(20 + 1500 + 250 * 4 + 10); // lead-in, the 6/8 count-in bar (six eighths), four eighths of recording
    const states = seen.filter((e) => e.name === 'record.state').map((e) => `${e.payload.state} ${e.payload.beat}`);
    expect(states).toEqual(['count-in 0', 'count-in 1', 'count-in 2', 'count-in 3', 'count-in 4', 'count-in 5', 'recording 0', 'recording 1', 'recording 2', 'recording 3', 'recording 4']);
    await studio.handlers.stopRecording({ runId }, ctx);
    clock.advance(2000);
    expect(seen.filter((e) => e.name === 'record.state').at(-1)?.payload.state).toBe('done');
    expect(seen.filter((e) => e.name === 'record.state')).toHaveLength(12);
  });

  it('refuses a second recording while one runs', async () => {
    const { studio } = await studioWith({ clock: new FakeClock() });
    await studio.handlers.startRecording({ qpm: 100, meter: { numerator: 6, denominator: 8 }, countInBars: 0 }, ctx);
    await expect(async () => studio.handlers.startRecording({ qpm: 100, meter: { numerator: 6, denominator: 8 }, countInBars: 0 }, ctx)).rejects.toMatchObject({ code: 'busy' });
  });

  it('plays to a hardware output on time, and stop leaves no note sounding', async () => {
    const clock = new FakeClock(0);
    const hardware = new LoopbackMidiSystem(clock);
    hardware.addOutput('Synth A');
    const { studio } = await studioWith({ clock, hardware });
    await studio.handlers.chooseDevices({ output: 'Synth A', settings: { channel: 2 } }, ctx);
    const notes = [0, 1, 2, 3].map((i) => ({ pitch: 60 + i, start: i, end: i + 1, velocity: 100, voice: 0 }));
    await studio.handlers.play({ notes, qpm: 120, fromBeat: 0, loop: null }, ctx);
    clock.advance(1200); // notes at 0 and 500 ms (+ pre-roll) have started
    const ons = hardware.log.filter((e) => e.port === 'Synth A' && (e.bytes[0] & 0xf0) === 0x90 && e.bytes[2] > 0);
    expect(ons.map((e) => e.bytes[0])).toEqual(ons.map(() => 0x92));
    expect(ons.length).toBeGreaterThanOrEqual(2);
    expect(ons[1].atMs - ons[0].atMs).toBeCloseTo(500, 5);
    expect(await studio.handlers.stopPlayback({}, ctx)).toEqual({ stopped: true });
    expect(soundingNotes(hardware.sent('Synth A'), { honourAllNotesOff: false })).toEqual([]);
  });

  it('plays the metronome the window asks for on the percussion channel of a hardware output', async () => {
    const clock = new FakeClock(0);
    const hardware = new LoopbackMidiSystem(clock);
    hardware.addOutput('Synth A');
    const { studio } = await studioWith({ clock, hardware });
    await studio.handlers.chooseDevices({ output: 'Synth A', settings: { channel: 2 } }, ctx);
    const clicks = metronomeClicks(4, 1, 4);
    await studio.handlers.play({ notes: [{ pitch: 60, start: 0, end: 4, velocity: 100, voice: 0 }], qpm: 120, fromBeat: 0, loop: null, clicks }, ctx);
    clock.advance(2100);
    const ons = hardware.log.filter((e) => e.port === 'Synth A' && (e.bytes[0] & 0xf0) === 0x90 && e.bytes[2] > 0).map((e) => e.bytes.slice(0, 2));
    expect(ons).toEqual([[0x92, 60], [0x99, 76], [0x99, 77], [0x99, 77], [0x99, 77]]);
    await studio.handlers.stopPlayback({}, ctx);
    expect(soundingNotes(hardware.sent('Synth A'), { honourAllNotesOff: false })).toEqual([]);
  });

  it('panic stops playback and sends All Notes Off / All Sound Off', async () => {
    const clock = new FakeClock(0);
    const hardware = new LoopbackMidiSystem(clock);
    hardware.addOutput('Synth A');
    const { studio } = await studioWith({ clock, hardware });
    await studio.handlers.chooseDevices({ output: 'Synth A' }, ctx);
    await studio.handlers.play({ notes: [{ pitch: 60, start: 0, end: 8, velocity: 100, voice: 0 }], qpm: 120, fromBeat: 0, loop: null }, ctx);
    clock.advance(300);
    await studio.handlers.panic({}, ctx);
    const sent = hardware.sent('Synth A');
    expect(soundingNotes(sent, { honourAllNotesOff: false })).toEqual([]);
    expect(sent.some((e) => e.bytes[0] === 0xb0 && e.bytes[1] === 123)).toBe(true);
    expect(sent.some((e) => e.bytes[0] === 0xb0 && e.bytes[1] === 120)).toBe(true);
  });

  it('notices a keyboard plugged in while running, and remembers choices across restarts', async () => {
    const clock = new FakeClock(0);
    const hardware = new LoopbackMidiSystem(clock);
    const { studio, seen, dir } = await studioWith({ clock, hardware });
    hardware.addInput('Keystation 61');
    clock.advance(150);
    expect(seen.some((e) => e.name === 'devices.changed' && e.payload.inputs.some((p: any) => p.name === 'Keystation 61'))).toBe(true);
    await studio.handlers.chooseDevices({ input: 'Keystation 61', thru: false }, ctx);
    await studio.settings.flush();
    const again = await studioWith({ clock, hardware, dir });
    expect(await again.studio.handlers.devices({}, ctx)).toMatchObject({ input: 'Keystation 61', thru: false });
  });

  it('starts with defaults when settings.json is damaged, keeping the damaged file', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-devices-'));
    fs.writeFileSync(path.join(dir, 'settings.json'), '{"devices": {"input": ');
    const { studio } = await studioWith({ clock: new FakeClock(), dir });
    expect(await studio.handlers.devices({}, ctx)).toMatchObject({ input: ON_SCREEN_KEYBOARD });
    expect(studio.settings.problem).toMatch(/settings file was damaged/);
    expect(fs.readdirSync(dir).some((f) => f.startsWith('settings.json.damaged-'))).toBe(true);
  });

  it('with a real clock, playback runs on the playback thread; stop mid-note leaves nothing sounding', async () => {
    const clock = realClock();
    const hardware = new LoopbackMidiSystem(clock);
    hardware.addOutput('Synth A');
    const { studio, seen } = await studioWith({ clock, hardware });
    expect(await studio.devices.threadReady()).toBe(true);
    await studio.handlers.chooseDevices({ output: 'Synth A' }, ctx);
    const notes = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ({ pitch: 60 + i, start: i / 2, end: i / 2 + 1, velocity: 100, voice: 0 }));
    await studio.handlers.play({ notes, qpm: 240, fromBeat: 0, loop: null }, ctx);
    await new Promise((r) => setTimeout(r, 400));
    const ons = () => hardware.sent('Synth A').filter((e) => (e.bytes[0] & 0xf0) === 0x90 && e.bytes[2] > 0);
    expect(ons().length).toBeGreaterThanOrEqual(2);
    // Sent by the thread at their times: the main thread only forwarded them (atMs is the target).
    expect(ons()[1].atMs - ons()[0].atMs).toBeCloseTo(125, 3);
    expect(await studio.handlers.stopPlayback({}, ctx)).toEqual({ stopped: true });
    await new Promise((r) => setTimeout(r, 100));
    expect(soundingNotes(hardware.sent('Synth A'), { honourAllNotesOff: false })).toEqual([]);
    const states = seen.filter((e) => e.name === 'playback.state');
    expect(states.at(-1)?.payload.playing).toBe(false);
    expect(states.some((e) => e.payload.playing && e.payload.beat > 0.5)).toBe(true);
  }, 30_000);
});
