import path from 'node:path';
import { CommandError, UsageError, numberFlag, parseCommandArgs, type CliCommand } from '../command';
import { PRESETS, ENCODING_NAMES, type EncodingName, type HyperparameterOverrides, type Architecture, type OptimizerName } from '../../engine/hyperparameters';
import { BACKEND_ORDER, type BackendName } from '../../engine/backend';
import { bootEngine } from '../../engine/boot';
import { runTraining } from '../../engine/jobs';
import { EngineError, HyperparameterError } from '../../engine/errors';
import { formatEpoch, formatProgress } from '../../engine/format';
import { DISTRIBUTED_OPTIONS, DISTRIBUTED_USAGE, parseDistributedFlags, trainDistributed } from './train-distributed';

const usage = `Usage: seedsong train --preset NAME --corpus PATH... --out DIR [options]
       seedsong train --resume --out DIR [--corpus PATH...] [--epochs N] [--steps N]
       seedsong train --list-presets

Trains a model on .abc / .mid files (or folders of them) and writes it to DIR: model.json,
weights, seedsong.json, training-log.csv and checkpoints/. Ctrl+C stops after the current batch and
writes a checkpoint; --resume continues from the latest one.

  --preset NAME          recipe to start from (--list-presets shows them)
  --corpus PATH...       .abc/.mid files or folders (more paths may follow)
  --out DIR              the model folder to create (must not exist, or be empty)
  --epochs N             epochs to train (with --resume: total epochs)
  --steps N              stop after N batches (quick runs)
  --resume               continue the model in --out from its latest checkpoint
  --checkpoint ID        with --resume: continue from this checkpoint (checkpoints/ID) instead
  --json                 one JSON object per line (start, progress, epoch, checkpoint, done)
  --backend NAME         force ${BACKEND_ORDER.join(' | ')}

Hyperparameters (override the preset):
  --encoding NAME        ${ENCODING_NAMES.join(' | ')}
  --architecture A       lstm | gru | gpt
  --units N[,N...]       units of each recurrent layer, e.g. 256,256
  --embedding N          embedding size (GPT: width)
  --dropout F            dropout between layers      --recurrent-dropout F
  --layers N             GPT blocks                  --heads N     --context N (GPT context length)
  --seq N                window length               --batch N     --stride N
  --optimizer adam|rmsprop   --lr F    --lr-decay F (per epoch)    --warmup N (batches)
  --clip F               gradient norm clip (0 = off)
  --weight-decay F       decoupled (AdamW) weight decay of the weight matrices (0 = off)
  --loss all|last        loss on every step, or only the last (Melody-RNN)
  --patience N           early stopping on validation loss (0 = off)
  --checkpoint-every N   epochs between checkpoints  --checkpoint-steps N (batches, 0 = off)
  --validation F         fraction of tunes held out (default 0.1; 0 trains on every tune, as the seed recipes did)
  --seed N               RNG seed (weights, shuffling, split, dropout)

${DISTRIBUTED_USAGE}`;

function listPresets(io: Parameters<CliCommand['run']>[1], json: boolean): number {
  for (const p of PRESETS) {
    if (json) io.out(JSON.stringify({ name: p.name, description: p.description, encoding: p.encoding, model: p.model, training: p.training }));
    else {
      const arch = p.model.architecture === 'gpt' ? `gpt ${p.model.layers}x${p.model.embeddingSize} (${p.model.heads} heads)` : `${p.model.architecture} ${p.model.units.join('x')}`;
      io.out(`${p.name.padEnd(16)} ${p.encoding.padEnd(13)} ${arch.padEnd(26)} seq ${p.training.seqLength}, batch ${p.training.batchSize}`);
      io.out(`${''.padEnd(16)} ${p.description}`);
    }
  }
  return 0;
}

function oneOf<T extends string>(name: string, v: string | undefined, allowed: readonly T[]): T | undefined {
  if (v === undefined) return undefined;
  if (!allowed.includes(v as T)) throw new UsageError(`--${name} must be one of ${allowed.join(', ')}, got "${v}"`);
  return v as T;
}

