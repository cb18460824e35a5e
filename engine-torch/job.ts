/**
 * Writes the job folder the PyTorch trainer runs from: `<model folder>/torch-job/`. Seedsong does
 * everything that defines the run here, with the engine's own code, so a torchrun run trains the
 * same thing a local run would: the corpus is read, split and encoded by the music core (the
 * trainer gets token ids and the vocabulary, never music), the preset and overrides are validated
 * by the engine, and the initial weights are the ones buildModel makes for the preset and seed.
 *
 *   job.json          format, model spec, training config, encoding spec, data files, split, corpus
 *   train.ids         training tunes' ids end to end (bos ... eos each), int32 little-endian
 *   validation.ids    held-out tunes' ids, the same way
 *   initial/          model.json + weights.bin: the TensorFlow.js model before training
 *   seedsong_torch/   the trainer (a copy, so the folder runs on a machine without Seedsong)
 *   train.py          the entry torchrun starts in every process
 *   torchrun.py       torchrun itself, fixed for PyTorch 1.13 on Python 3.11 (seedsong_torch/torchrun.py)
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineError, HyperparameterError } from '../electron/engine/errors';
import { applyOverrides, findPreset, modelSpecFor, validateTrainingConfig, type HyperparameterOverrides, type ModelSpec, type Preset, type TrainingConfig } from '../electron/engine/hyperparameters';
import { prepareData, type TokenData } from '../electron/engine/data';
import { encodeCorpus, loadTunes } from '../electron/engine/corpus';
import { writeDirAtomic, writeFileAtomic } from '../electron/node/atomic';
import { exists, listCheckpoints, readMeta, type CorpusSummary } from '../electron/node/catalog';
import { encodingFromSpec, type Encoding, type EncodingSpec } from '@shared/music/encodings/index';

export const JOB_DIR = 'torch-job';
export const JOB_FILE = 'job.json';
export const JOB_FORMAT = 'seedsong-torch-job';
export const JOB_VERSION = 1;
/** The entry torchrun runs; it puts its own folder on sys.path and trains the job beside it. */
export const ENTRY = 'train.py';
/** `python3 torchrun.py ...` is torchrun, working also where Debian 12's torchrun fails. */
export const LAUNCHER = 'torchrun.py';

export interface JobFile {
  format: typeof JOB_FORMAT;
  version: typeof JOB_VERSION;
  createdAt: string;
  name: string;
  preset: string;
  model: ModelSpec;
  training: TrainingConfig;
  /** The encoding's own toSpec(): the vocabulary in id order (and whatever else it needs). */
  encoding: EncodingSpec;
  data: { train: DataFile; validation: DataFile };
  split: { validationFraction: number; seed: number };
  corpus?: CorpusSummary;
  /** The initial weights (and the topology every saved model.json carries), relative to the job. */
  initial: string;
  /** The model folder, relative to the job folder. */
  out: string;
}

export interface DataFile {
  file: string;
  tokens: number;
  tunes: number;
  dtype: 'int32-le';
}

export interface TorchJobRequest {
  /** Preset name (not for resume). */
  preset?: string;
  overrides?: HyperparameterOverrides;
  /** .abc / .mid files or folders. */
  corpus?: string[];
  /** Already encoded tunes instead of corpus paths (tests, or a corpus the studio prepared). */
  tokens?: { data: TokenData; encoding: EncodingSpec };
  /** The model folder; the job goes in its torch-job/ folder. */
  out: string;
  name?: string;
  validationFraction?: number;
  /** Continue the model in `out`: its job is kept (or, with a corpus, or for a model trained on this machine, written from its seedsong.json). */
  resume?: boolean;
}

export interface TorchJob {
  out: string;
  jobDir: string;
  /** The script torchrun runs (absolute). */
  entry: string;
  /** The job's torchrun.py (absolute). */
  launcher: string;
  name: string;
  preset: string;
  parameters: number;
  batchesPerEpoch: number;
  corpus?: CorpusSummary;
  /** Tunes that could not be read or encoded, one line each. */
  problems: string[];
  /** False when an existing job was reused (resume). */
  written: boolean;
}

/**
 * What the trainer cannot reproduce, refused before any work with the reason and what to do. The
 * rest of the preset (dropout, optimizer, clipping, schedule, loss) carries over exactly.
 */
