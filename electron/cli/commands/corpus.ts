/**
 * `seedsong corpus stats <paths...> [--json]`: what a corpus holds before training on it — tunes,
 * duplicates, the train/validation split, meters, keys, tokens per encoding, and every file or tune
 * that could not be read (with its line).
 */
import { CommandError, UsageError, numberFlag, parseCommandArgs, type CliCommand } from '../command';
import { loadCorpus } from '@shared/music/node';
import { ENCODING_NAMES, isEncodingName, type EncodingName } from '@shared/music/index';

const usage = `Usage: seedsong corpus stats PATH... [options]

PATH may be .abc or .mid files, folders (searched recursively) or globs ("tunes/**/*.abc").

Options:
  --json                 print one JSON object instead of the summary
  --encodings LIST       count tokens for these encodings, comma-separated
                         (${ENCODING_NAMES.join(', ')}; default: all)
  --validation F         share of tunes for validation (default 0.1)
  --seed N               seed of the train/validation split (default 1)
  --keep-duplicates      do not remove tunes whose melody is already in the corpus
  --help                 this text`;

function top(record: Record<string, number>, n: number): string {
  const entries = Object.entries(record);
  return entries.slice(0, n).map(([k, v]) => `${k} ${v}`).join(', ') + (entries.length > n ? `, ... (${entries.length} in all)` : '');
}

export const command: CliCommand = {
  name: 'corpus',
  summary: 'inspect a corpus of .abc/.mid files: corpus stats PATH... [--json]',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      json: { type: 'boolean' },
      encodings: { type: 'string' },
      validation: { type: 'string' },
      seed: { type: 'string' },
      'keep-duplicates': { type: 'boolean' },
      help: { type: 'boolean' },
    });
    if (values.help) {
      io.out(usage);
      return 0;
    }
    const [sub, ...paths] = positionals;
    if (sub !== 'stats') throw new UsageError(sub ? `unknown corpus subcommand "${sub}" (expected: stats)` : 'corpus needs a subcommand: seedsong corpus stats PATH...');
    if (!paths.length) throw new UsageError('corpus stats needs at least one file, folder or glob');
    let encodings: EncodingName[] = [...ENCODING_NAMES];
    if (values.encodings !== undefined) {
      const names = values.encodings.split(',').map((s) => s.trim()).filter(Boolean);
      const bad = names.filter((n) => !isEncodingName(n));
      if (bad.length) throw new UsageError(`--encodings: unknown ${bad.join(', ')} (expected ${ENCODING_NAMES.join(', ')})`);
      encodings = names as EncodingName[];
    }
    const validationFraction = numberFlag('validation', values.validation, { min: 0, max: 1 });
    const seed = numberFlag('seed', values.seed, { integer: true });
    const corpus = await loadCorpus(paths, {
      cwd: io.cwd,
      encodings,
      validationFraction,
      seed,
      dedupe: !values['keep-duplicates'],
      signal: io.interrupted,
      onProgress: io.isTty && !values.json ? (done, total) => done % 50 === 0 && io.err(`reading ${done}/${total} files`) : undefined,
    });
    if (io.interrupted.aborted) throw new CommandError('interrupted');
    const errors = corpus.files.flatMap((f) => f.errors);
    if (values.json) {
      io.out(JSON.stringify({ stats: corpus.stats, files: corpus.files }));
      // The JSON lists every problem; stderr still gets the one `seedsong:` line every failure has.
      if (corpus.stats.tunes === 0) throw new CommandError(`no readable tune in ${paths.join(' ')}${errors[0] ? ` (first problem: ${errors[0].message})` : ''}`);
      return 0;
    }
    const s = corpus.stats;
    io.out(`files: ${s.files}   tunes: ${s.tunes} (train ${s.train}, validation ${s.validation})   duplicates removed: ${s.duplicates}   unreadable: ${s.errors}`);
    io.out(`notes: ${s.notes}   length in quarter notes: median ${s.durations.median}, max ${s.durations.max}${s.pitchRange ? `   pitches ${s.pitchRange.min}-${s.pitchRange.max}` : ''}`);
    io.out(`meters: ${top(s.meters, 8)}`);
    io.out(`keys: ${top(s.keys, 10)}`);
    for (const [name, t] of Object.entries(s.tokens ?? {})) io.out(`${name.padEnd(13)} ${t.total} tokens, vocabulary ${t.vocabulary}, ${Math.round(t.meanPerTune)} per tune (max ${t.maxPerTune})`);
    for (const e of errors.slice(0, 20)) io.err(e.message);
    if (errors.length > 20) io.err(`... and ${errors.length - 20} more problems (--json lists them all)`);
    if (s.tunes === 0) throw new CommandError(`no readable tune in ${paths.join(' ')}`);
    return 0;
  },
};
