/**
 * The model library's catalogue: the folder layout, seedsong.json, summaries, rename, delete and
 * checkpoint listing. No TensorFlow.js here, so the studio (Electron's main process, serve) can
 * list and manage models without loading tfjs; library.ts adds loading and saving weights.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { cleanStaleTemps, writeFileAtomic, type CleanReport } from './atomic';
import { EngineError } from '../engine/errors';
import type { ModelSpec, TrainingConfig } from '../engine/hyperparameters';
import type { EpochRecord, TrainerState } from '../engine/train';
import type { OptimizerSnapshot } from '../engine/optimizer';
import type { EncodingSpec } from '@shared/music/encodings/types';

export const META_FILE = 'seedsong.json';
export const MODEL_FILE = 'model.json';
export const LOG_FILE = 'training-log.csv';
export const CHECKPOINTS = 'checkpoints';

export interface CorpusSummary {
  paths: string[];
  tunes: number;
  trainTunes: number;
  validationTunes: number;
  trainTokens: number;
  validationTokens: number;
  skipped?: number;
  /** Share of tunes held out for validation when the split was made (0 = trained on all of them). */
  validationFraction?: number;
}

export interface ModelMeta {
  format: 'seedsong-model';
  version: 1;
  name: string;
  createdAt: string;
  updatedAt: string;
  source: 'trained' | 'imported';
  encoding: EncodingSpec;
  preset?: string;
  /** null for imported models whose architecture was not built by Seedsong. */
  model: ModelSpec | null;
  training?: TrainingConfig;
  corpus?: CorpusSummary;
  history: EpochRecord[];
  metrics: { parameters: number; bestValLoss?: number | null; bestEpoch?: number | null; lastLoss?: number | null };
  backend?: string;
  status?: 'training' | 'complete' | 'cancelled' | 'failed';
  /** Which checkpoint the top-level weights are. */
  checkpoint?: { id: string; epoch: number; step: number };
  /** Written by the PyTorch trainer (engine-torch/): how a torchrun run trained this model. */
  trainedWith?: TrainedWith;
}

export interface TrainedWith {
  engine: 'pytorch';
  torch: string;
  /** Processes of the latest session, on how many machines, where, over which backend. */
  worldSize: number;
  nodes: number;
  device: string;
  backend: string;
  /** Wall time of all sessions together (seconds). */
  wallSeconds: number;
  /** One per start or resume: its processes, the steps it trained, its wall time and how it stopped. */
  sessions: { startedAt: string; worldSize: number; nodes: number; device: string; backend: string; threads: number; fromStep: number; toStep: number; wallSeconds: number; stopReason: string | null }[];
}

// ---------------------------------------------------------------------------------------------
// seedsong.json

export async function readMeta(dir: string): Promise<ModelMeta> {
  const file = path.join(dir, META_FILE);
  let meta: ModelMeta;
  try {
    meta = JSON.parse(await fs.readFile(file, 'utf8')) as ModelMeta;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new EngineError('not_found', `${file}: no such file (is ${dir} a Seedsong model folder?)`);
    throw new EngineError('bad_input', `${file}: not valid JSON (${(e as Error).message})`);
  }
  if (meta?.format !== 'seedsong-model' || !meta.encoding || !Array.isArray(meta.encoding.tokens)) {
    throw new EngineError('bad_input', `${file}: not a Seedsong model description (expected format "seedsong-model" with an encoding and its tokens)`);
  }
  return meta;
}

export async function writeMeta(dir: string, meta: ModelMeta): Promise<void> {
  await writeFileAtomic(path.join(dir, META_FILE), JSON.stringify(meta, null, 2) + '\n');
}

export function csvLog(history: EpochRecord[]): string {
  const f = (v: number | null) => (v === null || v === undefined ? '' : String(v));
  return ['epoch,loss,accuracy,val_loss,val_accuracy', ...history.map((h) => [h.epoch, h.loss, h.accuracy, h.val_loss, h.val_accuracy].map(f).join(','))].join('\n') + '\n';
}

export async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Checkpoints

export interface CheckpointInfo {
  id: string;
  dir: string;
  epoch: number;
  step: number;
  reasons: string[];
  savedAt: string;
}

export interface TrainerFile {
  state: TrainerState;
  reasons: string[];
  savedAt: string;
  optimizer: { optimizer: OptimizerSnapshot['optimizer']; step: number; slots: { name: string; shape: number[] }[] };
}

