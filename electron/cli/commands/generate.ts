import { existsSync } from 'node:fs';
import { randomInt } from 'node:crypto';
import path from 'node:path';
import { defaultModelDir } from '../../studio/paths';
import { promises as fs } from 'node:fs';
import { CommandError, UsageError, numberFlag, parseCommandArgs, type CliCommand } from '../command';
import { BACKEND_ORDER, type BackendName } from '../../engine/backend';
import { bootEngine } from '../../engine/boot';
import { runGeneration, type GenerateSeed, type GeneratedTake } from '../../engine/jobs';
import { EngineError } from '../../engine/errors';
import { WriteGuard } from '../../studio/written';
import { defaultUserDataDir } from '../../studio/paths';
import { MusicError } from '@shared/music/errors';
import { readMeta } from '../../node/catalog';
import { transcribeSeedFile } from '../seed-file';
import { writeMidi } from '@shared/music/midi/write';
import { readRegularFile } from '@shared/music/corpus/regular-file';
import { takeTitle, titleOfAbc, withTitle } from '@shared/music/tune/title';
import { beamByBeat } from '@shared/music/tune/beam';
import { TUNE_CONSTRAINTS, type TuneConstraintName } from '@shared/music/constraints/index';

const usage = `Usage: seedsong generate [--model DIR] --out FILE_OR_DIR [options]

Samples takes from a trained model and writes them as .abc or .mid (by the extension of --out; a
folder gets take-N.abc and take-N.mid for every take).

  --model DIR        a model folder (model.json + seedsong.json); default: the built-in default model
  --seed-abc TEXT    ABC to continue (a header and a bar or two)
  --seed-file FILE   .abc or .mid file to continue; a .mid is played music: its tempo, beat, meter
                     and pickup are found from the playing and it is put on a grid the model spells
  --seed-meter M, --seed-grid G, --seed-pickup P
                     a .mid seed's meter (6/8, C), grid (16 = 16ths, 8, 16t with triplets) and pickup
                     (1/8 = an eighth, 0 = none), instead of what is found
  --key K, --meter M, --unit L
                     without a seed (ABC models): start the tune with this header, e.g.
                     --meter 6/8 --key D (as the training corpus wrote it; errors list the options).
                     Event models (melody-event, midi-event): --key keeps notes in its scale
  --checkpoint ID    sample from a checkpoint (checkpoints/ID) instead of the saved weights
  --temperature T    sampling temperature (default 1; 0 = always the most likely token)
  --top-k K          sample only among the K most likely tokens (0 = off)
  --top-p P          sample only among the most likely tokens covering P of the probability
  --length N         most tokens per take, 1-100000 (default 512); ABC takes close their repeat
                     and bar and end before the limit
  --count K          number of takes (variations), 1-64, sampled together (default 1)
  --rng-seed S       the same seed, model and settings give the same takes; without it every run
                     draws a new seed and prints it (rngSeed in --json), to make a take again
  --json             one JSON object per take
  --no-grammar       ABC models: sample without the grammar that keeps repeats, endings and bars well formed
  --no-constraints   ABC models: sample without the tune constraints (on by default: every bar holds
                     the meter, sections close after 8 bars where the meter names a dance tune, the
                     tune ends at a section end on the key's tonic)
  --constraints LIST ABC models: only these tune constraints, e.g. bar-fill,sections (of ${TUNE_CONSTRAINTS.join(', ')})
  --force            replace existing files Seedsong did not write (otherwise they are left alone)
  --backend NAME     force ${BACKEND_ORDER.join(' | ')}`;

/** The title of the tune a run continues: the seed's T:, else the seed file's name. */
function seedTitleOf(seed: GenerateSeed | undefined, file: string | undefined): string | null {
  const s = seed as { kind?: string; text?: string; sequence?: { title?: string } } | undefined;
  if (s?.kind === 'abc' && s.text) return titleOfAbc(s.text) ?? (file ? path.basename(file).replace(/\.[^.]+$/, '') : null);
  if (s?.kind === 'sequence') return s.sequence?.title?.trim() || (file ? path.basename(file).replace(/\.[^.]+$/, '') : null);
  return null;
}

function renumber(abc: string, x: number): string {
  return /^X:/m.test(abc) ? abc.replace(/^X:.*$/m, `X:${x}`) : `X:${x}\n${abc}`;
}

