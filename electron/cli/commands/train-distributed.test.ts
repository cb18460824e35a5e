// `seedsong train --distributed torchrun`: flags, the job folder and printed command, and (where a
// Python with PyTorch exists) a real 2-process run whose model `generate`, `eval` and `import` use.
import { describe, it, expect } from 'vitest';
import path from 'node:path';
import { promises as fs, existsSync } from 'node:fs';
import { captureIo } from '../testing/io';
import { command as train } from './train';
import { command as generate } from './generate';
import { command as evaluate } from './eval';
import { command as importModel } from './import';
import { tempDir, writeTinyCorpus } from '../../engine/testing/fixtures';
import { probeTorch } from '../../../engine-torch/launch';

const tiny = ['--units', '24', '--embedding', '12', '--seq', '24', '--batch', '4', '--lr', '0.01'];
const probe = await probeTorch();
if (!probe.ok) console.log(`train --distributed: the torchrun run is skipped: ${probe.reason}`);

describe('seedsong train --distributed torchrun', () => {
  it('refuses flags that do not fit, before any work', async () => {
    const dir = await tempDir();
    const corpus = await writeTinyCorpus(dir);
    const run = (args: string[]) => train.run(['--preset', 'abc-token-lstm', '--corpus', corpus, '--out', 'm', ...args], captureIo({ cwd: dir }));
    await expect(run(['--nproc-per-node', '2'])).rejects.toThrow(/--nproc-per-node goes with --distributed torchrun/);
    await expect(run(['--distributed', 'slurm'])).rejects.toThrow(/--distributed must be torchrun/);
    await expect(run(['--distributed', 'torchrun', '--nproc-per-node', '0'])).rejects.toThrow(/--nproc-per-node must be at least 1/);
    await expect(run(['--distributed', 'torchrun', '--device', 'tpu'])).rejects.toThrow(/--device must be cpu or cuda/);
    await expect(run(['--distributed', 'torchrun', '--nnodes', '2'])).rejects.toThrow(/--nnodes N --node-rank R --master-addr A --master-port P together/);
    await expect(run(['--distributed', 'torchrun', '--nnodes', '2', '--node-rank', '2', '--master-addr', 'h', '--master-port', '1234'])).rejects.toThrow(/--node-rank 2 is not below --nnodes 2/);
    await expect(run(['--distributed', 'torchrun', '--prepare-only', '--architecture', 'gru'])).rejects.toThrow(/GRU models cannot be trained with torchrun/);
    await expect(run(['--distributed', 'torchrun', '--prepare-only', '--recurrent-dropout', '0.1'])).rejects.toThrow(/recurrent dropout \(0.1\) cannot be trained with torchrun/);
    expect(existsSync(path.join(dir, 'm'))).toBe(false);
  });

  it('--prepare-only writes the job folder and prints the commands for a cluster, without PyTorch', async () => {
    const dir = await tempDir();
    const corpus = await writeTinyCorpus(dir);
    const io = captureIo({ cwd: dir });
    const args = ['--preset', 'abc-token-lstm', '--corpus', corpus, '--out', 'm', ...tiny, '--distributed', 'torchrun', '--prepare-only', '--python', '/nonexistent/python3'];
    expect(await train.run([...args, '--nnodes', '2', '--node-rank', '0', '--master-addr', 'node1', '--master-port', '29400', '--nproc-per-node', '4', '--device', 'cuda', '--json'], io)).toBe(0);
    const job = JSON.parse(io.stdout[0]) as { event: string; jobDir: string; command: string; local: string };
    expect(job.event).toBe('job');
    expect(job.jobDir).toBe(path.join(dir, 'm', 'torch-job'));
    expect(job.command).toBe(`torchrun --nnodes 2 --node_rank 0 --master_addr node1 --master_port 29400 --nproc_per_node 4 ${job.jobDir}/train.py --device cuda`);
    expect(job.local).toBe(`/nonexistent/python3 ${job.jobDir}/torchrun.py --nnodes 2 --node_rank 0 --master_addr node1 --master_port 29400 --nproc_per_node 4 ${job.jobDir}/train.py --device cuda`);
    expect((await fs.readdir(job.jobDir)).sort()).toEqual(['initial', 'job.json', 'seedsong_torch', 'torchrun.py', 'train.ids', 'train.py', 'validation.ids']);
    // The model folder is not a model yet: the library does not list it.
    expect(existsSync(path.join(dir, 'm', 'seedsong.json'))).toBe(false);
  });

  it.skipIf(!probe.ok)('trains on 2 processes (gloo), shows progress like a local run, and the model is a Seedsong model', async () => {
    const dir = await tempDir();
    const corpus = await writeTinyCorpus(dir);
    const io = captureIo({ cwd: dir });
    expect(await train.run(['--preset', 'abc-token-lstm', '--corpus', corpus, '--out', 'm', ...tiny, '--epochs', '3', '--distributed', 'torchrun', '--nproc-per-node', '2', '--device', 'cpu'], io), io.stderr.join('\n')).toBe(0);
    const text = io.stdout.join('\n');
    expect(text).toMatch(/^job: .*torch-job$/m);
    expect(text).toMatch(/^command: torchrun --standalone --nnodes 1 --nproc_per_node 2 .*train\.py --device cpu$/m);
    expect(text).toMatch(/training abc-token-lstm with torchrun \(2 processes, cpu, gloo, torch .*\): 4,662 parameters, 1 batches per epoch/);
    expect(text).toMatch(/epoch 3\/3 \[#+\] 100% batch 1\/1 loss \d\.\d{4} acc \d\.\d{3} [\d,]+ tok\/s ETA \d+s \([\d,]+ per process\)/);
    expect(text).toMatch(/^epoch 3: loss \d\.\d{4} acc \d\.\d{3} val_loss \d\.\d{4}/m);
    expect(text).toMatch(/^completed: 3 epoch\(s\), 3 batches, best val_loss \d\.\d{4} in \d+s on 2 processes/m);
    const meta = JSON.parse(await fs.readFile(path.join(dir, 'm', 'seedsong.json'), 'utf8'));
    expect(meta.trainedWith).toMatchObject({ engine: 'pytorch', worldSize: 2, device: 'cpu', backend: 'gloo' });
    expect(meta.trainedWith.wallSeconds).toBeGreaterThan(0);

    // eval, generate (also from a checkpoint) and import treat it as any model.
    const e = captureIo({ cwd: dir });
    expect(await evaluate.run(['--model', 'm', '--corpus', corpus, '--json'], e)).toBe(0);
    expect(JSON.parse(e.stdout[0]).crossEntropyPerToken).toBeGreaterThan(0);
    expect(await generate.run(['--model', 'm', '--out', 'take.abc', '--length', '40', '--rng-seed', '3'], captureIo({ cwd: dir }))).toBe(0);
    expect(await fs.readFile(path.join(dir, 'take.abc'), 'utf8')).toMatch(/^X:1\n/);
    expect(await generate.run(['--model', 'm', '--checkpoint', 'epoch-0001', '--out', 'early.abc', '--length', '20'], captureIo({ cwd: dir }))).toBe(0);
    expect(await importModel.run(['m', '--out', 'imported'], captureIo({ cwd: dir }))).toBe(0);
    const imported = JSON.parse(await fs.readFile(path.join(dir, 'imported', 'seedsong.json'), 'utf8'));
    expect(imported.history).toHaveLength(3);
    expect(imported.trainedWith.worldSize).toBe(2);

    // Resumed on this machine's engine: the checkpoints are the engine's own format.
    const local = captureIo({ cwd: dir });
    expect(await train.run(['--resume', '--out', 'm', '--epochs', '4', '--json'], local)).toBe(0);
    expect(JSON.parse(local.stdout.at(-1)!)).toMatchObject({ event: 'done', epochs: 4 });
  }, 180_000);
});
