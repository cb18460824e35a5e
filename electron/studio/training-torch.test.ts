/**
 * Training with torchrun from the studio: the studio says whether PyTorch is there (and what to
 * install when not), the engine process writes the job, torchrun runs as the studio's child
 * process, its progress arrives as train.* events, Cancel stops it by signal with a checkpoint,
 * and Resume continues it with torchrun or on this machine's engine.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { composeStudio } from './compose';
import { TrainingService } from './training';
import { EventBus } from './events';
import { RunRegistry } from './runs';
import { CorpusStore } from './corpora';
import { ModelCatalog } from '../node/catalog';
import type { EngineClient } from './engine-client';
import type { Studio } from './index';
import type { EventName } from '@shared/ipc/contract';
import { probeTorch } from '../../engine-torch/launch';

const ctx = { via: 'test' as const };
const TUNES = [
  'X:1\nT:Up and down\nM:6/8\nL:1/8\nK:D\n|:DEF GAB|AFD D3:|\n|:ABc dcB|AFD D3:|\n',
  'X:2\nT:Arpeggio\nM:6/8\nL:1/8\nK:D\n|:DFA dAF|DFA d3:|\n|:fed AFD|EFG A3:|\n',
  'X:3\nT:Gee\nM:6/8\nL:1/8\nK:G\n|:GAB cde|dBG G3:|\n|:gfe dcB|AGF G3:|\n',
  'X:4\nT:Steps\nM:6/8\nL:1/8\nK:G\n|:GBd gdB|GBd g3:|\n|:BAG FGA|BAG G3:|\n',
].join('\n');

describe('training with torchrun, where PyTorch is missing', () => {
  it('says so, with what to install, and refuses a torchrun run before any work', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-torchless-'));
    const corpora = new CorpusStore(dir);
    const corpus = await corpora.create('c');
    await corpora.add(corpus.id, [{ name: 't.abc', base64: Buffer.from(TUNES).toString('base64') }]);
    const client = { torchJob: () => Promise.reject(new Error('the engine must not be asked')) } as unknown as EngineClient;
    const service = new TrainingService({ client, library: new ModelCatalog(path.join(dir, 'models')), corpora, events: new EventBus(), runs: new RunRegistry(), probeTorch: async () => ({ ok: false, reason: 'PyTorch is not available: python3 cannot import torch', install: 'apt install python3-torch' }) });
    expect((await service.engines()).torchrun).toMatchObject({ available: false, reason: expect.stringMatching(/cannot import torch/), install: 'apt install python3-torch' });
    await expect(service.start({ corpusId: corpus.id, preset: 'abc-token-lstm', modelId: 'm', overrides: {}, distributed: { launcher: 'torchrun', nprocPerNode: 2 } })).rejects.toMatchObject({
      code: 'unsupported',
      message: expect.stringMatching(/cannot import torch\. To train with torchrun, apt install python3-torch/),
    });
    expect(fs.existsSync(path.join(dir, 'models', 'm'))).toBe(false);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});

const probe = await probeTorch();
if (!probe.ok) console.log(`studio torchrun run skipped: ${probe.reason}`);

describe.skipIf(!probe.ok)('training with torchrun from the studio', () => {
  let dir: string;
  let studio: Studio;
  const seen: { name: EventName; payload: any }[] = [];
  const until = async (predicate: () => boolean, ms: number) => {
    const start = Date.now();
    while (!predicate()) {
      if (Date.now() - start > ms) throw new Error(`timed out; events: ${seen.map((e) => e.name).join(', ')}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const of = (runId: string, name: EventName) => seen.filter((e) => e.name === name && e.payload.runId === runId).map((e) => e.payload);

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-studio-torch-'));
    studio = await composeStudio({ mode: 'serve', userDataDir: dir, builtInModelsDir: path.join(dir, 'no-built-in') });
    studio.events.subscribe((name, payload) => seen.push({ name, payload }));
  });

  afterAll(async () => {
    await studio.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('trains, cancels with a checkpoint, resumes with torchrun and on this machine', async () => {
    expect((await studio.handlers.trainingEngines({}, ctx)).torchrun).toMatchObject({ available: true, torch: probe.ok ? probe.torch : '' });
    const corpus = await studio.handlers.createCorpus({ name: 'jigs' }, ctx);
    await studio.handlers.addCorpusFiles({ corpusId: corpus.id, files: [{ name: 'jigs.abc', base64: Buffer.from(TUNES).toString('base64') }] }, ctx);
    const overrides = { model: { units: [16], embeddingSize: 8, dropout: 0 }, training: { epochs: 500, batchSize: 2, seqLength: 8, patience: 0 } };
    const distributed = { launcher: 'torchrun' as const, nprocPerNode: 1, device: 'cpu' as const };
    const { runId } = await studio.handlers.startTraining({ corpusId: corpus.id, preset: 'abc-token-lstm', modelId: 'torched', overrides, distributed }, ctx);
    await until(() => of(runId, 'train.checkpoint').length > 0 || of(runId, 'run.failed').length > 0, 120_000);
    expect(of(runId, 'run.failed')).toEqual([]);
    expect(of(runId, 'train.started')[0]).toMatchObject({ modelId: 'torched', distributed: { worldSize: 1, device: 'cpu', backend: 'gloo', jobDir: path.join(dir, 'models', 'torched', 'torch-job') } });
    expect(of(runId, 'train.progress')[0]).toMatchObject({ epochs: 500, tokensPerSecond: expect.any(Number), tokensPerSecondPerProcess: expect.any(Number) });
    // One run at a time; a torchrun run cannot pause.
    await expect(studio.handlers.startTraining({ corpusId: corpus.id, preset: 'abc-token-lstm', modelId: 'second', overrides, distributed }, ctx)).rejects.toMatchObject({ code: 'busy' });
    await expect(async () => studio.handlers.pauseRun({ runId }, ctx)).rejects.toMatchObject({ code: 'unsupported', message: expect.stringMatching(/cannot pause/) });

    expect(await studio.handlers.cancelRun({ runId }, ctx)).toEqual({ cancelled: true });
    await until(() => of(runId, 'train.done').length > 0 || of(runId, 'run.failed').length > 0, 90_000);
    const done = of(runId, 'train.done')[0];
    expect(done).toMatchObject({ modelId: 'torched', stopReason: 'cancelled' });
    expect(done.epochs).toBeLessThan(500);
    const models = await studio.handlers.listModels({}, ctx);
    expect(models.find((m) => m.id === 'torched')).toMatchObject({ architecture: 'lstm' });
    expect(JSON.parse(fs.readFileSync(path.join(dir, 'models', 'torched', 'seedsong.json'), 'utf8'))).toMatchObject({ status: 'cancelled', trainedWith: { worldSize: 1 } });

    const again = await studio.handlers.resumeTraining({ modelId: 'torched', epochs: done.epochs + 1, distributed }, ctx);
    await until(() => of(again.runId, 'train.done').length > 0 || of(again.runId, 'run.failed').length > 0, 120_000);
    expect(of(again.runId, 'run.failed')).toEqual([]);
    expect(of(again.runId, 'train.done')[0]).toMatchObject({ stopReason: 'completed', epochs: done.epochs + 1 });

    const local = await studio.handlers.resumeTraining({ modelId: 'torched', epochs: done.epochs + 2 }, ctx);
    await until(() => of(local.runId, 'train.done').length > 0 || of(local.runId, 'run.failed').length > 0, 120_000);
    expect(of(local.runId, 'run.failed')).toEqual([]);
    expect(of(local.runId, 'train.done')[0]).toMatchObject({ stopReason: 'completed', epochs: done.epochs + 2 });
    const log = await studio.handlers.trainingLog({ modelId: 'torched' }, ctx);
    expect(log.history).toHaveLength(done.epochs + 2);
  }, 300_000);
});
