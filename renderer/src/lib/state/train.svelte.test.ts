import { describe, expect, it } from 'vitest';
import { fakeStudio } from '../testing/fake-api';
import { TrainState, parseUnits, validate } from './train.svelte';

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
    trainingLog: (r) => ({ history: [{ epoch: 1, loss: 2, accuracy: 0.3, val_loss: 2.2, val_accuracy: 0.28, learning_rate: 0.002, seconds: 3 }], csv: `epoch,loss\n1,2\n# ${r.modelId}` }),
  });
  let modelsChanged = 0;
  const train = new TrainState(fake.api, () => modelsChanged++);
  return { fake, train, changed: () => modelsChanged };
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

  it('starts a run with the overrides and follows its progress stream into curves', async () => {
    const { fake, train, changed } = setup();
    await train.start();
    train.modelName = 'jiggy';
    train.form.epochs = 2;
    await train.startTraining();
    const call = fake.calls.find((c) => c.channel === 'startTraining')!.request;
    expect(call).toMatchObject({ corpusId: 'jigs', preset: 'abc-token-lstm', modelId: 'jiggy', overrides: { model: { units: [256, 256] }, training: { epochs: 2 } } });
    expect(train.active).toBe(true);

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

    fake.emit('train.checkpoint', { runId: 'run1', id: 'epoch-2', epoch: 2, reasons: ['best validation loss'] });
    fake.emit('train.done', { runId: 'run1', modelId: 'jiggy', stopReason: 'early-stopping', epochs: 2, bestValidationLoss: 1.5 });
    expect(train.run!.status).toBe('done');
    expect(train.run!.message).toMatch(/stopped early.*1\.500/);
    expect(train.run!.checkpoints).toHaveLength(1);
    expect(train.active).toBe(false);
    expect(changed()).toBe(1);
  });

  it('pauses, resumes and cancels; a failure is a readable message', async () => {
    const { fake, train } = setup();
    await train.start();
    await train.startTraining();
    await train.pause();
    fake.emit('train.paused', { runId: 'run1', paused: true });
    expect(train.run!.status).toBe('paused');
    await train.resume();
    expect(fake.calls.some((c) => c.channel === 'resumeRun')).toBe(true);
    fake.emit('train.paused', { runId: 'run1', paused: false });
    expect(train.run!.status).toBe('running');
    await train.cancel();
    fake.emit('run.failed', { runId: 'run1', error: { code: 'engine_failed', message: 'the engine stopped: out of memory' } });
    expect(train.run!.status).toBe('failed');
    expect(train.run!.message).toBe('the engine stopped: out of memory');
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
