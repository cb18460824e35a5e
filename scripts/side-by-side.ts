/**
 * The seed recipe side by side with a Seedsong preset (issue #19 item 4):
 *
 *   npx tsx scripts/side-by-side.ts [--epochs 5] [--best abc-token-lstm] [--best-epochs N] [--narrow N] [--only keras-stateful|best]
 *                                   [--corpus PATH...] [--validation 0.1] [--steps N] [--out DIR] [--json]
 *
 * Trains `keras-stateful` on the Nottingham jigs + hornpipes (the seed's data: ABC_cleaned/jigs.abc
 * and hpps.abc in ../shared/corpora; GPL v3, so for comparison only, never for a shipped model)
 * and `--best` on the same tunes and the same split (one seed, one validation fraction: the split
 * is by tune, before encoding), a checkpoint every epoch. Then, for every epoch of both runs:
 *  - the engine's own validation loss (keras-stateful: stateful rows, state carried through the
 *    validation text; the others: windows from zero state), per token of its encoding;
 *  - the held-out tunes (the validation split) scored tune by tune from a fresh state, as sampling
 *    a new tune starts, in nats per token and per note (comparable across encodings);
 *  - for keras-stateful also the held-out tunes scored with state carried from the tune before;
 *  - wall time of the epoch.
 * --narrow N makes every layer N times narrower (a diagnostic where full width is too slow).
 * And for the last keras-stateful epoch, fresh and carried state split into the first 64 predicted
 * tokens of each tune and the rest: where the gap between fresh and carried state comes from.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../electron/engine/backend';
import { enableFastPath } from '../electron/engine/accelerate';
import { runTraining, type TrainSummary } from '../electron/engine/jobs';
import { findPreset, type HyperparameterOverrides } from '../electron/engine/hyperparameters';
import { encodeCorpus, loadTunes } from '../electron/engine/corpus';
import { listCheckpoints, loadCheckpoint, readMeta } from '../electron/engine/library';
import { createStepModel } from '../electron/engine/step';
import { scoreTunes, type TuneScore } from '../electron/engine/quality';
import { encodingFromSpec } from '@shared/music/encodings/index';

const NOTTINGHAM = path.resolve(import.meta.dirname, '../../shared/corpora/abc_nottingham/ABC_cleaned');
const SEED_CORPUS = [path.join(NOTTINGHAM, 'jigs.abc'), path.join(NOTTINGHAM, 'hpps.abc')];

interface EpochRow {
  preset: string;
  epoch: number;
  seconds: number;
  trainLoss: number;
  valLoss: number | null;
  heldOutPerToken: number;
  heldOutPerNote: number;
  carriedPerToken?: number;
  carriedPerNote?: number;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      epochs: { type: 'string', default: '5' },
      best: { type: 'string', default: 'abc-token-lstm' },
      'best-epochs': { type: 'string' },
      narrow: { type: 'string' },
      only: { type: 'string' },
      corpus: { type: 'string', multiple: true },
      validation: { type: 'string', default: '0.1' },
      steps: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log('Usage: npx tsx scripts/side-by-side.ts [--epochs 5] [--best abc-token-lstm] [--best-epochs N] [--narrow N] [--only keras-stateful|best] [--corpus PATH...] [--validation 0.1] [--steps N] [--out DIR] [--json]');
    return 0;
  }
  const corpus = values.corpus?.length ? values.corpus.map((p) => path.resolve(p)) : SEED_CORPUS;
  for (const p of corpus) {
    if (!existsSync(p)) {
      console.error(`side-by-side: ${p} is not on this machine (the shared corpora live in ../shared/corpora); give --corpus PATH...`);
      return 2;
    }
  }
  const epochs = Number(values.epochs);
  const bestEpochs = Number(values['best-epochs'] ?? values.epochs);
  const validationFraction = Number(values.validation);
  const maxSteps = values.steps === undefined ? undefined : Number(values.steps);
  if (!Number.isInteger(epochs) || epochs < 1 || !Number.isInteger(bestEpochs) || bestEpochs < 1 || !(validationFraction > 0 && validationFraction < 1)) {
    console.error('side-by-side: --epochs must be a whole number >= 1 and --validation a fraction in (0, 1) (held-out tunes are needed)');
    return 2;
  }
  const out = path.resolve(values.out ?? mkdtempSync(path.join(tmpdir(), 'seedsong-side-by-side-')));
  const backend = await initBackend();
  const fast = await enableFastPath();
  const presets = values.only === 'keras-stateful' ? ['keras-stateful'] : values.only === 'best' ? [values.best!] : ['keras-stateful', values.best!];
  const log = (o: object) => (values.json ? console.log(JSON.stringify(o)) : undefined);
  console.error(`side-by-side: ${presets.join(' and ')} on ${corpus.map((p) => path.basename(p)).join(' + ')}, ${epochs} epochs, validation ${validationFraction}, backend ${backend.active}, fast path ${fast.enabled ? 'on' : 'off'}; models in ${out}`);

  const ks = epochs;
  // A diagnostic for slow machines: every layer `narrow` times narrower, the rest of the recipe as written.
  const narrow = Number(values.narrow ?? 1);
  const rows: EpochRow[] = [];
  const runs: Record<string, { summary: TrainSummary; wallSeconds: number }> = {};
  for (const preset of presets) {
    const dir = path.join(out, preset);
    const started = performance.now();
    const epochs = preset === 'keras-stateful' ? ks : bestEpochs;
    const summary = existsSync(path.join(dir, 'seedsong.json'))
      ? await runTraining({ resume: true, out: dir, epochs, validationFraction, maxSteps })
      : await runTraining(
          { preset, corpus, out: dir, validationFraction, maxSteps, overrides: { model: narrowed(preset, narrow), training: { epochs, checkpointEveryEpochs: 1 } } },
          {
            onStart: (s) => console.error(`${preset}: ${s.parameters.toLocaleString('en-US')} parameters, ${s.batchesPerEpoch} batches per epoch, ${s.corpus?.trainTunes} training / ${s.corpus?.validationTunes} held-out tunes`),
            onEpoch: (r) => console.error(`${preset}: epoch ${r.epoch} loss ${r.loss.toFixed(4)} val ${r.val_loss?.toFixed(4) ?? '-'} in ${r.seconds.toFixed(0)} s`),
          },
        );
    runs[preset] = { summary, wallSeconds: (performance.now() - started) / 1000 };
  }

  // Held-out tunes: the run's own validation split (same seed and fraction for both runs).
  const loaded = await loadTunes(corpus, { validationFraction, seed: 1 });
  let investigation: Record<string, unknown> | null = null;
  for (const preset of presets) {
    const dir = path.join(out, preset);
    const meta = await readMeta(dir);
    const encoding = encodingFromSpec(meta.encoding);
    const held = encodeCorpus(loaded, corpus, { encoding });
    const tunes = held.data.validation;
    const notes = held.tunes.validation.reduce((n, t) => n + t.sequence.notes.length, 0);
    const stateful = !!meta.training?.stateful;
    const checkpoints = (await listCheckpoints(dir)).filter((c) => /^epoch-\d+$/.test(c.id));
    for (const c of checkpoints) {
      const ck = await loadCheckpoint(c.dir);
      const step = createStepModel(ck.model);
      const fresh = scoreTunes(step, tunes, { state: 'fresh' });
      const carried = stateful ? scoreTunes(step, tunes, { state: 'carried' }) : null;
      const h = meta.history[ck.state.epoch - 1];
      const row: EpochRow = {
        preset,
        epoch: ck.state.epoch,
        seconds: h?.seconds ?? NaN,
        trainLoss: h?.loss ?? NaN,
        valLoss: h?.val_loss ?? null,
        heldOutPerToken: fresh.nats / fresh.tokens,
        heldOutPerNote: fresh.nats / notes,
      };
      if (carried) {
        // Carried state leaves out the first tune of each row: per note over the tunes counted.
        row.carriedPerToken = carried.nats / carried.tokens;
        row.carriedPerNote = (carried.nats / carried.tokens) * (fresh.tokens / notes);
      }
      rows.push(row);
      log({ event: 'epoch', ...row });
      if (stateful && c === checkpoints[checkpoints.length - 1] && carried) investigation = explain(preset, ck.state.epoch, fresh, carried);
      step.dispose();
      ck.model.dispose();
    }
  }

  const f = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
  console.log(`| preset | epoch | s | train loss | engine val loss | held-out fresh (nats/token) | held-out fresh (nats/note) | held-out carried (nats/note) |`);
  console.log(`|---|---|---|---|---|---|---|---|`);
  for (const r of rows) console.log(`| ${r.preset} | ${r.epoch} | ${f(r.seconds, 0)} | ${f(r.trainLoss)} | ${f(r.valLoss)} | ${f(r.heldOutPerToken)} | ${f(r.heldOutPerNote)} | ${f(r.carriedPerNote)} |`);
  for (const [preset, r] of Object.entries(runs)) {
    const trained = r.summary.history.reduce((n, h) => n + h.seconds, 0);
    console.log(`${preset}: ${r.summary.epochs} epochs, ${r.summary.steps} batches, ${trained.toFixed(0)} s of training (sum of the epochs' wall times, across resumed runs), ${r.wallSeconds.toFixed(0)} s in this invocation (${r.summary.stopReason})`);
  }
  if (investigation) console.log(`fresh vs carried state (${JSON.stringify(investigation)})`);
  log({ event: 'done', runs: Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, { epochs: v.summary.epochs, steps: v.summary.steps, wallSeconds: v.wallSeconds }])), investigation, backend: backend.active });
  return 0;
}

function narrowed(name: string, by: number): HyperparameterOverrides['model'] {
  if (by === 1) return {};
  const m = findPreset(name).model;
  return m.architecture === 'gpt' ? { embeddingSize: Math.max(m.heads * 8, Math.round(m.embeddingSize / by)) } : { units: m.units.map((u) => Math.max(8, Math.round(u / by))), embeddingSize: Math.max(8, Math.round(m.embeddingSize / by)) };
}

function explain(preset: string, epoch: number, fresh: TuneScore, carried: TuneScore): Record<string, unknown> {
  const per = (p: { nats: number; tokens: number }) => Math.round((p.nats / Math.max(1, p.tokens)) * 1000) / 1000;
  return {
    preset,
    epoch,
    freshFirst64: per(fresh.early),
    freshAfter64: per(fresh.late),
    carriedFirst64: per(carried.early),
    carriedAfter64: per(carried.late),
  };
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) {
  main().then(
    (code) => (process.exitCode = code),
    (e) => {
      console.error(`side-by-side: ${(e as Error).message}`);
      process.exitCode = 1;
    },
  );
}