export async function listCheckpoints(modelDir: string): Promise<CheckpointInfo[]> {
  const root = path.join(modelDir, CHECKPOINTS);
  let names: string[] = [];
  try {
    names = (await fs.readdir(root)).filter((n) => !n.startsWith('.'));
  } catch {
    return [];
  }
  const out: CheckpointInfo[] = [];
  for (const id of names) {
    try {
      const f = JSON.parse(await fs.readFile(path.join(root, id, 'trainer.json'), 'utf8')) as TrainerFile;
      out.push({ id, dir: path.join(root, id), epoch: f.state.epoch, step: f.state.step, reasons: f.reasons, savedAt: f.savedAt });
    } catch {
      /* not a checkpoint */
    }
  }
  return out.sort((a, b) => a.step - b.step || a.id.localeCompare(b.id));
}

// ---------------------------------------------------------------------------------------------
// The catalogue: a folder of model folders

export interface ModelSummary {
  id: string;
  name: string;
  dir: string;
  encoding: string;
  architecture: string;
  createdAt: string;
  updatedAt: string;
  parameters: number;
  validationLoss?: number;
  epochs: number;
  status?: ModelMeta['status'];
  source: ModelMeta['source'];
  preset?: string;
}

const ID_RE = /^[A-Za-z0-9._-]{1,128}$/;

export function checkModelId(id: string): void {
  if (!ID_RE.test(id) || id === '.' || id === '..' || id.startsWith('.')) {
    throw new EngineError('invalid_request', `model name "${id}" is not allowed: use 1-128 letters, digits, ".", "_" or "-", not starting with "."`);
  }
}

export function summarize(id: string, dir: string, meta: ModelMeta): ModelSummary {
  return {
    id,
    name: meta.name,
    dir,
    encoding: meta.encoding.name,
    architecture: meta.model?.architecture ?? 'imported',
    createdAt: meta.createdAt,
    updatedAt: meta.updatedAt,
    parameters: meta.metrics?.parameters ?? 0,
    validationLoss: meta.metrics?.bestValLoss ?? undefined,
    epochs: meta.history?.length ?? 0,
    status: meta.status,
    source: meta.source,
    preset: meta.preset,
  };
}

export class ModelCatalog {
  private opened?: Promise<CleanReport>;

  constructor(readonly root: string) {}

  /**
   * Opening the library (done by the first list()): removes what writes killed mid-way left
   * behind (temporary files and folders of our own atomic writes, see cleanStaleTemps).
   */
  open(): Promise<CleanReport> {
    this.opened ??= cleanStaleTemps(this.root).catch(() => ({ removed: [], restored: [] }));
    return this.opened;
  }

  dirOf(id: string): string {
    checkModelId(id);
    return path.join(this.root, id);
  }

  async list(): Promise<ModelSummary[]> {
    await this.open();
    let names: string[] = [];
    try {
      names = await fs.readdir(this.root);
    } catch {
      return [];
    }
    const out: ModelSummary[] = [];
    for (const id of names.sort()) {
      if (id.startsWith('.')) continue;
      try {
        out.push(summarize(id, path.join(this.root, id), await readMeta(path.join(this.root, id))));
      } catch {
        /* not a model folder */
      }
    }
    return out;
  }

  async rename(from: string, to: string): Promise<void> {
    const a = this.dirOf(from);
    const b = this.dirOf(to);
    await readMeta(a);
    if (await exists(b)) throw new EngineError('busy', `a model named "${to}" already exists`);
    await fs.rename(a, b);
    const meta = await readMeta(b);
    await writeMeta(b, { ...meta, name: to, updatedAt: new Date().toISOString() });
  }

  async delete(id: string): Promise<void> {
    const dir = this.dirOf(id);
    await readMeta(dir); // refuse to delete folders that are not models
    // Move aside first so a half-deleted model never appears in list().
    const aside = path.join(this.root, `.deleting-${id}-${randomBytes(3).toString('hex')}`);
    await fs.rename(dir, aside);
    await fs.rm(aside, { recursive: true, force: true });
  }

  async checkpoints(id: string): Promise<CheckpointInfo[]> {
    return listCheckpoints(this.dirOf(id));
  }

  async deleteCheckpoint(id: string, checkpoint: string): Promise<void> {
    checkModelId(checkpoint);
    const dir = path.join(this.dirOf(id), CHECKPOINTS, checkpoint);
    await fs.stat(path.join(dir, 'trainer.json')).catch(() => {
      throw new EngineError('not_found', `model "${id}" has no checkpoint "${checkpoint}"`);
    });
    await fs.rm(dir, { recursive: true, force: true });
  }
}
