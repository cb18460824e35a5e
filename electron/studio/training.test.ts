import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { TrainingService } from './training';
import { EventBus } from './events';
import { RunRegistry } from './runs';
import { CorpusStore } from './corpora';
import { JobBoard, withCheckpoint } from './jobs';
import { ModelCatalog, writeMeta, type ModelMeta } from '../node/catalog';
import type { EngineClient, TrainHandlers } from './engine-client';
import type { TrainRequest, TrainSummary } from '../engine/jobs';
import type { EventName } from '@shared/ipc/contract';

/** An engine client whose training runs the test drives: it calls their handlers and ends them. */
function fakeClient() {
  const runs: { request: TrainRequest; h: TrainHandlers; runId: string; calls: string[]; end(s: Partial<TrainSummary>): void; fail(e: Error): void }[] = [];
  const client = {
    async train(request: TrainRequest, h: TrainHandlers, runId: string) {
      let end!: (s: TrainSummary) => void;
      let fail!: (e: Error) => void;
      const result = new Promise<TrainSummary>((a, b) => ((end = a), (fail = b)));
      const run = { request, h, runId, calls: [] as string[], end: (s: Partial<TrainSummary>) => end({ out: '', stopReason: 'completed', epochs: 0, steps: 0, history: [], bestValLoss: null, ...s }), fail };
      runs.push(run);
      return { runId, result, pause: () => run.calls.push('pause'), resume: () => run.calls.push('resume'), cancel: () => run.calls.push('cancel') };
    },
  } as unknown as EngineClient;
  return { client, runs };
}

const meta = (status: ModelMeta['status'], epochs: number): ModelMeta => ({
  format: 'seedsong-model',
  version: 1,
  name: 'jigs',
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-02T00:00:00.000Z',
  source: 'trained',
  encoding: { name: 'abc-token', tokens: ['<s>', 'A'] } as unknown as ModelMeta['encoding'],
  preset: 'abc-token-lstm',
  model: { architecture: 'lstm', embeddingSize: 8, units: [8], dropout: 0, recurrentDropout: 0, layers: 1, heads: 0, contextLength: 0 } as unknown as ModelMeta['model'],
  training: { epochs: 40 } as unknown as ModelMeta['training'],
  history: Array.from({ length: epochs }, (_, i) => ({ epoch: i + 1, loss: 2 - i * 0.1, accuracy: 0.2, val_loss: null, val_accuracy: null, learning_rate: 0.002, seconds: 1 })),
  metrics: { parameters: 100 },
  status,
});

function checkpoint(modelDir: string, id: string, epoch: number, step: number): void {
  const dir = path.join(modelDir, 'checkpoints', id);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'trainer.json'), JSON.stringify({ state: { epoch, step }, reasons: ['epoch'], savedAt: '2026-01-02T00:00:00.000Z' }));
}

async function setup() {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-training-'));
  const events = new EventBus();
  const seen: { name: EventName; payload: any }[] = [];
  events.subscribe((name, payload) => seen.push({ name, payload }));
  const runs = new RunRegistry();
  const corpora = new CorpusStore(root);
  const corpus = await corpora.create('jigs');
  fs.writeFileSync(path.join(corpora.filesDir(corpus.id), 'a.abc'), 'X:1\nK:D\nDEF|\n');
  const library = new ModelCatalog(path.join(root, 'models'));
  const { client, runs: engineRuns } = fakeClient();
  const service = new TrainingService({ client, library, corpora, events, runs, jobs: new JobBoard(events) });
  const states = () => seen.filter((e) => e.name === 'job.state').map((e) => e.payload.state);
  return { root, events, seen, runs, corpora, corpus, library, service, engineRuns, states };
}

const flush = () => new Promise((r) => setImmediate(r));

