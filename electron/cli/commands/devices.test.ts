import { describe, expect, it } from 'vitest';
import { captureIo } from '../testing/io';
import { FakeClock } from '../../midi/clock';
import { LoopbackMidiSystem } from '../../midi/loopback';
import { command, makeDevicesCommand } from './devices';

describe('seedsong devices', () => {
  it('on this machine, prints the devices or the reason there are none (exit 0 either way)', async () => {
    const io = captureIo();
    expect(await command.run([], io)).toBe(0);
    console.log(io.stdout.join('\n'));
    expect(io.stdout[0]).toMatch(/^MIDI: /);
    const json = captureIo();
    expect(await command.run(['--json'], json)).toBe(0);
    const parsed = JSON.parse(json.stdout[0]);
    expect(parsed).toHaveProperty('available');
    if (!parsed.available) expect(parsed.reason).toMatch(/\w/);
  });

  it('lists inputs and outputs of a working system', async () => {
    const clock = new FakeClock();
    const system = new LoopbackMidiSystem(clock);
    system.addInput('Keystation 61');
    system.addOutput('JV-1080');
    const cmd = makeDevicesCommand({ openSystem: async () => ({ ok: true, system }), clock });
    const io = captureIo();
    expect(await cmd.run([], io)).toBe(0);
    expect(io.stdout).toEqual(['MIDI: loopback', 'Inputs (keyboards):', '  Keystation 61', 'Outputs (synths):', '  JV-1080']);
  });

  it('--watch reports hot-plug as it happens', async () => {
    const clock = new FakeClock();
    const system = new LoopbackMidiSystem(clock);
    const cmd = makeDevicesCommand({
      openSystem: async () => ({ ok: true, system }),
      clock,
      wait: async (ms) => {
        system.addOutput('Synth');
        clock.advance(ms / 2);
        system.remove('Synth');
        clock.advance(ms / 2);
      },
    });
    const io = captureIo();
    expect(await cmd.run(['--watch', '2'], io)).toBe(0);
    expect(io.stdout.filter((l) => l.startsWith('ports changed'))).toEqual(['ports changed: inputs [], outputs [Synth]', 'ports changed: inputs [], outputs []']);
  });

  it('tells the reason in words when there is no MIDI system', async () => {
    const cmd = makeDevicesCommand({ openSystem: async () => ({ ok: false, reason: 'this computer has no ALSA MIDI sequencer' }) });
    const io = captureIo();
    expect(await cmd.run([], io)).toBe(0);
    expect(io.stdout[0]).toBe('MIDI: no MIDI system: this computer has no ALSA MIDI sequencer.');
  });

  it('rejects bad flags as usage errors', async () => {
    await expect(command.run(['--watch', 'soon'], captureIo())).rejects.toThrow(/--watch expects a number/);
    await expect(command.run(['extra'], captureIo())).rejects.toThrow();
  });
});
