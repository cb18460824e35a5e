import { describe, expect, it } from 'vitest';
import { fakeStudio } from '../testing/fake-api';
import { TorchrunState } from './torchrun.svelte';
import { TrainState } from './train.svelte';

const available = { torchrun: { available: true, python: '/usr/bin/python3', torch: '2.3.0', cuda: false, gpus: 0, cpus: 8 } };
const preset = {
  name: 'abc-token-lstm',
  description: 'ABC tokens',
  encoding: 'abc-token' as const,
  model: { architecture: 'lstm' as const, embeddingSize: 64, units: [256], dropout: 0.2, recurrentDropout: 0, layers: 1, heads: 0, contextLength: 0 },
  training: { seqLength: 64, batchSize: 16, epochs: 20, optimizer: 'adam' as const, learningRate: 0.002, lrDecay: 1, warmupSteps: 0, clipNorm: 5, loss: 'all' as const, patience: 3, checkpointEveryEpochs: 1, checkpointEverySteps: 0, seed: 7 },
};
const stats = { tunes: 10, train: 9, validation: 1, duplicates: 0, errors: 0, notes: 500, meters: { '6/8': 10 }, keys: { D: 10 }, pitchRange: { min: 60, max: 84 } };

describe('TorchrunState', () => {
  it('asks the studio once, and again on request; chooses processes for this machine', async () => {
    let answer: unknown = available;
    const fake = fakeStudio({ trainingEngines: () => answer });
    const torch = new TorchrunState(fake.api);
    await torch.refresh();
    expect(torch.engines?.available).toBe(true);
    expect(torch.defaults()).toEqual({ launcher: 'torchrun', nprocPerNode: 4, device: 'cpu' });
    answer = { torchrun: { ...available.torchrun, cuda: true, gpus: 2 } };
    await torch.refresh(true);
    expect(fake.calls.map((c) => c.request)).toEqual([{}, { refresh: true }]);
    expect(torch.defaults()).toEqual({ launcher: 'torchrun', nprocPerNode: 2, device: 'cuda' });
    answer = { torchrun: { available: false, cuda: false, gpus: 0, cpus: 2, reason: 'python3 cannot import torch', install: 'apt install python3-torch' } };
    await torch.refresh(true);
    expect(torch.engines).toMatchObject({ available: false, install: 'apt install python3-torch' });
  });

  it("follows a torchrun run's processes and tokens/s of each", async () => {
    const fake = fakeStudio({ trainingEngines: () => available });
    const torch = new TorchrunState(fake.api);
    torch.start();
    fake.emit('train.started', { runId: 'r1', modelId: 'm', parameters: 10, batchesPerEpoch: 3, problems: [], distributed: { worldSize: 2, nodes: 1, device: 'cpu', backend: 'gloo', torch: '2.3.0', jobDir: '/m/torch-job' } });
    fake.emit('train.progress', { runId: 'r1', epoch: 1, epochs: 2, batch: 1, batchesPerEpoch: 3, step: 1, totalSteps: 6, loss: 2, accuracy: 0.1, tokensPerSecond: 900, etaSeconds: 4, tokensPerSecondPerProcess: 450 });
    expect(torch.live).toMatchObject({ runId: 'r1', worldSize: 2, backend: 'gloo', tokensPerSecondPerProcess: 450 });
    fake.emit('train.started', { runId: 'r2', modelId: 'm', parameters: 10, batchesPerEpoch: 3, problems: [] });
    expect(torch.live).toBeNull();
    torch.dispose();
  });

  it('the Train panel sends the choice with a new run and with a resume', async () => {
    const fake = fakeStudio({
      listPresets: () => [preset],
      listCorpora: () => [{ id: 'jigs', name: 'jigs', createdAt: '2026-01-01', files: ['a.abc'], stats, problems: [] }],
      startTraining: (r) => ({ runId: 'run1', modelId: r.modelId }),
      resumeTraining: (r) => ({ runId: 'run2', modelId: r.modelId }),
    });
    const train = new TrainState(fake.api);
    await train.start();
    train.trainWith({ launcher: 'torchrun', nprocPerNode: 2, device: 'cpu' });
    await train.startTraining();
    expect(fake.calls.find((c) => c.channel === 'startTraining')!.request.distributed).toEqual({ launcher: 'torchrun', nprocPerNode: 2, device: 'cpu' });
    // The job board says the run was cancelled with checkpoints on disk: it can be resumed.
    fake.emit('job.state', { id: 'train:my-model', kind: 'train', state: 'cancelled', runId: 'run1', modelId: 'my-model', message: null, progress: { epoch: 1, epochs: 2, step: 4, totalSteps: 8 }, checkpoints: [], resumable: true, updatedAt: '2026-01-01T00:00:00.000Z' });
    await train.resume();
    expect(fake.calls.find((c) => c.channel === 'resumeTraining')!.request).toMatchObject({ modelId: 'my-model', distributed: { nprocPerNode: 2 } });
    train.trainWith(null);
    await train.resume();
    expect(fake.calls.filter((c) => c.channel === 'resumeTraining').at(-1)!.request.distributed).toBeUndefined();
    train.dispose();
  });
});