/** The files a run writes, decided before sampling so that a refusal costs nothing. */
function plannedFiles(out: string, count: number): string[][] {
  const ext = path.extname(out).toLowerCase();
  if (ext === '.abc') return Array.from({ length: count }, () => [out]);
  if (ext === '.mid' || ext === '.midi') return Array.from({ length: count }, (_, i) => [count === 1 ? out : out.replace(/(\.midi?)$/i, `-${i + 1}$1`)]);
  return Array.from({ length: count }, (_, i) => [path.join(out, `take-${i + 1}.abc`), path.join(out, `take-${i + 1}.mid`)]);
}

async function outputs(out: string, generated: GeneratedTake[], guard: WriteGuard, seedTitle: string | null): Promise<{ take: GeneratedTake; files: string[] }[]> {
  const ext = path.extname(out).toLowerCase();
  // Each take carries its own title (T: and the .mid's name): the seed's title and its number;
  // its notes are grouped by beat as a musician writes them.
  const takes = generated.map((t, i) => {
    const title = takeTitle(seedTitle, i + 1);
    return { ...t, abc: withTitle(beamByBeat(t.abc, { from: t.seedChars ?? 0 }), title), sequence: { ...t.sequence, title } };
  });
  const planned = plannedFiles(out, takes.length);
  const written = takes.map((take, i) => ({ take, files: planned[i]! }));
  // Permission was settled before sampling (checkOverwrite): write without asking again.
  const write = (file: string, data: string | Uint8Array) => guard.write(file, data, { force: true });
  if (ext === '.abc') {
    await write(out, takes.map((t, i) => renumber(t.abc.trimEnd(), i + 1)).join('\n\n') + '\n');
  } else if (ext === '.mid' || ext === '.midi') {
    for (const w of written) await write(w.files[0]!, writeMidi(w.take.sequence));
  } else {
    await fs.mkdir(out, { recursive: true });
    for (const w of written) {
      await write(w.files[0]!, renumber(w.take.abc.trimEnd(), 1) + '\n');
      await write(w.files[1]!, writeMidi(w.take.sequence));
    }
  }
  return written;
}

