/**
 * `seedsong convert <in.abc|in.mid> <out.abc|out.mid> [--tune X] [--track N] [--voice N]`:
 * one tune from ABC or MIDI to ABC or MIDI, through the music core.
 */
import { extname, resolve } from 'node:path';
import { CommandError, UsageError, numberFlag, parseCommandArgs, type CliCommand, type CliIo } from '../command';
import { OverwriteRefused, WriteGuard } from '../../studio/written';
import { defaultUserDataDir } from '../../studio/paths';
import { readRegularFile } from '@shared/music/corpus/regular-file';
import { MusicError, parseAbc, readMidi, writeAbc, writeMidi, writeTuneForm, isAbcFile, isMidiFile, type NoteSequence, type TuneForm } from '@shared/music/index';

const usage = `Usage: seedsong convert IN OUT [options]

Converts one tune between ABC (.abc) and MIDI (.mid). ABC to ABC keeps the notation: bars,
pickup, repeats and endings, chord symbols, parts, titles and header fields. To MIDI (and with
--expand) the tune is played: repeats and endings expanded, the P: part order followed, hornpipes
(R:hornpipe) swung as abc2midi plays them. MIDI to ABC is barred from the file's meter with its
pickup, and sections played twice note for note are written as repeats.

Options:
  --tune X     the tune of a multi-tune .abc file, by its X: number (default: the first)
  --voice N    the voice of an ABC tune, from 1 (default: the first voice; "all" for every voice)
  --track N    the MIDI track to read, from 0 (default: the melody track; "all" for every track)
  --expand     ABC to ABC: write the performance out (repeats and parts expanded) instead of the notation
  --straight   do not swing hornpipes
  --meter N/D  MIDI to ABC: bar in this meter (default: the file's, else detected)
  --pickup Q   MIDI to ABC: quarter notes before the first bar line (default: where the meter's bar
               lines fall, after the leading silence)
  --no-repeats MIDI to ABC: write repeated sections out
  --force      replace OUT even if Seedsong did not write it (otherwise such a file is left alone)
  --help       this text`;

interface Read {
  sequence: NoteSequence;
  /** The ABC tune's notation (ABC input only), with the asked-for voices. */
  form?: TuneForm;
}

async function readSequence(input: string, display: string, opts: { tune?: string; voice?: string; track?: string; straight?: boolean }, io: CliIo): Promise<Read> {
  let data: Buffer;
  try {
    // Regular files only, with a size limit: a FIFO or a link to /dev/zero is refused at once.
    data = await readRegularFile(input, { display });
  } catch (e) {
    throw new CommandError((e as Error).message);
  }
  if (isMidiFile(input)) {
    if (opts.tune !== undefined) throw new UsageError('--tune applies to .abc input; use --track for MIDI');
    const track = opts.track === undefined ? 'melody' : opts.track === 'all' ? 'all' : numberFlag('track', opts.track, { min: 0, integer: true })!;
    const r = readMidi(new Uint8Array(data), { file: display, tracks: track });
    if (!r.sequence.notes.length) throw new CommandError(`${display}: no notes to convert`);
    return { sequence: r.sequence };
  }
  if (opts.track !== undefined) throw new UsageError('--track applies to MIDI input; use --voice for ABC');
  const voices = opts.voice === undefined ? 'first' : opts.voice === 'all' ? 'all' : numberFlag('voice', opts.voice, { min: 1, integer: true })! - 1;
  const r = parseAbc(data.toString('utf8'), { file: display, voices, swing: !opts.straight });
  const wanted = opts.tune?.trim();
  const tune = wanted === undefined ? r.tunes[0] : r.tunes.find((t) => t.x === wanted || Number(t.x) === Number(wanted));
  if (!tune) {
    if (wanted !== undefined && r.tunes.length) throw new CommandError(`${display}: no readable tune with X:${wanted} (it has X:${r.tunes.map((t) => t.x).slice(0, 20).join(', X:')}${r.tunes.length > 20 ? ' ...' : ''})`);
    throw new CommandError(r.errors[0]?.message ?? `${display}: no tune to convert`);
  }
  for (const w of tune.warnings.slice(0, 5)) io.err(`warning: ${display}${w.line ? `:${w.line}` : ''}: ${w.message}`);
  // The notation of the voices asked for: the melody (first voice with notes), one, or all.
  const form = { ...tune.form };
  if (voices === 'first') form.voices = form.voices.filter((v) => v.notes.length > 0).slice(0, 1);
  else if (typeof voices === 'number') form.voices = form.voices.slice(voices, voices + 1);
  return { sequence: tune.sequence, form };
}

export const command: CliCommand = {
  name: 'convert',
  summary: 'convert a tune between ABC and MIDI: convert IN.abc|IN.mid OUT.abc|OUT.mid [--tune X]',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      tune: { type: 'string' },
      voice: { type: 'string' },
      track: { type: 'string' },
      force: { type: 'boolean' },
      expand: { type: 'boolean' },
      straight: { type: 'boolean' },
      meter: { type: 'string' },
      pickup: { type: 'string' },
      'no-repeats': { type: 'boolean' },
      help: { type: 'boolean' },
    });
    if (values.help) {
      io.out(usage);
      return 0;
    }
    if (positionals.length !== 2) throw new UsageError('convert needs an input and an output file: seedsong convert IN OUT');
    const [inArg, outArg] = positionals;
    for (const f of [inArg, outArg]) if (!isAbcFile(f) && !isMidiFile(f)) throw new UsageError(`${f}: expected a .abc or .mid file name (got "${extname(f) || 'no extension'}")`);
    const input = resolve(io.cwd, inArg);
    const output = resolve(io.cwd, outArg);
    if (input === output) throw new UsageError('input and output are the same file');
    const guard = new WriteGuard(defaultUserDataDir(io.env));
    if (!values.force && !guard.mayReplace(output)) throw new CommandError(new OverwriteRefused(outArg).message);
    let meter: { numerator: number; denominator: number } | undefined;
    if (values.meter !== undefined) {
      const m = /^\s*(\d{1,2})\s*\/\s*(\d{1,2})\s*$/.exec(values.meter);
      if (!m || Number(m[1]) < 1 || ![1, 2, 4, 8, 16, 32, 64].includes(Number(m[2]))) throw new UsageError(`--meter: expected a meter like 6/8 (got "${values.meter}")`);
      meter = { numerator: Number(m[1]), denominator: Number(m[2]) };
    }
    const pickup = values.pickup === undefined ? 'detect' : numberFlag('pickup', values.pickup, { min: 0 })!;
    let read: Read;
    try {
      read = await readSequence(input, inArg, values, io);
    } catch (e) {
      if (e instanceof MusicError) throw new CommandError(e.message);
      throw e;
    }
    const seq = read.sequence;
    let bytes: string | Uint8Array;
    if (!isAbcFile(output)) bytes = writeMidi(seq);
    else if (read.form && !values.expand && !meter && values.pickup === undefined) bytes = writeTuneForm(read.form);
    else if (read.form) bytes = writeAbc(seq, { meter, pickup: values.pickup === undefined ? read.form.pickup : pickup, repeats: false });
    else bytes = writeAbc(seq, { meter, pickup, repeats: !values['no-repeats'] });
    try {
      await guard.write(output, bytes, { force: true });
    } catch (e) {
      throw new CommandError(`${outArg}: cannot be written (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    io.out(`${outArg}: ${seq.notes.length} notes${seq.title ? ` (${seq.title})` : ''}`);
    return 0;
  },
};
