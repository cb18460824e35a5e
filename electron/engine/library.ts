/**
 * The model library on disk. Only this file knows the layout:
 *
 *   <model>/model.json            TensorFlow.js LayersModel (topology + weights manifest)
 *   <model>/weights-<tag>.bin     its weights; a new tag per save, so replacing model.json
 *                                 (atomically) switches weights atomically too
 *   <model>/seedsong.json         encoding + vocabulary, hyperparameters, corpus, history, metrics
 *   <model>/training-log.csv      epoch, loss, accuracy, val_loss, val_accuracy (Keras CSVLogger)
 *   <model>/checkpoints/<id>/     model.json, weights.bin, optimizer.json + .bin, trainer.json
 *
 * Every file is written atomically; a new model or checkpoint folder is built under a temporary
 * name and renamed into place, so a crash never leaves a half-written model.
 */
import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { writeDirAtomic, writeFileAtomic } from '../node/atomic';
import { EngineError } from './errors';
import { modelMemoryLimitMb } from './model-memory';
import {
  CHECKPOINTS,
  LOG_FILE,
  META_FILE,
  MODEL_FILE,
  ModelCatalog,
  csvLog,
  exists,
  readMeta,
  writeMeta,
  type CheckpointInfo,
  type ModelMeta,
  type TrainerFile,
} from '../node/catalog';

export * from '../node/catalog';
import './gpt'; // registers the custom layers so saved GPT models load
import type { TrainerState } from './train';
import type { OptimizerSnapshot } from './optimizer';
import { countParameters } from './model';

// ---------------------------------------------------------------------------------------------
// LayersModel <-> files

interface ModelJson {
  modelTopology: unknown;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

async function artifactsOf(model: tf.LayersModel): Promise<{ topology: unknown; specs: tf.io.WeightsManifestEntry[]; data: Uint8Array }> {
  let captured: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      captured = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  const a = captured!;
  const wd = a.weightData as ArrayBuffer | ArrayBuffer[] | undefined;
  const buffers = wd === undefined ? [] : Array.isArray(wd) ? wd : [wd];
  const total = buffers.reduce((n, b) => n + b.byteLength, 0);
  const data = new Uint8Array(total);
  let o = 0;
  for (const b of buffers) {
    data.set(new Uint8Array(b), o);
    o += b.byteLength;
  }
  return { topology: a.modelTopology, specs: a.weightSpecs ?? [], data };
}

/** Writes model.json + a weights file into dir (the file names are returned). */
export async function writeModelFiles(dir: string, model: tf.LayersModel, weightsName = 'weights.bin'): Promise<void> {
  const { topology, specs, data } = await artifactsOf(model);
  const json: ModelJson = { modelTopology: topology, format: 'layers-model', generatedBy: `TensorFlow.js tfjs-layers v${tf.version.tfjs}`, convertedBy: null, weightsManifest: [{ paths: [weightsName], weights: specs }] };
  await writeFileAtomic(path.join(dir, weightsName), data);
  await writeFileAtomic(path.join(dir, MODEL_FILE), JSON.stringify(json));
}

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, string: 0 };

/** Reads and checks model.json and its weight files; every failure names the file and the fault. */
export async function readModelFiles(dir: string, fileName = MODEL_FILE): Promise<tf.LayersModel> {
  const jsonPath = path.join(dir, fileName);
  let json: ModelJson;
  try {
    json = JSON.parse(await fs.readFile(jsonPath, 'utf8')) as ModelJson;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new EngineError('not_found', `${jsonPath}: no such file (is ${dir} a model folder?)`);
    throw new EngineError('bad_input', `${jsonPath}: not valid JSON (${(e as Error).message})`);
  }
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new EngineError('bad_input', `${jsonPath}: not a TensorFlow.js LayersModel (expected modelTopology and weightsManifest)`);
  }
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: Uint8Array[] = [];
  let expected = 0;
  for (const group of json.weightsManifest) {
    specs.push(...group.weights);
    for (const w of group.weights) {
      const dtype = w.quantization?.dtype ?? w.dtype;
      expected += w.shape.reduce((a, b) => a * b, 1) * (BYTES[dtype] ?? 4);
    }
  }
  // Before reading any weights: a model too large for the memory limit is refused in words.
  const limitMb = modelMemoryLimitMb();
  if (expected > limitMb * 1024 * 1024) {
    throw new EngineError('bad_input', `${path.basename(dir)}: its weights take ${Math.ceil(expected / 1024 / 1024).toLocaleString('en')} MB, more than the ${limitMb.toLocaleString('en')} MB limit for a model (SEEDSONG_MODEL_MEMORY_MB)`);
  }
  for (const group of json.weightsManifest) {
    for (const p of group.paths) {
      const file = path.join(dir, p);
      if (path.relative(dir, file).startsWith('..')) throw new EngineError('bad_input', `${jsonPath}: weights path "${p}" points outside the model folder`);
      try {
        parts.push(await fs.readFile(file));
      } catch {
        throw new EngineError('bad_input', `${file}: weights file is missing (listed in ${MODEL_FILE})`);
      }
    }
  }
  const total = parts.reduce((n, p) => n + p.byteLength, 0);
  if (total !== expected) {
    throw new EngineError('bad_input', `${dir}: weights are corrupt or truncated: ${total} bytes on disk, ${expected} expected from ${MODEL_FILE}`);
  }
  const data = new Uint8Array(total);
  let o = 0;
  for (const p of parts) {
    data.set(p, o);
    o += p.byteLength;
  }
  try {
    return await tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology as object, weightSpecs: specs, weightData: data.buffer }));
  } catch (e) {
    throw new EngineError('bad_input', `${jsonPath}: TensorFlow.js cannot load this model: ${(e as Error).message.split('\n')[0]}`);
  }
}