export function checkDistributable(model: Pick<ModelSpec, 'architecture' | 'recurrentDropout' | 'dropoutPlacement' | 'dropout'>, training?: Pick<TrainingConfig, 'stateful' | 'epsilon'>): void {
  if (training?.stateful) {
    throw new HyperparameterError('stateful training (each batch row continuing the last window\'s state, as keras-stateful) is not implemented by the torchrun trainer. Train it on this machine');
  }
  if (model.dropoutPlacement === 'output' && model.dropout > 0) {
    throw new HyperparameterError('dropout after each LSTM (dropoutPlacement "output", as keras-stateful) is not implemented by the torchrun trainer. Train it on this machine');
  }
  if (training?.epsilon !== undefined && training.epsilon !== 1e-7) {
    throw new HyperparameterError(`an optimizer epsilon of ${training.epsilon} is not passed to the torchrun trainer (it uses 1e-7). Train it on this machine`);
  }
  if (model.architecture === 'gru') {
    throw new HyperparameterError("GRU models cannot be trained with torchrun: TensorFlow.js's GRU applies the reset gate before the recurrent product and PyTorch's after it, so the trained weights would not be the same model. Use an LSTM or a GPT, or train the GRU on this machine");
  }
  if (model.recurrentDropout > 0) {
    throw new HyperparameterError(`recurrent dropout (${model.recurrentDropout}) cannot be trained with torchrun: PyTorch's fused LSTM has no mask on the recurrent state. Set --recurrent-dropout 0, or train on this machine`);
  }
}

/**
 * The trainer's Python package (engine-torch/seedsong_torch): beside this file in a checkout, in
 * the app's resources when packaged, or where SEEDSONG_TORCH_TRAINER points.
 */
export async function trainerSourceDir(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const candidates: string[] = [];
  if (env.SEEDSONG_TORCH_TRAINER) candidates.push(path.resolve(env.SEEDSONG_TORCH_TRAINER));
  // Up from this module: the source file, or a bundle in out/main (or out/main/chunks).
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    candidates.push(path.join(dir, 'seedsong_torch'), path.join(dir, 'engine-torch', 'seedsong_torch'));
    dir = path.dirname(dir);
  }
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  if (resources) candidates.push(path.join(resources, 'engine-torch', 'seedsong_torch'));
  for (const c of candidates) if (await exists(path.join(c, '__init__.py'))) return c;
  throw new EngineError('not_found', `the PyTorch trainer (engine-torch/seedsong_torch) is not part of this installation; looked in ${candidates.slice(0, 3).join(', ')}...`);
}

const ENTRY_SOURCE = `#!/usr/bin/env python3
"""Written by Seedsong: trains the job in this folder. Run it with torchrun, e.g.
torchrun --standalone --nproc_per_node 2 ${'${JOB}'}/train.py [--device cpu|cuda] [--epochs N]
(python3 train.py --help lists the options)."""
import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from seedsong_torch.train import main  # noqa: E402

sys.exit(main(sys.argv[1:], default_job_dir=here))
`;

const LAUNCHER_SOURCE = `#!/usr/bin/env python3
"""Written by Seedsong: torchrun (python3 torchrun.py --help), with the fix in
seedsong_torch/torchrun.py for PyTorch 1.13 on Python 3.11."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from seedsong_torch.torchrun import main  # noqa: E402

main()
`;

/** Copies the trainer into a job folder (refreshed on resume, so fixes reach old jobs). */
async function installTrainer(jobDir: string, env?: NodeJS.ProcessEnv): Promise<void> {
  const src = await trainerSourceDir(env);
  const dest = path.join(jobDir, 'seedsong_torch');
  await writeDirAtomic(dest, async (tmp) => {
    for (const f of await fs.readdir(src)) if (f.endsWith('.py')) await fs.copyFile(path.join(src, f), path.join(tmp, f));
  });
  for (const [file, source] of [[ENTRY, ENTRY_SOURCE], [LAUNCHER, LAUNCHER_SOURCE]]) {
    await writeFileAtomic(path.join(jobDir, file), source);
    await fs.chmod(path.join(jobDir, file), 0o755).catch(() => {});
  }
}

