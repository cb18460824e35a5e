import { describe, expect, it } from 'vitest';
import { FakeClock } from './clock';
import { DeviceManager, type DeviceEvent } from './device-manager';
import { LoopbackMidiSystem, soundingNotes } from './loopback';
import { Scheduler } from './scheduler';
import { note, sequence } from './testing';

async function rig(setup: (s: LoopbackMidiSystem) => void, choices: ConstructorParameters<typeof DeviceManager>[0]['choices'] = {}) {
  const clock = new FakeClock();
  const system = new LoopbackMidiSystem(clock);
  setup(system);
  const manager = new DeviceManager({ clock, openSystem: () => ({ ok: true, system }), choices, pollMs: 500 });
  const events: DeviceEvent[] = [];
  manager.onEvent((e) => events.push(e));
  await manager.start();
  const notices = () => events.filter((e) => e.type === 'notice').map((e) => (e as { message: string }).message);
  return { clock, system, manager, events, notices };
}

describe('DeviceManager', () => {
  it('says once that there is no MIDI system, and keeps working without one', async () => {
    const clock = new FakeClock();
    const manager = new DeviceManager({ clock, openSystem: async () => ({ ok: false, reason: 'no ALSA here' }) });
    const events: DeviceEvent[] = [];
    manager.onEvent((e) => events.push(e));
    await manager.start();
    manager.selectOutput('Synth');
    manager.bus.voice('x').noteOn(0, 60, 100);
    manager.panic();
    clock.advance(10_000);
    expect(manager.unavailable).toBe('no ALSA here');
    expect(events.filter((e) => e.type === 'notice').map((e) => (e as { message: string }).message)).toContain('no MIDI system: no ALSA here');
    expect(events.filter((e) => e.type === 'notice' && e.message.startsWith('no MIDI system'))).toHaveLength(1);
    expect(manager.inputs()).toEqual([]);
  });

  it('opens the remembered devices by name and lists ports without its own virtual ones', async () => {
    const { manager, system } = await rig((s) => {
      s.addInput('Keystation');
      s.addOutput('JV-1080');
    }, { input: 'Keystation', output: 'JV-1080' });
    expect(manager.inputConnected && manager.outputConnected).toBe(true);
    expect(manager.inputs().map((p) => p.name)).toEqual(['Keystation']);
    expect(manager.outputs().map((p) => p.name)).toEqual(['JV-1080']);
    const got: number[][] = [];
    manager.onInput((b) => got.push([...b]));
    system.play('Keystation', [0x90, 60, 100]);
    expect(got).toEqual([[0x90, 60, 100]]);
  });

  it('waits for a remembered device that is not plugged in, telling the musician once', async () => {
    const { manager, system, clock, events, notices } = await rig(() => {}, { output: 'JV-1080' });
    clock.advance(5000);
    expect(notices().filter((m) => m.includes('JV-1080'))).toHaveLength(1);
    system.addOutput('JV-1080');
    clock.advance(500);
    expect(manager.outputConnected).toBe(true);
    expect(events.some((e) => e.type === 'connected' && e.name === 'JV-1080')).toBe(true);
    expect(events.some((e) => e.type === 'ports' && e.outputs.some((p) => p.name === 'JV-1080'))).toBe(true);
  });

  it('follows an output through unplug and replug while a take plays, leaving no note on', async () => {
    const { manager, system, clock, events } = await rig((s) => s.addOutput('Synth'), { output: 'Synth' });
    const scheduler = new Scheduler({ clock, bus: manager.bus, prerollMs: 0 });
    scheduler.load(sequence([note(60, 0, 2), note(62, 2, 4), note(64, 4, 6), note(65, 6, 8)]));
    scheduler.play();
    clock.advance(600); // note 60 sounding
    system.remove('Synth');
    expect(events.some((e) => e.type === 'lost' && e.kind === 'output')).toBe(true);
    clock.advance(1000); // the scheduler keeps its time; sends go nowhere
    const before = system.sent('Synth').length; // what the unplugged synth heard died with it
    system.addOutput('Synth');
    clock.advance(600);
    expect(manager.outputConnected).toBe(true);
    clock.advance(1500);
    scheduler.stop();
    const afterReplug = system.sent('Synth').slice(before);
    expect(soundingNotes(afterReplug, { honourAllNotesOff: false })).toEqual([]);
    expect(afterReplug.some((e) => e.bytes[0] === 0x90 && e.bytes[1] === 64)).toBe(true);
  });

  it('passes the keyboard through to the synth on its channel, and releases held keys when the input changes', async () => {
    const { manager, system } = await rig((s) => {
      s.addInput('Keys');
      s.addInput('Pads');
      s.addOutput('Synth');
    }, { input: 'Keys', output: 'Synth', thru: true, outputSettings: { Synth: { channel: 4, program: 73, latencyMs: 12 } } });
    expect(manager.bus.latencyMs).toBe(12);
    expect(system.sent('Synth')[0].bytes).toEqual([0xc4, 73]);
    system.play('Keys', [0x90, 60, 100, 62, 90]); // running status
    system.play('Keys', [0xc0, 5]); // the keyboard's own program change is not passed on
    expect(system.sent('Synth').slice(1).map((e) => e.bytes)).toEqual([
      [0x94, 60, 100],
      [0x94, 62, 90],
    ]);
    manager.selectInput('Pads');
    expect(soundingNotes(system.sent('Synth'), { honourAllNotesOff: false })).toEqual([]);
    manager.setThru(false);
    system.play('Pads', [0x90, 70, 100]);
    expect(soundingNotes(system.sent('Synth'), { honourAllNotesOff: false })).toEqual([]);
  });

  it('mirrors everything to the virtual "Seedsong out" and listens on "Seedsong in"', async () => {
    const { manager, system } = await rig((s) => s.addOutput('Synth'), { output: 'Synth' });
    const got: number[][] = [];
    manager.onInput((b) => got.push([...b]));
    manager.bus.voice('playback').noteOn(0, 60, 100);
    expect(system.sent('Seedsong out').map((e) => e.bytes)).toEqual([[0x90, 60, 100]]);
    system.play('Seedsong in', [0x90, 61, 100]);
    expect(got).toEqual([[0x90, 61, 100]]);
    expect(manager.outputs().map((p) => p.name)).toEqual(['Synth']);
  });

  it('remembers per-output settings and reports every change of choice', async () => {
    const { manager, events } = await rig((s) => {
      s.addOutput('A');
      s.addOutput('B');
    });
    manager.selectOutput('A');
    manager.setOutputSettings({ channel: 3.2, latencyMs: 20, program: 300 });
    manager.selectOutput('B');
    expect(manager.currentSettings()).toEqual({ channel: 0, program: null, latencyMs: 0 });
    expect(manager.bus.latencyMs).toBe(0);
    manager.selectOutput('A');
    expect(manager.currentSettings()).toEqual({ channel: 3, program: 127, latencyMs: 20 });
    const last = events.filter((e) => e.type === 'choices').pop();
    expect(last).toMatchObject({ choices: { output: 'A', outputSettings: { A: { channel: 3, latencyMs: 20 } } } });
  });

  it('dispose silences the output and stops polling', async () => {
    const { manager, system, clock } = await rig((s) => s.addOutput('Synth'), { output: 'Synth' });
    manager.bus.voice('playback').noteOn(0, 60, 100);
    manager.dispose();
    expect(soundingNotes(system.sent('Synth'), { honourAllNotesOff: false })).toEqual([]);
    expect(clock.pending).toBe(0);
  });
});