// ---------------------------------------------------------------------------------------------
// seedsong.json

// ---------------------------------------------------------------------------------------------
// Models

export interface LoadedModel {
  model: tf.LayersModel;
  meta: ModelMeta;
  dir: string;
}

/** Saves a whole model folder at once (new models, imports): nothing is visible until complete. */
export async function saveModel(dir: string, model: tf.LayersModel, meta: ModelMeta, opts: { overwrite?: boolean } = {}): Promise<void> {
  if (!opts.overwrite && (await exists(dir))) throw new EngineError('busy', `${dir} already exists; choose another folder or remove it`);
  await writeDirAtomic(dir, async (tmp) => {
    await writeModelFiles(tmp, model, weightsName());
    await writeMeta(tmp, { ...meta, metrics: { ...meta.metrics, parameters: countParameters(model) } });
    if (meta.history.length) await writeFileAtomic(path.join(tmp, LOG_FILE), csvLog(meta.history));
  });
}

/** Replaces the weights of an existing model folder in place (during training). */
export async function updateModelWeights(dir: string, model: tf.LayersModel): Promise<void> {
  let old: string[] = [];
  try {
    const json = JSON.parse(await fs.readFile(path.join(dir, MODEL_FILE), 'utf8')) as ModelJson;
    old = json.weightsManifest.flatMap((g) => g.paths);
  } catch {
    /* first save */
  }
  await writeModelFiles(dir, model, weightsName());
  for (const p of old) await fs.rm(path.join(dir, p), { force: true });
}

function weightsName(): string {
  return `weights-${Date.now().toString(36)}${randomBytes(3).toString('hex')}.bin`;
}

/** weightsDir: a checkpoint folder of this model, to load its weights instead of the model's own. */
export async function loadModel(dir: string, weightsDir = dir): Promise<LoadedModel> {
  const meta = await readMeta(dir);
  const model = await readModelFiles(weightsDir);
  const out = model.outputs[0].shape;
  if (out[out.length - 1] !== meta.encoding.tokens.length) {
    model.dispose();
    throw new EngineError('bad_input', `${dir}: the model predicts ${out[out.length - 1]} tokens but its vocabulary in ${META_FILE} has ${meta.encoding.tokens.length}`);
  }
  return { model, meta, dir };
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

export async function saveCheckpoint(modelDir: string, id: string, model: tf.LayersModel, state: TrainerState, optimizer: OptimizerSnapshot, reasons: string[]): Promise<CheckpointInfo> {
  const dir = path.join(modelDir, CHECKPOINTS, id);
  const savedAt = new Date().toISOString();
  await writeDirAtomic(dir, async (tmp) => {
    await writeModelFiles(tmp, model);
    const total = optimizer.slots.reduce((n, s) => n + s.data.length, 0);
    const bin = new Float32Array(total);
    let o = 0;
    for (const s of optimizer.slots) {
      bin.set(s.data, o);
      o += s.data.length;
    }
    await writeFileAtomic(path.join(tmp, 'optimizer.bin'), new Uint8Array(bin.buffer));
    const file: TrainerFile = { state, reasons, savedAt, optimizer: { optimizer: optimizer.optimizer, step: optimizer.step, slots: optimizer.slots.map((s) => ({ name: s.name, shape: s.shape })) } };
    await writeFileAtomic(path.join(tmp, 'trainer.json'), JSON.stringify(file));
  });
  return { id, dir, epoch: state.epoch, step: state.step, reasons, savedAt };
}

export interface LoadedCheckpoint {
  model: tf.LayersModel;
  state: TrainerState;
  optimizer: OptimizerSnapshot;
  info: CheckpointInfo;
}

export async function loadCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  let f: TrainerFile;
  try {
    f = JSON.parse(await fs.readFile(path.join(dir, 'trainer.json'), 'utf8')) as TrainerFile;
  } catch (e) {
    throw new EngineError('bad_input', `${path.join(dir, 'trainer.json')}: missing or unreadable checkpoint state (${(e as Error).message})`);
  }
  const buf = await fs.readFile(path.join(dir, 'optimizer.bin')).catch(() => {
    throw new EngineError('bad_input', `${path.join(dir, 'optimizer.bin')}: optimizer state is missing`);
  });
  const all = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
  const need = f.optimizer.slots.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
  if (all.length !== need) throw new EngineError('bad_input', `${path.join(dir, 'optimizer.bin')}: ${all.length} values, expected ${need}`);
  let o = 0;
  const slots = f.optimizer.slots.map((s) => {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const data = all.slice(o, o + n);
    o += n;
    return { name: s.name, shape: s.shape, data };
  });
  const model = await readModelFiles(dir);
  return { model, state: f.state, optimizer: { optimizer: f.optimizer.optimizer, step: f.optimizer.step, slots }, info: { id: path.basename(dir), dir, epoch: f.state.epoch, step: f.state.step, reasons: f.reasons, savedAt: f.savedAt } };
}

// ---------------------------------------------------------------------------------------------
// The library: a folder of model folders

export class ModelLibrary extends ModelCatalog {
  async load(id: string): Promise<LoadedModel> {
    return loadModel(this.dirOf(id));
  }

  async save(id: string, model: tf.LayersModel, meta: ModelMeta, opts: { overwrite?: boolean } = {}): Promise<void> {
    return saveModel(this.dirOf(id), model, meta, opts);
  }
}
