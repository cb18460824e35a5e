import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock';
import { openRtMidi, type RtMidiModule } from './rtmidi';

/** A stand-in for @julusian/midi: a fixed set of ALSA-style port names and a recorded send log. */
function fakeModule(state: { inputs: string[]; outputs: string[]; sent: number[][]; ctorError?: string; listeners: ((d: number, m: number[]) => void)[] }): RtMidiModule {
  class Base {
    constructor(private readonly names: () => string[]) {
      if (state.ctorError) throw new Error(state.ctorError);
    }
    getPortCount() {
      return this.names().length;
    }
    getPortName(i: number) {
      return this.names()[i];
    }
    openPort(i: number) {
      if (i >= this.names().length) throw new Error('invalid port');
    }
    openVirtualPort() {}
    closePort() {}
    destroy() {}
  }
  class Input extends Base {
    constructor() {
      super(() => state.inputs);
    }
    on(_e: 'message', cb: (d: number, m: number[]) => void) {
      state.listeners.push(cb);
      return this;
    }
    ignoreTypes() {}
  }
  class Output extends Base {
    constructor() {
      super(() => state.outputs);
    }
    sendMessage(m: number[]) {
      state.sent.push([...m]);
    }
  }
  return { Input, Output } as unknown as RtMidiModule;
}

describe('openRtMidi', () => {
  it('explains a missing ALSA sequencer without touching RtMidi (no ALSA noise on stderr)', async () => {
    let loaded = false;
    const r = await openRtMidi({ platform: 'linux', deviceAccess: () => 'missing', load: async () => ((loaded = true), fakeModule({ inputs: [], outputs: [], sent: [], listeners: [] })) });
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('/dev/snd/seq is missing') });
    expect(loaded).toBe(false);
    const denied = await openRtMidi({ platform: 'linux', deviceAccess: () => 'denied' });
    expect(denied.ok ? '' : denied.reason).toMatch(/"audio" group/);
  });

  it('turns a driver that will not start or load into one sentence', async () => {
    const state = { inputs: [], outputs: [], sent: [], listeners: [], ctorError: 'Failed to initialise RtMidi' };
    const r = await openRtMidi({ platform: 'darwin', load: async () => fakeModule(state) });
    expect(r).toEqual({ ok: false, reason: 'CoreMIDI MIDI could not be started (Failed to initialise RtMidi)' });
    const missing = await openRtMidi({ platform: 'win32', load: async () => { throw new Error("Cannot find package '@julusian/midi'"); } });
    expect(missing.ok ? '' : missing.reason).toMatch(/not installed/);
  });

  it('names ports without ALSA client numbers, opens them by name, and timestamps input on the driver clock', async () => {
    const state = { inputs: ['Midi Through:Midi Through Port-0 14:0', 'Keystation:Keystation MIDI 1 24:0'], outputs: ['JV:JV MIDI 1 28:0'], sent: [] as number[][], listeners: [] as ((d: number, m: number[]) => void)[] };
    const clock = new FakeClock(1000);
    const r = await openRtMidi({ platform: 'linux', deviceAccess: () => 'ok', clock, load: async () => fakeModule(state) });
    if (!r.ok) throw new Error(r.reason);
    const sys = r.system;
    expect(sys.name).toBe('ALSA (RtMidi)');
    expect(sys.listInputs().map((p) => p.name)).toEqual(['Midi Through:Midi Through Port-0', 'Keystation:Keystation MIDI 1']);
    const out = sys.openOutput('JV:JV MIDI 1');
    out.send([0x90, 60, 100]);
    expect(state.sent).toEqual([[0x90, 60, 100]]);
    expect(() => sys.openOutput('Nope')).toThrow(/There is no MIDI output called "Nope"/);

    const input = sys.openInput('Keystation:Keystation MIDI 1');
    const got: [number[], number][] = [];
    input.onMessage((b, t) => got.push([[...b], t]));
    const driver = state.listeners[state.listeners.length - 1];
    driver(0, [0x90, 60, 100]); // first message: arrival time
    clock.advance(40); // the event loop was busy for 40 ms...
    driver(0.01, [0x80, 60, 0]); // ...but the driver saw this 10 ms after the first
    driver(0.25, [0x90, 62, 100]); // 250 ms later by the driver clock, but only now delivered: never in the future
    expect(got).toEqual([
      [[0x90, 60, 100], 1000],
      [[0x80, 60, 0], 1010],
      [[0x90, 62, 100], 1040],
    ]);

    // Our own virtual port shows up in the other direction under RtMidi's fixed client name.
    sys.openVirtualOutput!('Seedsong out');
    state.inputs.push('RtMidi Output Client:Seedsong out 130:0');
    expect(sys.listInputs().find((p) => p.name === 'RtMidi Output Client:Seedsong out')?.virtual).toBe(true);
    state.inputs.pop();

    const lost: string[] = [];
    input.onDisconnect(() => lost.push('keys'));
    state.inputs = state.inputs.slice(0, 1);
    sys.listInputs();
    expect(lost).toEqual(['keys']);
    sys.dispose();
  });

  it('on this machine: either opens the OS MIDI system or says why not (never throws)', async () => {
    const r = await openRtMidi();
    if (!r.ok) {
      console.log(`MIDI here: no MIDI system: ${r.reason}`);
      expect(r.reason.length).toBeGreaterThan(10);
    } else {
      expect(Array.isArray(r.system.listOutputs())).toBe(true);
      r.system.dispose();
    }
  });

  it.skipIf(process.platform !== 'linux' || existsSync('/dev/snd/seq'))('without /dev/snd/seq, the real RtMidi throws on construction and we report it', async () => {
    // Bypass our own pre-check to prove what the driver itself does (ALSA prints to stderr here).
    const r = await openRtMidi({ deviceAccess: () => 'ok' });
    expect(r).toEqual({ ok: false, reason: 'ALSA MIDI could not be started (Failed to initialise RtMidi)' });
  });
});

const hasAlsa = process.platform === 'linux' && existsSync('/dev/snd/seq');
if (!hasAlsa) console.log('ALSA integration test skipped: /dev/snd/seq does not exist on this machine (no sound devices), so RtMidi cannot open ALSA virtual ports.');

describe.skipIf(!hasAlsa)('RtMidi on real ALSA virtual ports', () => {
  it('a note sent to a virtual output arrives at an input opened on it', async () => {
    const r = await openRtMidi();
    if (!r.ok) throw new Error(r.reason);
    const sys = r.system;
    const out = sys.openVirtualOutput!('Seedsong test out');
    await new Promise((res) => setTimeout(res, 100));
    const name = sys.listInputs().find((p) => p.name.endsWith('Seedsong test out'))?.name;
    expect(name).toBeDefined();
    const input = sys.openInput(name!);
    const got: number[][] = [];
    input.onMessage((b) => got.push([...b]));
    await new Promise((res) => setTimeout(res, 50));
    out.send([0x90, 60, 100]);
    out.send([0x80, 60, 0]);
    for (let i = 0; i < 50 && got.length < 2; i++) await new Promise((res) => setTimeout(res, 20));
    expect(got).toEqual([
      [0x90, 60, 100],
      [0x80, 60, 0],
    ]);
    input.close();
    out.close();
    sys.dispose();
  });
});
