/**
 * Training runs started from the studio: a corpus of the studio, a preset with changes, a new
 * model folder in the library. The engine process does the work; its progress becomes train.*
 * events with the run id. Pause, resume and cancel reach the engine, which checkpoints on cancel.
 */
import { EngineClient, type RunHandle } from '../engine/client';
import { PRESETS, findPreset } from '../engine/hyperparameters';
import type { ModelCatalog } from '../engine/catalog';
import type { TrainSummary } from '../engine/jobs';
import { StudioError } from '../../shared/ipc/result';
import type { PresetDto } from '../../shared/ipc/channels/training';
import type { EventBus } from './events';
import type { RunRegistry } from './runs';
import type { CorpusStore } from './corpora';
import { toStudioError } from './engine';
import fs from 'node:fs';
import path from 'node:path';

type Overrides = { encoding?: PresetDto['encoding']; model?: Partial<PresetDto['model']>; training?: Partial<PresetDto['training']> };

export interface TrainingServiceOptions {
  client: EngineClient;
  library: ModelCatalog;
  corpora: CorpusStore;
  events: EventBus;
  runs: RunRegistry;
}

export class TrainingService {
  private readonly active = new Map<string, RunHandle<TrainSummary>>();
  constructor(private readonly o: TrainingServiceOptions) {}

  presets(): PresetDto[] {
    return PRESETS.map((p) => structuredClone({ name: p.name, description: p.description, encoding: p.encoding, model: p.model, training: p.training }) as PresetDto);
  }

  async start(request: { corpusId: string; preset: string; modelId: string; overrides: Overrides; maxSteps?: number }): Promise<{ runId: string; modelId: string }> {
    try {
      findPreset(request.preset);
    } catch (e) {
      throw toStudioError(e);
    }
    const files = this.o.corpora.filesDir(request.corpusId);
    if (!fs.readdirSync(files).length) throw new StudioError('bad_input', 'this corpus has no files yet: add .abc or .mid files first');
    const out = this.o.library.dirOf(request.modelId);
    if (fs.existsSync(out)) throw new StudioError('busy', `a model named "${request.modelId}" already exists; choose another name`);
    return this.run(request.modelId, { preset: request.preset, overrides: request.overrides, corpus: [files], out, name: request.modelId, maxSteps: request.maxSteps });
  }

  async resume(request: { modelId: string; corpusId?: string; epochs?: number }): Promise<{ runId: string; modelId: string }> {
    const out = this.o.library.dirOf(request.modelId);
    if (!fs.existsSync(path.join(out, 'seedsong.json'))) throw new StudioError('not_found', `there is no model "${request.modelId}" in the library`);
    const corpus = request.corpusId ? [this.o.corpora.filesDir(request.corpusId)] : undefined;
    return this.run(request.modelId, { resume: true, out, corpus, epochs: request.epochs });
  }

  private async run(modelId: string, request: Parameters<EngineClient['train']>[0]): Promise<{ runId: string; modelId: string }> {
    const { events, runs, client } = this.o;
    if (this.active.size) {
      const [id] = this.active.keys();
      throw new StudioError('busy', `a training run (${id}) is already going; cancel or finish it first (one run at a time on this machine)`);
    }
    const { runId, signal } = runs.start('train');
    let handle: RunHandle<TrainSummary>;
    try {
      handle = await client.train(
        request,
        {
          onStart: (info) => events.emit('train.started', { runId, modelId, parameters: info.parameters, batchesPerEpoch: info.batchesPerEpoch, problems: info.problems }),
          onProgress: (p) => events.emit('train.progress', { runId, ...p }),
          onEpoch: (record) => events.emit('train.epoch', { runId, record }),
          onCheckpoint: (c) => events.emit('train.checkpoint', { runId, id: c.id, epoch: c.epoch, reasons: c.reasons }),
        },
        runId,
      );
    } catch (e) {
      runs.finish(runId);
      throw toStudioError(e);
    }
    this.active.set(runId, handle);
    signal.addEventListener('abort', () => handle.cancel(), { once: true });
    handle.result
      .then((summary) =>
        events.emit('train.done', { runId, modelId, stopReason: summary.stopReason, epochs: summary.epochs, bestValidationLoss: summary.bestValLoss }),
      )
      .catch((e) => {
        const err = toStudioError(e);
        events.emit('run.failed', { runId, error: { code: err.code, message: err.message } });
      })
      .finally(() => {
        this.active.delete(runId);
        runs.finish(runId);
      });
    return { runId, modelId };
  }

  pause(runId: string): boolean {
    const h = this.active.get(runId);
    h?.pause();
    if (h) this.o.events.emit('train.paused', { runId, paused: true });
    return Boolean(h);
  }

  resumeRun(runId: string): boolean {
    const h = this.active.get(runId);
    h?.resume();
    if (h) this.o.events.emit('train.paused', { runId, paused: false });
    return Boolean(h);
  }
}