function idsFile(tunes: ArrayLike<number>[]): Uint8Array {
  const total = tunes.reduce((n, t) => n + t.length, 0);
  const bytes = new Uint8Array(total * 4);
  const view = new DataView(bytes.buffer);
  let o = 0;
  for (const t of tunes) for (let i = 0; i < t.length; i++, o += 4) view.setInt32(o, t[i], true);
  return bytes;
}

async function isNonEmptyDir(p: string): Promise<boolean> {
  try {
    return (await fs.readdir(p)).length > 0;
  } catch {
    return false;
  }
}

/** Reads a job folder's job.json, checking its format. */
export async function readJob(jobDir: string): Promise<JobFile> {
  const file = path.join(jobDir, JOB_FILE);
  let doc: JobFile;
  try {
    doc = JSON.parse(await fs.readFile(file, 'utf8')) as JobFile;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new EngineError('not_found', `${file}: no such file (is ${jobDir} a training job folder?)`);
    throw new EngineError('invalid_request', `${file}: not valid JSON (${(e as Error).message})`);
  }
  if (doc?.format !== JOB_FORMAT) throw new EngineError('invalid_request', `${file}: not a Seedsong training job (expected "format": "${JOB_FORMAT}")`);
  if (doc.version !== JOB_VERSION) throw new EngineError('invalid_request', `${file}: job format version ${doc.version}; this Seedsong writes and reads version ${JOB_VERSION}`);
  return doc;
}

