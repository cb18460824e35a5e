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
  { name: 'train', summary: 'train a model on ABC or MIDI files (--list-presets for the recipes)', load: () => import('./train') },
  { name: 'generate', summary: 'sample takes from a model to .abc or .mid', load: () => import('./generate') },
  { name: 'eval', summary: 'cross-entropy of a model on some tunes, with coverage (text or --json)', load: () => import('./eval') },
  { name: 'import', summary: 'import a converted Keras/TensorFlow.js model: import SRC --out DIR', load: () => import('./import') },
  { name: 'convert', summary: 'convert a tune between ABC and MIDI: convert IN OUT [--tune X]', load: () => import('./convert') },
  { name: 'corpus', summary: 'statistics of a corpus of .abc/.mid files: corpus stats PATH... [--json]', load: () => import('./corpus') },
  { name: 'devices', summary: 'list MIDI inputs and outputs, or say why there are none', load: () => import('./devices') },
  { name: 'doctor', summary: 'which compute backend is active, and why the others are not', load: () => import('./doctor') },
  { name: 'bench', summary: 'measure sampling, training and MIDI timing: bench sample|train|midi [--json]', load: () => import('./bench') },
];