export const command: CliCommand = {
  name: 'train',
  summary: 'train a model on ABC or MIDI files',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      preset: { type: 'string' },
      corpus: { type: 'string', multiple: true },
      out: { type: 'string' },
      epochs: { type: 'string' },
      steps: { type: 'string' },
      resume: { type: 'boolean' },
      checkpoint: { type: 'string' },
      json: { type: 'boolean' },
      backend: { type: 'string' },
      'list-presets': { type: 'boolean' },
      encoding: { type: 'string' },
      architecture: { type: 'string' },
      units: { type: 'string' },
      embedding: { type: 'string' },
      dropout: { type: 'string' },
      'recurrent-dropout': { type: 'string' },
      layers: { type: 'string' },
      heads: { type: 'string' },
      context: { type: 'string' },
      seq: { type: 'string' },
      batch: { type: 'string' },
      stride: { type: 'string' },
      optimizer: { type: 'string' },
      lr: { type: 'string' },
      'lr-decay': { type: 'string' },
      warmup: { type: 'string' },
      clip: { type: 'string' },
      'weight-decay': { type: 'string' },
      loss: { type: 'string' },
      patience: { type: 'string' },
      'checkpoint-every': { type: 'string' },
      'checkpoint-steps': { type: 'string' },
      validation: { type: 'string' },
      seed: { type: 'string' },
      ...DISTRIBUTED_OPTIONS,
    });
    const json = !!values.json;
    if (values['list-presets']) return listPresets(io, json);
    const distributed = parseDistributedFlags(values);
    if (!values.out) throw new UsageError('--out DIR is required (the model folder to write)');
    if (values.checkpoint !== undefined && !values.resume) throw new UsageError('--checkpoint ID goes with --resume');
    const corpus = [...(values.corpus ?? []), ...positionals].map((p) => path.resolve(io.cwd, p));
    if (!values.resume) {
      if (!values.preset) throw new UsageError(`--preset NAME is required; one of ${PRESETS.map((p) => p.name).join(', ')}`);
      if (!PRESETS.some((p) => p.name === values.preset)) throw new UsageError(`unknown preset "${values.preset}"; known presets: ${PRESETS.map((p) => p.name).join(', ')}`);
      if (!corpus.length) throw new UsageError('--corpus PATH... is required (.abc/.mid files or folders)');
    }
    const int = (name: string, min = 1) => numberFlag(name, (values as Record<string, string | undefined>)[name], { integer: true, min });
    const num = (name: string, min = 0) => numberFlag(name, (values as Record<string, string | undefined>)[name], { min });
    let units: number[] | undefined;
    if (values.units !== undefined) {
      units = values.units.split(',').map((u) => {
        const n = Number(u.trim());
        if (!Number.isInteger(n)) throw new UsageError(`--units expects whole numbers separated by commas, got "${values.units}"`);
        if (n < 1) throw new UsageError(`--units: every layer needs at least 1 unit, got ${n}`);
        return n;
      });
    }
    const overrides: HyperparameterOverrides = {
      encoding: oneOf<EncodingName>('encoding', values.encoding, ENCODING_NAMES),
      model: {
        architecture: oneOf<Architecture>('architecture', values.architecture, ['lstm', 'gru', 'gpt']),
        units,
        embeddingSize: int('embedding'),
        dropout: num('dropout'),
        recurrentDropout: num('recurrent-dropout'),
        layers: int('layers'),
        heads: int('heads'),
        contextLength: int('context'),
      },
      training: {
        epochs: values.resume ? undefined : int('epochs'),
        seqLength: int('seq'),
        batchSize: int('batch'),
        stride: int('stride'),
        optimizer: oneOf<OptimizerName>('optimizer', values.optimizer, ['adam', 'rmsprop']),
        learningRate: num('lr'),
        lrDecay: num('lr-decay'),
        warmupSteps: int('warmup', 0),
        clipNorm: num('clip'),
        weightDecay: numberFlag('weight-decay', values['weight-decay'], { min: 0, max: 0.99 }),
        loss: oneOf<'all' | 'last'>('loss', values.loss, ['all', 'last']),
        patience: int('patience', 0),
        checkpointEveryEpochs: int('checkpoint-every', 0),
        checkpointEverySteps: int('checkpoint-steps', 0),
        seed: numberFlag('seed', values.seed, { integer: true }),
      },
    };
    const backend = oneOf<BackendName>('backend', values.backend, BACKEND_ORDER);
    const maxSteps = int('steps');
    const validationFraction = numberFlag('validation', values.validation, { min: 0, max: 0.9 });
    if (distributed) {
      const request = { preset: values.preset, overrides, corpus, out: path.resolve(io.cwd, values.out), maxSteps, resume: !!values.resume, checkpoint: values.checkpoint, epochs: values.resume ? int('epochs') : undefined, validationFraction, backend };
      return trainDistributed(io, distributed, request, json);
    }

    const emit = (o: object) => io.out(JSON.stringify(o));
    let lastLine = 0;
    let lastBatch: { loss: number; accuracy: number } | undefined;
    try {
      const { backend: report, control } = await bootEngine({ backend, env: io.env, signal: io.interrupted });
      if (json) emit({ event: 'backend', backend: report.active });
      const summary = await runTraining(
        {
          preset: values.preset,
          overrides,
          corpus,
          out: path.resolve(io.cwd, values.out),
          maxSteps,
          resume: values.resume ? (values.checkpoint ?? true) : undefined,
          epochs: values.resume ? int('epochs') : undefined,
          validationFraction,
        },
        {
          onStart: (i) => {
            if (json) emit({ event: 'start', ...i, problems: i.problems.length, backend: report.active });
            else {
              io.out(`training ${i.preset ?? 'model'} on ${report.active}: ${i.parameters.toLocaleString('en-US')} parameters, ${i.batchesPerEpoch} batches per epoch -> ${i.out}`);
              if (i.corpus) io.out(`corpus: ${i.corpus.tunes} tunes (${i.corpus.trainTunes} training, ${i.corpus.validationTunes} validation), ${i.corpus.trainTokens.toLocaleString('en-US')} training tokens`);
              if (i.resumedFrom) io.out(`resuming from checkpoint ${i.resumedFrom.id} (epoch ${i.resumedFrom.epoch}, batch ${i.resumedFrom.step})`);
            }
            if (i.problems.length) {
              io.err(`seedsong: ${i.problems.length} tune(s) skipped; first: ${i.problems[0]}`);
            }
          },
          onProgress: (p) => {
            lastBatch = p;
            const now = Date.now();
            const every = json ? 100 : io.isTty ? 1000 : 10_000;
            if (now - lastLine < every && p.batch !== p.batchesPerEpoch) return;
            lastLine = now;
            if (json) emit({ event: 'progress', ...p });
            else io.out(formatProgress(p));
          },
          onEpoch: (r) => (json ? emit({ event: 'epoch', ...r }) : io.out(formatEpoch(r))),
          onCheckpoint: (c) => (json ? emit({ event: 'checkpoint', id: c.id, epoch: c.epoch, step: c.step, reasons: c.reasons }) : undefined),
        },
        control,
      );
      if (json) emit({ event: 'done', stopReason: summary.stopReason, epochs: summary.epochs, steps: summary.steps, bestValLoss: summary.bestValLoss, out: summary.out });
      else {
        const last = summary.history.at(-1) ?? lastBatch;
        io.out(`${summary.stopReason}: ${summary.epochs} epoch(s), ${summary.steps} batches${last ? `, loss ${last.loss.toFixed(4)}` : ''}${summary.bestValLoss !== null ? `, best val_loss ${summary.bestValLoss.toFixed(4)}` : ''} -> ${summary.out}`);
        if (summary.stopReason === 'cancelled') io.out(`resume with: seedsong train --resume --out ${summary.out}`);
      }
      return summary.stopReason === 'cancelled' ? 130 : 0;
    } catch (e) {
      if (e instanceof EngineError) {
        if (e instanceof HyperparameterError) throw new UsageError(e.message);
        throw new CommandError(e.message);
      }
      throw e;
    }
  },
};