export const command: CliCommand = {
  name: 'generate',
  summary: 'sample takes from a trained model to .abc or .mid',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      model: { type: 'string' },
      out: { type: 'string' },
      'seed-abc': { type: 'string' },
      'seed-file': { type: 'string' },
      'seed-meter': { type: 'string' },
      'seed-grid': { type: 'string' },
      'seed-pickup': { type: 'string' },
      key: { type: 'string' },
      meter: { type: 'string' },
      unit: { type: 'string' },
      checkpoint: { type: 'string' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      length: { type: 'string' },
      count: { type: 'string' },
      'rng-seed': { type: 'string' },
      json: { type: 'boolean' },
      backend: { type: 'string' },
      force: { type: 'boolean' },
      'no-grammar': { type: 'boolean' },
      'no-constraints': { type: 'boolean' },
      constraints: { type: 'string' },
    });
    if (positionals.length) throw new UsageError(`generate takes no positional arguments (got "${positionals[0]}")`);
    const model = values.model ? path.resolve(io.cwd, values.model) : defaultModelDir();
    if (!values.model && !existsSync(path.join(model, 'seedsong.json'))) {
      throw new UsageError(`--model DIR is required: the built-in default model is missing (${model})`);
    }
    if (!values.out) throw new UsageError('--out FILE_OR_DIR is required (.abc, .mid, or a folder)');
    if (values['seed-abc'] !== undefined && values['seed-file'] !== undefined) throw new UsageError('give --seed-abc or --seed-file, not both');
    if (values.backend !== undefined && !BACKEND_ORDER.includes(values.backend as BackendName)) throw new UsageError(`--backend must be one of ${BACKEND_ORDER.join(', ')}`);
    let tuneConstraints: boolean | TuneConstraintName[] = !values['no-constraints'];
    if (values.constraints !== undefined) {
      if (values['no-constraints']) throw new UsageError('give --constraints or --no-constraints, not both');
      const names = values.constraints.split(',').map((n) => n.trim()).filter(Boolean);
      const unknown = names.find((n) => !TUNE_CONSTRAINTS.includes(n as TuneConstraintName));
      if (unknown !== undefined) throw new UsageError(`--constraints: "${unknown}" is not a tune constraint (${TUNE_CONSTRAINTS.join(', ')})`);
      tuneConstraints = names as TuneConstraintName[];
    }
    const out = path.resolve(io.cwd, values.out);
    if (!['.abc', '.mid', '.midi', ''].includes(path.extname(out).toLowerCase())) throw new UsageError(`--out must end in .abc or .mid, or be a folder; got "${values.out}"`);
    const temperature = numberFlag('temperature', values.temperature, { min: 0, max: 10 });
    const topK = numberFlag('top-k', values['top-k'], { min: 0, integer: true });
    const topP = numberFlag('top-p', values['top-p'], { min: 0, max: 1 });
    const length = numberFlag('length', values.length, { min: 1, max: 100_000, integer: true });
    const count = numberFlag('count', values.count, { min: 1, max: 64, integer: true });
    // Without --rng-seed every run is new; the seed drawn is printed so a take can be made again.
    const rngSeed = numberFlag('rng-seed', values['rng-seed'], { min: 0, max: 2 ** 32 - 1, integer: true }) ?? (io.random ?? (() => randomInt(0, 2 ** 32)))();

    const guard = new WriteGuard(defaultUserDataDir(io.env));
    if (!values.force) {
      const mine = [...new Set(plannedFiles(out, count ?? 1).flat())].filter((f) => !guard.mayReplace(f));
      if (mine.length) throw new CommandError(`${path.relative(io.cwd, mine[0]!) || mine[0]} exists and was not written by Seedsong (or was changed since); not overwriting it. Choose another --out, or add --force to replace it.`);
    }

    let seed: GenerateSeed = { kind: 'none' };
    if (values['seed-abc'] !== undefined) seed = { kind: 'abc', text: values['seed-abc'].replace(/\\n/g, '\n') };
    if (values['seed-file'] !== undefined) {
      const file = path.resolve(io.cwd, values['seed-file']);
      let bytes: Buffer;
      try {
        bytes = await readRegularFile(file, { display: values['seed-file'] });
      } catch (e) {
        throw new CommandError(`cannot read the seed file: ${(e as Error).message}`);
      }
      const flags = { meter: values['seed-meter'], grid: values['seed-grid'], pickup: values['seed-pickup'] };
      if (/\.midi?$/i.test(file)) {
        const meta = await readMeta(model).catch((e: Error) => {
          throw new CommandError(e.message);
        });
        try {
          const read = transcribeSeedFile(bytes, file, meta.encoding, flags);
          seed = read.kind === 'abc' ? { kind: 'abc', text: read.text } : { kind: 'sequence', sequence: read.sequence };
          for (const line of [...read.transcription.report, ...read.changes]) (values.json ? io.err : io.out)(`seed: ${line}`);
        } catch (e) {
          if (e instanceof UsageError) throw e;
          throw new CommandError(e instanceof MusicError ? e.message : `${file}: ${(e as Error).message}`);
        }
      } else if (Object.values(flags).some((f) => f !== undefined)) throw new UsageError('--seed-meter, --seed-grid and --seed-pickup apply to a .mid seed (an ABC seed says its own meter)');
      else seed = { kind: 'abc', text: bytes.toString('utf8') };
    } else if (values['seed-meter'] !== undefined || values['seed-grid'] !== undefined || values['seed-pickup'] !== undefined) {
      throw new UsageError('--seed-meter, --seed-grid and --seed-pickup need a --seed-file .mid');
    }

    try {
      const { backend: report, control } = await bootEngine({ backend: values.backend as BackendName | undefined, env: io.env, signal: io.interrupted });
      const started = performance.now();
      const takes = await runGeneration(
        { model, checkpoint: values.checkpoint, seed, header: { key: values.key, meter: values.meter, unit: values.unit }, temperature, topK, topP, length, count, rngSeed, grammar: !values['no-grammar'], tuneConstraints },
        {},
        control,
      );
      const seconds = (performance.now() - started) / 1000;
      const written = await outputs(out, takes, guard, seedTitleOf(seed, values['seed-file']));
      for (const { take, files } of written) {
        const generated = take.tokens.length - take.primeLength;
        if (values.json) io.out(JSON.stringify({ variation: take.variation, rngSeed, files, tokens: generated, notes: take.sequence.notes.length, stop: take.stop, warnings: take.warnings, backend: report.active }));
        else {
          io.out(`take ${take.variation + 1}: ${generated} tokens, ${take.sequence.notes.length} notes (${take.stop === 'eos' ? 'tune ended' : take.stop}) -> ${files.join(', ')}`);
          for (const w of take.warnings) io.err(`seedsong: take ${take.variation + 1}: ${w}`);
        }
      }
      if (!values.json) io.out(`${takes.length} take(s) in ${seconds.toFixed(1)} s on ${report.active}, rng seed ${rngSeed} (--rng-seed ${rngSeed} makes them again)`);
      return 0;
    } catch (e) {
      if (e instanceof EngineError) throw new CommandError(e.message);
      throw e;
    }
  },
};