export async function writeTorchJob(req: TorchJobRequest, env?: NodeJS.ProcessEnv): Promise<TorchJob> {
  // TensorFlow.js is loaded only here: the studio reads jobs and checks presets without it.
  const { buildModel, countParameters } = await import('../electron/engine/model');
  const { writeModelFiles } = await import('../electron/engine/library');
  const out = path.resolve(req.out);
  const jobDir = path.join(out, JOB_DIR);

  // Resuming keeps the job, unless a corpus is given: then it is encoded again with the model's
  // vocabulary (fine-tuning on other tunes, as a local resume does).
  const newCorpus = !!(req.corpus?.length || req.tokens);
  if (req.resume && !newCorpus && (await exists(path.join(jobDir, JOB_FILE)))) {
    const job = await readJob(jobDir);
    await installTrainer(jobDir, env);
    return {
      out,
      jobDir,
      entry: path.join(jobDir, ENTRY),
      launcher: path.join(jobDir, LAUNCHER),
      name: job.name,
      preset: job.preset,
      parameters: parameterCount(job.model),
      batchesPerEpoch: batchesOf(job),
      corpus: job.corpus,
      problems: [],
      written: false,
    };
  }

  let preset: Preset;
  let encoding: Encoding;
  let data: TokenData;
  let corpus: CorpusSummary | undefined;
  let problems: string[] = [];
  let name = req.name ?? path.basename(out);
  let initialFrom: string | undefined; // a checkpoint folder whose weights start the run (resume)
  const validationFraction = req.validationFraction ?? 0.1;

  if (req.resume) {
    // A model trained on this machine, continued with torchrun: its own hyperparameters and vocabulary.
    const meta = await readMeta(out);
    if (!meta.model || !meta.training) throw new EngineError('invalid_request', `${out}: this model was imported, not trained by Seedsong, so it cannot be resumed`);
    const last = (await listCheckpoints(out)).at(-1);
    if (!last) throw new EngineError('not_found', `${out}: no checkpoint to resume from`);
    preset = { name: meta.preset ?? 'custom', description: '', encoding: meta.encoding.name, model: meta.model, training: meta.training };
    encoding = encodingFromSpec(meta.encoding);
    name = meta.name;
    initialFrom = last.dir;
    if (req.tokens) data = req.tokens.data;
    else {
      const paths = req.corpus?.length ? req.corpus.map((p) => path.resolve(p)) : meta.corpus?.paths;
      if (!paths?.length) throw new EngineError('invalid_request', 'resuming needs the corpus (none given and none recorded in seedsong.json)');
      const c = encodeCorpus(await loadTunes(paths, { validationFraction, seed: meta.training.seed }), paths, { encoding });
      data = c.data;
      corpus = c.summary;
      problems = c.problems;
    }
  } else {
    if (!req.preset) throw new EngineError('invalid_request', 'no preset given (see the list of presets)');
    preset = applyOverrides(findPreset(req.preset), req.overrides ?? {});
    validateTrainingConfig(preset.training, preset.model);
    checkDistributable(preset.model, preset.training);
    if (await isNonEmptyDir(out)) throw new EngineError('busy', `${out} already exists and is not empty; choose a new folder, or resume it`);
    if (req.tokens) {
      encoding = encodingFromSpec(req.tokens.encoding);
      data = req.tokens.data;
    } else {
      if (!req.corpus?.length) throw new EngineError('bad_input', 'no corpus given: name .abc or .mid files, or folders holding them');
      const paths = req.corpus.map((p) => path.resolve(p));
      const c = encodeCorpus(await loadTunes(paths, { validationFraction, seed: preset.training.seed }), paths, { encoding: preset.encoding });
      encoding = c.encoding;
      data = c.data;
      corpus = c.summary;
      problems = c.problems;
    }
  }
  checkDistributable(preset.model, preset.training);
  const spec = modelSpecFor(preset, encoding.tokens.length);
  const prepared = prepareData(data, preset.training); // the engine's own checks of data vs hyperparameters

  const job: JobFile = {
    format: JOB_FORMAT,
    version: JOB_VERSION,
    createdAt: new Date().toISOString(),
    name,
    preset: preset.name,
    model: spec,
    training: preset.training,
    encoding: encoding.toSpec(),
    data: {
      train: { file: 'train.ids', tokens: data.train.reduce((n, t) => n + t.length, 0), tunes: data.train.length, dtype: 'int32-le' },
      validation: { file: 'validation.ids', tokens: data.validation.reduce((n, t) => n + t.length, 0), tunes: data.validation.length, dtype: 'int32-le' },
    },
    split: { validationFraction, seed: preset.training.seed },
    corpus,
    initial: 'initial/model.json',
    out: '..',
  };

  let parameters = 0;
  await writeDirAtomic(jobDir, async (tmp) => {
    await fs.writeFile(path.join(tmp, 'train.ids'), idsFile(data.train));
    await fs.writeFile(path.join(tmp, 'validation.ids'), idsFile(data.validation));
    await fs.mkdir(path.join(tmp, 'initial'));
    if (initialFrom) {
      for (const f of ['model.json', 'weights.bin']) await fs.copyFile(path.join(initialFrom, f), path.join(tmp, 'initial', f));
      parameters = parameterCount(spec);
    } else {
      const model = buildModel(spec, preset.training.seed);
      try {
        parameters = countParameters(model);
        await writeModelFiles(path.join(tmp, 'initial'), model);
      } finally {
        model.dispose();
      }
    }
    await fs.writeFile(path.join(tmp, JOB_FILE), JSON.stringify(job, null, 2) + '\n');
  });
  await installTrainer(jobDir, env);
  return { out, jobDir, entry: path.join(jobDir, ENTRY),
      launcher: path.join(jobDir, LAUNCHER), name, preset: preset.name, parameters, batchesPerEpoch: prepared.batchesPerEpoch, corpus, problems, written: true };
}

/** Batches per epoch of a job, as prepareData counts them, from the data files' sizes. */
function batchesOf(job: JobFile): number {
  const t = job.training;
  const stride = t.stride ?? (t.loss === 'last' ? 1 : t.seqLength);
  const total = job.data.train.tokens;
  const windows = total >= t.seqLength + 1 ? Math.floor((total - t.seqLength - 1) / stride) + 1 : 0;
  return Math.floor(windows / t.batchSize);
}

/** Trainable weights of a model built from this spec (countParameters without building it). */
export function parameterCount(m: ModelSpec): number {
  const V = m.vocabSize;
  if (m.architecture === 'gpt') {
    const w = m.embeddingSize;
    const block = 2 * w + (w * 3 * w + 3 * w) + (w * w + w) + 2 * w + (w * 4 * w + 4 * w) + (4 * w * w + w);
    return V * w + m.contextLength * w + m.layers * block + 2 * w + w * V + V;
  }
  let n = V * m.embeddingSize;
  let d = m.embeddingSize;
  const gates = m.architecture === 'gru' ? 3 : 4;
  for (const u of m.units) {
    n += d * gates * u + u * gates * u + gates * u;
    d = u;
  }
  return n + d * V + V;
}
