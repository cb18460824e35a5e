import { describe, expect, it } from 'vitest';
import { fakeStudio } from '../testing/fake-api';
import { TrainState, checkpointLabel, parseUnits, validate } from './train.svelte';
import { isActive } from '@shared/jobs/machine';
import type { JobDto } from '@shared/ipc/channels/jobs';

const preset = {
  name: 'abc-token-lstm',
  description: 'ABC tokens, two LSTM layers',
  encoding: 'abc-token' as const,
  model: { architecture: 'lstm' as const, embeddingSize: 64, units: [256, 256], dropout: 0.2, recurrentDropout: 0, layers: 0, heads: 0, contextLength: 0 },
  training: { seqLength: 64, batchSize: 16, epochs: 20, optimizer: 'adam' as const, learningRate: 0.002, lrDecay: 1, warmupSteps: 0, clipNorm: 5, loss: 'all' as const, patience: 3, checkpointEveryEpochs: 1, checkpointEverySteps: 0, seed: 7 },
};
const stats = { tunes: 10, train: 9, validation: 1, duplicates: 1, errors: 0, notes: 500, meters: { '6/8': 10 }, keys: { D: 6, G: 4 }, pitchRange: { min: 60, max: 84 } };
const corpus = { id: 'jigs', name: 'jigs', createdAt: '2026-01-01', files: ['a.abc'], stats, problems: [] };

function setup() {
  const fake = fakeStudio({
    listPresets: () => [preset],
    listCorpora: () => [corpus],
    startTraining: (r) => ({ runId: 'run1', modelId: r.modelId }),
    pauseRun: () => ({ paused: true }),
    resumeRun: () => ({ resumed: true }),
    cancelRun: () => ({ cancelled: true }),
    createCorpus: (r) => ({ ...corpus, id: 'new', name: r.name, stats: null, files: [] }),
    addCorpusFiles: (r) => ({ ...corpus, id: r.corpusId, files: r.files.map((f: { name: string }) => f.name) }),
    listJobs: () => [],
    resumeTraining: (r) => ({ runId: 'run2', modelId: r.modelId }),
    trainingLog: (r) => ({ history: [{ epoch: 1, loss: 2, accuracy: 0.3, val_loss: 2.2, val_accuracy: 0.28, learning_rate: 0.002, seconds: 3 }], csv: `epoch,loss\n1,2\n# ${r.modelId}` }),
  });
  let modelsChanged = 0;
  const said: string[] = [];
  const train = new TrainState(fake.api, { modelsChanged: () => modelsChanged++, ended: (m) => said.push(m), started: () => said.push('started') });
  /** The studio's job.state for model jiggy's training. */
  const job = (state: JobDto['state'], more: Partial<JobDto> = {}) =>
    fake.emit('job.state', { id: 'train:jiggy', kind: 'train', state, runId: isActive(state) ? 'run1' : null, modelId: 'jiggy', message: null, progress: { epoch: 0, epochs: 2, step: 0, totalSteps: 8 }, checkpoints: [], resumable: false, updatedAt: '2026-01-01T00:00:00.000Z', ...more });
  return { fake, train, changed: () => modelsChanged, said, job };
}

