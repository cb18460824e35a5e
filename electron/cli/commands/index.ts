/**
 * Every `seedsong` subcommand, listed once. Commands load lazily so that `seedsong --help` and
 * `seedsong serve` do not pay for TensorFlow.js start-up.
 */
import type { CliCommand } from '../command';

export interface CommandEntry {
  name: string;
  summary: string;
  load: () => Promise<{ command: CliCommand }>;
}

export const commands: CommandEntry[] = [
  { name: 'serve', summary: 'run the studio for a browser: serve [--port N] [--host H]', load: () => import('./serve') },
  { name: 'devices', summary: 'list MIDI inputs and outputs, or say why there are none', load: () => import('./devices') },
];