describe('training jobs', () => {
  it('pauses (pausing until the engine stops), cancels, ignores what arrives after, resumes as a new run of the same job', async () => {
    const t = await setup();
    const first = await t.service.start({ corpusId: t.corpus.id, preset: 'abc-token-lstm', modelId: 'jigs', overrides: { training: { epochs: 30 } } });
    const run = t.engineRuns[0];
    expect(t.states()).toEqual(['running']);
    expect(t.service.pause(first.runId)).toBe(true);
    expect(run.calls).toEqual(['pause']);
    expect(t.states().at(-1)).toBe('pausing');
    run.h.onPaused!(true);
    expect(t.states().at(-1)).toBe('paused');
    expect(t.service.resumeRun(first.runId)).toBe(true);
    run.h.onPaused!(false); // the engine's own report of the same resume changes nothing
    expect(t.states()).toEqual(['running', 'pausing', 'paused', 'running']);

    run.h.onCheckpoint!({ id: 'epoch-0001', dir: '', epoch: 1, step: 5, reasons: ['epoch'], savedAt: '' });
    expect(t.runs.cancel(first.runId)).toBe(true);
    expect(run.calls).toEqual(['pause', 'resume', 'cancel']);
    expect(t.states().at(-1)).toBe('cancelling');
    run.end({ stopReason: 'cancelled', epochs: 1 });
    await flush();
    expect(t.states().at(-1)).toBe('cancelled');
    // A late progress report and pause acknowledgement: the job stays cancelled.
    run.h.onProgress!({ epoch: 2, epochs: 30, batch: 1, batchesPerEpoch: 5, step: 6, totalSteps: 150, loss: 1, accuracy: 0.5, learningRate: 0.002, tokensPerSecond: 100, etaSeconds: 200 });
    run.h.onPaused!(false);
    const cancelled = t.seen.filter((e) => e.name === 'job.state').at(-1)!.payload;
    expect(cancelled).toMatchObject({ state: 'cancelled', runId: null, message: 'Training was cancelled after 1 epoch.', resumable: true, progress: { epoch: 1, epochs: 30 } });
    expect(t.service.pause(first.runId)).toBe(false);

    const again = await t.service.resume({ modelId: 'jigs', epochs: 30 }).catch((e) => e);
    // The fake engine wrote no model folder: the studio refuses to resume what is not on disk.
    expect(again).toMatchObject({ code: 'not_found' });
  });

  it('lists each checkpoint once when a resumed run saves the same one again, and forgets removed mid-epoch ones', () => {
    let list = withCheckpoint([], { id: 'epoch-0001', epoch: 1, step: 5, reasons: ['epoch'] }, () => true);
    list = withCheckpoint(list, { id: 'step-0000007', epoch: 1, step: 7, reasons: ['cancel'] }, () => true);
    list = withCheckpoint(list, { id: 'epoch-0001', epoch: 1, step: 5, reasons: ['epoch', 'best'] }, () => true);
    list = withCheckpoint(list, { id: 'epoch-0002', epoch: 2, step: 10, reasons: ['epoch'] }, (id) => id !== 'step-0000007');
    list = withCheckpoint(list, { id: 'best', epoch: 2, step: 10, reasons: ['best'] }, () => true);
    expect(list.map((c) => c.id)).toEqual(['epoch-0001', 'epoch-0002']);
    expect(list[0].reasons).toEqual(['epoch', 'best']);
    const many = Array.from({ length: 80 }, (_, i) => ({ id: `epoch-${String(i + 1).padStart(4, '0')}`, epoch: i + 1, step: (i + 1) * 5, reasons: ['epoch'] }));
    expect(many.reduce((l, c) => withCheckpoint(l, c, () => true), [] as typeof many).map((c) => c.epoch)).toEqual(many.slice(-50).map((c) => c.epoch));
  });

  it('after a restart, lists the runs on disk as jobs (cancelled, interrupted, done) and resumes one from its last checkpoint', async () => {
    const t = await setup();
    const dir = (id: string) => path.join(t.library.root, id);
    for (const [id, status, epochs] of [['jigs', 'cancelled', 3], ['reels', 'training', 2], ['polkas', 'complete', 4]] as const) {
      fs.mkdirSync(dir(id), { recursive: true });
      await writeMeta(dir(id), { ...meta(status, epochs), name: id, updatedAt: `2026-01-0${epochs}T00:00:00.000Z` });
    }
    checkpoint(dir('jigs'), 'epoch-0003', 3, 15);
    checkpoint(dir('jigs'), 'best', 3, 15);
    checkpoint(dir('reels'), 'step-0000012', 2, 12);
    const jobs = await t.service.list();
    expect(jobs.map((j) => [j.id, j.state, j.resumable, j.progress?.epoch, j.progress?.epochs])).toEqual([
      ['train:polkas', 'done', false, 4, 40],
      ['train:jigs', 'cancelled', true, 3, 40],
      ['train:reels', 'failed', true, 2, 40],
    ]);
    expect(jobs[1].checkpoints.map((c) => c.id)).toEqual(['epoch-0003']);
    expect(jobs[1].message).toBe('Training was cancelled after 3 epochs.');
    expect(jobs[2].message).toMatch(/^Training stopped after 2 epochs when the studio closed\. Resume continues from its checkpoint at epoch 2\.$/);
    expect(jobs[1].history).toHaveLength(3);

    const { runId } = await t.service.resume({ modelId: 'jigs' });
    expect(t.engineRuns[0].request).toMatchObject({ resume: true, out: dir('jigs') });
    const running = t.seen.filter((e) => e.name === 'job.state').at(-1)!.payload;
    expect(running).toMatchObject({ id: 'train:jigs', state: 'running', runId, checkpoints: [{ id: 'epoch-0003' }], progress: { epoch: 3, epochs: 40 } });
    expect(running.history).toBeUndefined(); // the event carries the state; train.epoch streams the curves
    t.engineRuns[0].h.onCheckpoint!({ id: 'epoch-0003', dir: '', epoch: 3, step: 15, reasons: ['epoch'], savedAt: '' });
    t.engineRuns[0].h.onCheckpoint!({ id: 'epoch-0004', dir: '', epoch: 4, step: 20, reasons: ['epoch'], savedAt: '' });
    expect((await t.service.list()).find((j) => j.id === 'train:jigs')!.checkpoints.map((c) => c.id)).toEqual(['epoch-0003', 'epoch-0004']);
    await expect(t.service.resume({ modelId: 'reels' })).rejects.toMatchObject({ code: 'busy' });
    t.engineRuns[0].end({ stopReason: 'completed', epochs: 40, bestValLoss: 1.234 });
    await flush();
    expect(t.seen.filter((e) => e.name === 'job.state').at(-1)!.payload).toMatchObject({ state: 'done', message: 'Training finished after 40 epochs; best validation loss 1.234.' });
  });

  it('a cancel that arrives while the engine is still starting the run reaches the run', async () => {
    const t = await setup();
    const { client, runs: engineRuns } = fakeClient();
    let release!: () => void;
    const slow = { train: async (...args: Parameters<EngineClient['train']>) => (await new Promise<void>((r) => (release = r)), client.train(...args)) } as unknown as EngineClient;
    const service = new TrainingService({ client: slow, library: t.library, corpora: t.corpora, events: t.events, runs: t.runs });
    const started = service.start({ corpusId: t.corpus.id, preset: 'abc-token-lstm', modelId: 'slow', overrides: {} });
    await flush();
    const [runId] = t.runs.active('train');
    t.runs.cancel(runId);
    expect(t.states().at(-1)).toBe('cancelling');
    release();
    await started;
    expect(engineRuns[0].calls).toEqual(['cancel']);
  });
});

describe('the time left', () => {
  it('is the wall clock\'s when the engine, timing only its batches, says less', async () => {
    const { wallClock } = await import('./training');
    // 10 steps took 5 s (checkpoints included); 90 to go: 45 s, not the engine's 0.2 s.
    expect(wallClock({ step: 20, totalSteps: 110, etaSeconds: 0.2, tokensPerSecond: 50_000 }, { ms: 1000, step: 10 }, 6000)).toEqual({ etaSeconds: 45, tokensPerSecond: (50_000 * 0.2) / 45 });
    // The engine's own estimate stands when it is the slower one, and before any step was timed.
    expect(wallClock({ step: 20, totalSteps: 110, etaSeconds: 100, tokensPerSecond: 500 }, { ms: 1000, step: 10 }, 6000)).toEqual({ etaSeconds: 100, tokensPerSecond: 500 });
    expect(wallClock({ step: 10, totalSteps: 110, etaSeconds: 3, tokensPerSecond: 500 }, { ms: 1000, step: 10 }, 6000)).toEqual({ etaSeconds: 3, tokensPerSecond: 500 });
  });
});
