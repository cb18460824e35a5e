// The job folder Seedsong writes for the PyTorch trainer, and the launcher's pure parts (command
// lines, progress lines, looking for PyTorch). None of this needs Python.
import { describe, it, expect, beforeAll } from 'vitest';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '../electron/engine/backend';
import { buildModel, countParameters } from '../electron/engine/model';
import { listCheckpoints, readModelFiles } from '../electron/engine/library';
import { encodeCorpus, loadTunes } from '../electron/engine/corpus';
import { runTraining } from '../electron/engine/jobs';
import type { ModelSpec } from '../electron/engine/hyperparameters';
import { tempDir, writeTinyCorpus, TINY } from '../electron/engine/testing/fixtures';
import { parameterCount, readJob, writeTorchJob, JOB_DIR } from './job';
import { parseTrainerLine, probeTorch, torchrunArgv, torchrunCommand } from './launch';
import { writeFixtureJob } from './testing/fixtures';

const HERE = path.dirname(fileURLToPath(import.meta.url));

beforeAll(async () => {
  await initBackend();
});

describe('the job folder', () => {
  it("holds the corpus as the encoding's token ids, the preset, and the engine's initial weights", async () => {
    const dir = await tempDir();
    const corpus = await writeTinyCorpus(dir);
    const out = path.join(dir, 'model');
    const job = await writeTorchJob({ preset: 'abc-token-lstm', overrides: { ...TINY, model: { ...TINY.model, units: [24, 16] } }, corpus: [corpus], out });
    expect(job).toMatchObject({ out, jobDir: path.join(out, JOB_DIR), preset: 'abc-token-lstm', written: true, problems: [] });
    const doc = await readJob(job.jobDir);
    expect(doc).toMatchObject({ format: 'seedsong-torch-job', version: 1, name: 'model', preset: 'abc-token-lstm', initial: 'initial/model.json', out: '..', split: { validationFraction: 0.1, seed: 1 } });
    expect(doc.model).toMatchObject({ architecture: 'lstm', units: [24, 16], embeddingSize: 12 });
    expect(doc.training).toMatchObject({ seqLength: 24, batchSize: 4, learningRate: 0.01, lrDecay: 0.97, clipNorm: 5 });

    // The ids are exactly what the engine's encoder gives (the trainer reads no music).
    const encoded = encodeCorpus(await loadTunes([corpus], { seed: 1 }), [corpus], { encoding: 'abc-token' });
    expect(doc.encoding).toEqual(encoded.encoding.toSpec());
    expect(doc.model.vocabSize).toBe(encoded.encoding.tokens.length);
    const read = async (f: string) => Array.from(new Int32Array(new Uint8Array(await fs.readFile(path.join(job.jobDir, f))).buffer));
    expect(await read('train.ids')).toEqual(encoded.data.train.flat());
    expect(await read('validation.ids')).toEqual(encoded.data.validation.flat());
    expect(doc.data.train).toEqual({ file: 'train.ids', tokens: encoded.summary.trainTokens, tunes: encoded.summary.trainTunes, dtype: 'int32-le' });
    expect(doc.corpus).toEqual(encoded.summary);

    // The initial weights are buildModel's for the preset and seed.
    const initial = await readModelFiles(path.join(job.jobDir, 'initial'));
    const built = buildModel(doc.model, 1);
    const a = initial.getWeights();
    const b = built.getWeights();
    expect(a.map((w) => w.shape)).toEqual(b.map((w) => w.shape));
    for (let i = 0; i < a.length; i++) expect(Array.from(await a[i].data())).toEqual(Array.from(await b[i].data()));
    expect(job.parameters).toBe(countParameters(built));
    initial.dispose();
    built.dispose();

    // The trainer travels with the job; the model folder is not a model until the first checkpoint.
    expect((await fs.readdir(path.join(job.jobDir, 'seedsong_torch'))).filter((f) => f.endsWith('.py')).sort()).toEqual((await fs.readdir(path.join(HERE, 'seedsong_torch'))).filter((f) => f.endsWith('.py')).sort());
    expect(await fs.readdir(out)).toEqual([JOB_DIR]);

    // Resuming keeps the job.
    const again = await writeTorchJob({ out, resume: true });
    expect(again).toMatchObject({ written: false, parameters: job.parameters, batchesPerEpoch: job.batchesPerEpoch });
    expect((await readJob(job.jobDir)).createdAt).toBe(doc.createdAt);
  });

  it('refuses what the trainer cannot reproduce, and an existing folder, before writing anything', async () => {
    const dir = await tempDir();
    const corpus = await writeTinyCorpus(dir);
    const out = path.join(dir, 'm');
    await expect(writeTorchJob({ preset: 'abc-token-lstm', overrides: { ...TINY, model: { ...TINY.model, architecture: 'gru' } }, corpus: [corpus], out })).rejects.toMatchObject({ code: 'invalid_request', message: expect.stringMatching(/GRU models cannot be trained with torchrun/) });
    await expect(writeTorchJob({ preset: 'abc-token-lstm', overrides: { ...TINY, model: { ...TINY.model, recurrentDropout: 0.2 } }, corpus: [corpus], out })).rejects.toMatchObject({ message: expect.stringMatching(/recurrent dropout/) });
    await expect(writeTorchJob({ preset: 'abc-token-lstm', overrides: { ...TINY, training: { ...TINY.training, seqLength: 5000 } }, corpus: [corpus], out })).rejects.toMatchObject({ message: expect.stringMatching(/longer than every tune/) });
    await expect(fs.access(out)).rejects.toThrow();
    await fs.mkdir(out);
    await fs.writeFile(path.join(out, 'mine.txt'), 'keep');
    await expect(writeTorchJob({ preset: 'abc-token-lstm', overrides: TINY, corpus: [corpus], out })).rejects.toMatchObject({ code: 'busy' });
    expect(await fs.readdir(out)).toEqual(['mine.txt']);
    await expect(writeTorchJob({ out: path.join(dir, 'none'), resume: true })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('continues a model trained on this machine: a job from its seedsong.json and newest checkpoint, kept unless a corpus is given', async () => {
    const dir = await tempDir();
    const corpus = await writeTinyCorpus(dir);
    const out = path.join(dir, 'local');
    await runTraining({ preset: 'abc-token-lstm', overrides: TINY, corpus: [corpus], out, maxSteps: 1 });
    const first = await writeTorchJob({ out, resume: true });
    expect(first).toMatchObject({ written: true, name: 'local', preset: 'abc-token-lstm' });
    const doc = await readJob(first.jobDir);
    expect(doc.corpus?.paths).toEqual([corpus]);
    // Its topology and weights are the newest checkpoint's (the trainer resumes from that checkpoint anyway).
    expect(await fs.readFile(path.join(first.jobDir, 'initial', 'weights.bin'))).toEqual(await fs.readFile(path.join((await listCheckpoints(out)).at(-1)!.dir, 'weights.bin')));
    expect(await writeTorchJob({ out, resume: true })).toMatchObject({ written: false });
    const other = path.join(dir, 'other.abc');
    await fs.copyFile(corpus, other);
    const again = await writeTorchJob({ out, resume: true, corpus: [other] });
    expect(again.written).toBe(true);
    expect((await readJob(again.jobDir)).corpus?.paths).toEqual([other]);
  });

  it('counts parameters as the engine does without building the model', () => {
    const specs: ModelSpec[] = [
      { architecture: 'lstm', vocabSize: 37, embeddingSize: 12, units: [24, 16, 8], dropout: 0, recurrentDropout: 0, layers: 3, heads: 0, contextLength: 0 },
      { architecture: 'gru', vocabSize: 37, embeddingSize: 12, units: [24], dropout: 0, recurrentDropout: 0, layers: 1, heads: 0, contextLength: 0 },
      { architecture: 'gpt', vocabSize: 37, embeddingSize: 16, units: [], dropout: 0, recurrentDropout: 0, layers: 3, heads: 4, contextLength: 40 },
    ];
    for (const spec of specs) {
      const m = buildModel(spec, 1);
      expect(parameterCount(spec), spec.architecture).toBe(countParameters(m));
      m.dispose();
    }
  });

  it('the fixture jobs of the Python tests are what this Seedsong writes (else: npx tsx engine-torch/testing/make-fixtures.ts)', async () => {
    const dir = await tempDir();
    for (const kind of ['lstm', 'gpt'] as const) {
      await writeFixtureJob(kind, path.join(dir, kind));
      const file = (where: string, f: string) => fs.readFile(path.join(where, f));
      const committedDir = path.join(HERE, 'tests', 'fixtures', kind);
      for (const f of ['job.json', 'train.ids', 'validation.ids', 'initial/weights.bin']) {
        expect((await file(path.join(dir, kind), f)).equals(await file(committedDir, f)), `${kind}/${f}`).toBe(true);
      }
      // The topology's automatic layer names (dropout_Dropout3) count layers built in the process; the weights' names do not.
      const manifest = async (where: string) => JSON.parse(String(await file(where, 'initial/model.json'))).weightsManifest;
      expect(await manifest(path.join(dir, kind))).toEqual(await manifest(committedDir));
    }
  });
});

describe('launching torchrun', () => {
  const base = { python: '/usr/bin/python3', launcher: '/j/torchrun.py', entry: '/j/train.py', nprocPerNode: 2 };

  it('builds the command for one machine and for several', () => {
    expect(torchrunArgv(base)).toEqual(['/j/torchrun.py', '--standalone', '--nnodes', '1', '--nproc_per_node', '2', '/j/train.py']);
    expect(torchrunArgv({ ...base, launcher: undefined, device: 'cpu', epochs: 9, steps: 3, checkpoint: 'epoch-0002', progressInterval: 0 })).toEqual([
      '-m', 'torch.distributed.run', '--standalone', '--nnodes', '1', '--nproc_per_node', '2', '/j/train.py', '--device', 'cpu', '--epochs', '9', '--steps', '3', '--checkpoint', 'epoch-0002', '--progress-interval', '0',
    ]);
    const multi = { ...base, nnodes: 4, nodeRank: 1, masterAddr: 'gpu01', masterPort: 29400, device: 'cuda' as const };
    expect(torchrunCommand(multi)).toBe('torchrun --nnodes 4 --node_rank 1 --master_addr gpu01 --master_port 29400 --nproc_per_node 2 /j/train.py --device cuda');
    expect(torchrunCommand({ ...base, entry: "/my models/it's/train.py" }, true)).toBe(`/usr/bin/python3 /j/torchrun.py --standalone --nnodes 1 --nproc_per_node 2 '/my models/it'\\''s/train.py'`);
  });

  it("reads the trainer's progress lines and nothing else", () => {
    expect(parseTrainerLine('{"event": "checkpoint", "id": "epoch-0001", "epoch": 1, "step": 10, "reasons": ["best"]}')).toEqual({ event: 'checkpoint', id: 'epoch-0001', epoch: 1, step: 10, reasons: ['best'] });
    expect(parseTrainerLine('{"event": "error", "code": "bad_input", "message": "x"}')).toMatchObject({ event: 'error', code: 'bad_input' });
    expect(parseTrainerLine('WARNING:torch.distributed.run:')).toBeNull();
    expect(parseTrainerLine('{"event": "progress", "loss": "high"}')).toBeNull();
    expect(parseTrainerLine('{"event": "checkpoint", "id": 3')).toBeNull();
    expect(parseTrainerLine('{"event": "party"}')).toBeNull();
  });

  it('says what is missing when no Python has PyTorch', async () => {
    const r = await probeTorch({ python: path.join(HERE, 'no-such-python') });
    expect(r).toMatchObject({ ok: false, reason: expect.stringMatching(/no-such-python: no such program/), install: expect.stringMatching(/python3-torch libopenblas0-pthread/) });
  });
});

describe('what torchrun cannot reproduce', () => {
  it('refuses stateful training and Dropout after each LSTM (keras-stateful) before any work, in words', async () => {
    const { checkDistributable } = await import('./job');
    const { findPreset } = await import('../electron/engine/hyperparameters');
    const p = findPreset('keras-stateful');
    expect(() => checkDistributable(p.model, p.training)).toThrow(/stateful training .* is not implemented by the torchrun trainer/);
    expect(() => checkDistributable(p.model, { ...p.training, stateful: false })).toThrow(/dropout after each LSTM/);
    const lstm = findPreset('abc-token-lstm');
    expect(() => checkDistributable(lstm.model, lstm.training)).not.toThrow();
  });
});