describe('TrainState', () => {
  it('loads presets and corpora and fills the form from the preset', async () => {
    const { train } = setup();
    await train.start();
    expect(train.presetName).toBe('abc-token-lstm');
    expect(train.corpusId).toBe('jigs');
    expect(train.form).toMatchObject({ epochs: 20, batchSize: 16, units: '256, 256', seed: 7 });
    expect(train.problems).toEqual([]);
  });

  it('validates the form with readable messages', () => {
    const good = { epochs: 10, batchSize: 16, seqLength: 64, learningRate: 0.002, units: '256', embeddingSize: 64, dropout: 0.2, patience: 3, seed: 1 };
    expect(validate(good, 'my-model')).toEqual([]);
    expect(validate({ ...good, epochs: 0 }, 'x')).toEqual(['Epochs: between 1 and 10000.']);
    expect(validate({ ...good, batchSize: 2.5 }, 'x')).toEqual(['Batch size: a whole number.']);
    expect(validate({ ...good, units: '256, lots' }, 'x')[0]).toMatch(/Layer sizes/);
    expect(validate(good, 'my model')[0]).toMatch(/Model name/);
    expect(parseUnits('512 256,128')).toEqual([512, 256, 128]);
  });

  it('starts a run with the overrides and follows its job and progress stream into curves', async () => {
    const { fake, train, changed, said, job } = setup();
    await train.start();
    train.modelName = 'jiggy';
    train.form.epochs = 2;
    await train.startTraining();
    const call = fake.calls.find((c) => c.channel === 'startTraining')!.request;
    expect(call).toMatchObject({ corpusId: 'jigs', preset: 'abc-token-lstm', modelId: 'jiggy', overrides: { model: { units: [256, 256] }, training: { epochs: 2 } } });
    job('running');
    expect(train.active).toBe(true);
    expect(said).toEqual(['started']);

    fake.emit('train.started', { runId: 'run1', modelId: 'jiggy', parameters: 12345, batchesPerEpoch: 4, problems: [] });
    for (let step = 1; step <= 8; step++) {
      fake.emit('train.progress', { runId: 'run1', epoch: Math.ceil(step / 4), epochs: 2, batch: ((step - 1) % 4) + 1, batchesPerEpoch: 4, step, totalSteps: 8, loss: 3 - step * 0.2, accuracy: step * 0.05, tokensPerSecond: 500, etaSeconds: 8 - step });
      if (step % 4 === 0) fake.emit('train.epoch', { runId: 'run1', record: { epoch: step / 4, loss: 3 - step * 0.2, accuracy: step * 0.05, val_loss: 3.1 - step * 0.2, val_accuracy: step * 0.04, learning_rate: 0.002, seconds: 1 } });
    }
    fake.emit('train.progress', { runId: 'other', epoch: 1, epochs: 1, batch: 1, batchesPerEpoch: 1, step: 1, totalSteps: 1, loss: 9, accuracy: 0, tokensPerSecond: 1, etaSeconds: 1 });
    expect(train.run!.points).toHaveLength(8);
    expect(train.run!.points[0].x).toBeCloseTo(0.25);
    expect(train.run!.points[7]).toMatchObject({ x: 2, accuracy: 0.4 });
    expect(train.run!.history.map((h) => h.epoch)).toEqual([1, 2]);
    expect(train.progress).toBe(1);
    expect(train.run!.parameters).toBe(12345);
    expect(train.statusLine).toBe('Training jiggy: epoch 2 of 2');
    expect(train.showsEta).toBe(true);

    // A checkpoint: the job now lists it (each id once, whatever the events say).
    job('running', { checkpoints: [{ id: 'epoch-0002', epoch: 2, step: 8, reasons: ['epoch'] }], resumable: true });
    job('done', { message: 'Training stopped early (validation loss stopped improving) after 2 epochs; best validation loss 1.500.', progress: { epoch: 2, epochs: 2, step: 8, totalSteps: 8 }, checkpoints: [{ id: 'epoch-0002', epoch: 2, step: 8, reasons: ['epoch'] }], resumable: true });
    expect(train.state).toBe('done');
    expect(train.run!.job.message).toMatch(/stopped early.*1\.500/);
    expect(train.run!.job.checkpoints).toHaveLength(1);
    expect(train.active).toBe(false);
    expect(train.showsEta).toBe(false);
    expect(changed()).toBe(1);
    expect(said.at(-1)).toBe('Training jiggy stopped early (validation loss stopped improving) after 2 epochs; best validation loss 1.500.');
    // Late reports of the finished run change nothing.
    fake.emit('train.progress', { runId: 'run1', epoch: 3, epochs: 2, batch: 1, batchesPerEpoch: 4, step: 9, totalSteps: 8, loss: 1, accuracy: 1, tokensPerSecond: 1, etaSeconds: 100 });
    expect(train.run!.points).toHaveLength(8);
    expect(train.run!.job.progress?.epoch).toBe(2);
  });

  it('pauses, resumes and cancels through the job; Cancel -> Resume -> Cancel ends cancelled, resumable', async () => {
    const { fake, train, job } = setup();
    await train.start();
    train.modelName = 'jiggy';
    await train.startTraining();
    job('running');
    expect(train.buttons).toEqual({ start: false, pause: true, resume: false, cancel: true });
    await train.pause();
    expect(fake.calls.some((c) => c.channel === 'pauseRun')).toBe(true);
    job('pausing');
    expect(train.statusLine).toMatch(/pausing after this batch/);
    job('paused');
    expect(train.buttons.resume).toBe(true);
    await train.resume();
    expect(fake.calls.filter((c) => c.channel === 'resumeRun')).toHaveLength(1);
    job('running');
    await train.cancel();
    expect(fake.calls.find((c) => c.channel === 'cancelRun')!.request).toEqual({ runId: 'run1' });
    job('cancelling');
    job('cancelled', { message: 'Training was cancelled after 1 epoch.', resumable: true, progress: { epoch: 1, epochs: 40, step: 4, totalSteps: 160 } });
    expect(train.buttons).toEqual({ start: true, pause: false, resume: true, cancel: false });
    await train.resume();
    // A stopped run resumes as a new run of the same job, up to the epochs it was going for, on its own corpus.
    expect(fake.calls.find((c) => c.channel === 'resumeTraining')!.request).toEqual({ modelId: 'jiggy', epochs: 40 });
    fake.emit('job.state', { id: 'train:jiggy', kind: 'train', state: 'running', runId: 'run2', modelId: 'jiggy', message: null, progress: { epoch: 1, epochs: 40, step: 4, totalSteps: 160 }, checkpoints: [], resumable: true, updatedAt: '' });
    expect(train.state).toBe('running');
    job('failed', { message: 'Training failed: the engine stopped: out of memory.' });
    expect(train.state).toBe('failed');
    expect(train.run!.job.message).toBe('Training failed: the engine stopped: out of memory.');
  });

  it('shows the newest run the studio knows when the window opens (a run on disk after a restart), resumable', async () => {
    const onDisk: JobDto = { id: 'train:reels', kind: 'train', state: 'cancelled', runId: null, modelId: 'reels', message: 'Training was cancelled after 3 epochs.', progress: { epoch: 3, epochs: 30, step: 15, totalSteps: 0 }, checkpoints: [{ id: 'epoch-0003', epoch: 3, step: 15, reasons: ['epoch'] }], resumable: true, history: [{ epoch: 1, loss: 2, accuracy: 0.3, val_loss: null, val_accuracy: null, learning_rate: 0.002, seconds: 1 }], updatedAt: '2026-01-02' };
    const { fake, train } = setup();
    (fake as unknown as { api: { listJobs: unknown } }).api.listJobs = async () => ({ ok: true, value: [onDisk] });
    await train.start();
    expect(train.state).toBe('cancelled');
    expect(train.buttons.resume).toBe(true);
    expect(train.run!.history).toHaveLength(1);
    expect(checkpointLabel(train.run!.job.checkpoints[0])).toBe('epoch 3');
    expect(checkpointLabel({ id: 'step-0000017', epoch: 3, step: 17, reasons: [] })).toBe('epoch 4, step 17');
  });

  it('refuses to start without a corpus or with a bad form', async () => {
    const { train } = setup();
    await train.start();
    train.corpusId = null;
    await train.startTraining();
    expect(train.error).toMatch(/Add a corpus/);
    train.corpusId = 'jigs';
    train.form.learningRate = 5;
    await train.startTraining();
    expect(train.error).toMatch(/Learning rate/);
  });

  it('imports dropped files: non-music files are skipped with a note, a corpus is created if needed', async () => {
    const { fake, train } = setup();
    await train.start();
    train.corpusId = null;
    const file = (name: string, text: string) => ({ name, size: text.length, arrayBuffer: async () => new TextEncoder().encode(text).buffer });
    await train.addFiles([file('a.abc', 'X:1\nK:D\nDEF|'), file('cat.jpg', 'xx')]);
    expect(train.corpusId).toBe('new');
    const upload = fake.calls.find((c) => c.channel === 'addCorpusFiles')!.request;
    expect(upload.files).toEqual([{ name: 'a.abc', base64: btoa('X:1\nK:D\nDEF|') }]);
    expect(train.notice).toMatch(/1 non-music file skipped/);
    await train.addFiles([file('notes.txt', 'hello')]);
    expect(train.error).toMatch(/None of these is an .abc or .mid file/);
  });

  it('overlays another run and exports the CSV log', async () => {
    const { train } = setup();
    await train.start();
    await train.toggleCompare('older');
    expect(train.compared).toHaveLength(1);
    await train.toggleCompare('older');
    expect(train.compared).toHaveLength(0);
    expect(await train.csv('older')).toMatch(/^epoch,loss/);
  });
});
