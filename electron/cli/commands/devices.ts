/**
 * `seedsong devices`: which MIDI keyboards and synths this machine has, or why there are none.
 */
import { numberFlag, parseCommandArgs, type CliCommand, type CliIo } from '../command';
import { realClock, type Clock } from '../../midi/clock';
import { DeviceManager, type DeviceEvent } from '../../midi/device-manager';
import type { MidiPortInfo, OpenSystemResult } from '../../midi/port';

const usage = `Usage: seedsong devices [--json] [--watch SECONDS]

Lists the MIDI inputs (keyboards) and outputs (synths) Seedsong can use. Where the system has no
MIDI (no sound devices, driver missing), says why; the built-in synth still works.

Options:
  --json             one JSON object: {available, system, reason, inputs, outputs}
  --watch SECONDS    keep watching and print devices as they are plugged in and out (Ctrl+C stops)`;

export interface DevicesDeps {
  openSystem: () => Promise<OpenSystemResult>;
  clock?: Clock;
  /** Resolves after `ms` or when interrupted (tests make time pass instantly). */
  wait?: (ms: number, signal: AbortSignal) => Promise<void>;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}

function names(ports: MidiPortInfo[]): string[] {
  return ports.map((p) => (p.virtual ? `${p.name} (virtual)` : p.name));
}

export function makeDevicesCommand(deps: DevicesDeps): CliCommand {
  return {
    name: 'devices',
    summary: 'list MIDI keyboards and synths, or say why there are none: devices [--json] [--watch S]',
    usage,
    async run(argv: string[], io: CliIo): Promise<number> {
      const { values } = parseCommandArgs(argv, { json: { type: 'boolean' }, watch: { type: 'string' } }, false);
      const watchSeconds = numberFlag('watch', values.watch, { min: 0, max: 86400 }) ?? 0;
      const json = Boolean(values.json);
      const manager = new DeviceManager({ clock: deps.clock ?? realClock(), openSystem: deps.openSystem, virtualPorts: false, pollMs: 500 });
      const changes: string[] = [];
      let started = false;
      manager.onEvent((e: DeviceEvent) => {
        if (!started || e.type !== 'ports') return;
        const line = `ports changed: inputs [${names(e.inputs).join(', ')}], outputs [${names(e.outputs).join(', ')}]`;
        if (json) io.out(JSON.stringify({ event: 'ports', inputs: e.inputs, outputs: e.outputs }));
        else io.out(line);
        changes.push(line);
      });
      try {
        await manager.start();
        started = true;
        const reason = manager.unavailable;
        if (json) {
          io.out(JSON.stringify({ available: reason === null, system: manager.systemName, reason, inputs: manager.inputs(), outputs: manager.outputs() }));
        } else if (reason !== null) {
          io.out(`MIDI: no MIDI system: ${reason}.`);
          io.out('Seedsong plays through its built-in synth; connect a MIDI device to use a keyboard or a hardware synth.');
        } else {
          io.out(`MIDI: ${manager.systemName}`);
          io.out('Inputs (keyboards):');
          for (const n of names(manager.inputs())) io.out(`  ${n}`);
          if (manager.inputs().length === 0) io.out('  (none)');
          io.out('Outputs (synths):');
          for (const n of names(manager.outputs())) io.out(`  ${n}`);
          if (manager.outputs().length === 0) io.out('  (none)');
        }
        if (watchSeconds > 0 && reason === null) {
          if (!json) io.out(`Watching for ${watchSeconds} s (Ctrl+C stops)...`);
          await (deps.wait ?? sleep)(watchSeconds * 1000, io.interrupted);
        }
        return 0;
      } finally {
        manager.dispose();
      }
    },
  };
}

export const command: CliCommand = makeDevicesCommand({
  openSystem: async () => (await import('../../midi/rtmidi')).openRtMidi(),
});
