// Tests of the engine's CLI commands: train, generate, eval, doctor (called with a fake io).
import { describe, it, expect } from 'vitest';
import path from 'node:path';
import { promises as fs, existsSync } from 'node:fs';
import { captureIo } from '../testing/io';
import { command as train } from './train';
import { command as generate } from './generate';
import { command as evaluate } from './eval';
import { command as doctor } from './doctor';
import { command as importModel } from './import';
import { tempDir, writeTinyCorpus } from '../../engine/testing/fixtures';

const tiny = ['--units', '24', '--embedding', '12', '--seq', '24', '--batch', '4', '--lr', '0.01'];

describe('seedsong train / generate / eval', () => {
  it('trains a tiny model on an ABC file, then writes takes as .abc, .mid and a folder, and evaluates', async () => {
    const dir = await tempDir();
    const corpus = await writeTinyCorpus(dir);
    const out = path.join(dir, 'model');
    const io = captureIo({ cwd: dir });
    expect(await train.run(['--preset', 'abc-token-lstm', '--corpus', corpus, '--out', 'model', '--epochs', '2', ...tiny, '--json'], io)).toBe(0);
    const events = io.stdout.map((l) => JSON.parse(l) as { event: string; stopReason?: string });
    expect(events[0].event).toBe('backend');
    expect(events.map((e) => e.event)).toContain('epoch');
    expect(events.at(-1)).toMatchObject({ event: 'done', stopReason: 'completed' });
    for (const f of ['model.json', 'seedsong.json', 'training-log.csv']) expect(existsSync(path.join(out, f)), f).toBe(true);
    expect((await fs.readFile(path.join(out, 'training-log.csv'), 'utf8')).split('\n')[0]).toBe('epoch,loss,accuracy,val_loss,val_accuracy');

    const g = captureIo({ cwd: dir });
    expect(await generate.run(['--model', 'model', '--out', 'takes.abc', '--count', '2', '--length', '60', '--rng-seed', '5', '--json'], g)).toBe(0);
    const abc = await fs.readFile(path.join(dir, 'takes.abc'), 'utf8');
    expect(abc).toMatch(/^X:1\n/);
    expect(abc).toMatch(/\nX:2\n/);
    // The same RNG seed gives the same takes.
    expect(await generate.run(['--model', 'model', '--out', 'again.abc', '--count', '2', '--length', '60', '--rng-seed', '5'], captureIo({ cwd: dir }))).toBe(0);
    expect(await fs.readFile(path.join(dir, 'again.abc'), 'utf8')).toBe(abc);

    expect(await generate.run(['--model', 'model', '--out', 'take.mid', '--length', '60', '--seed-abc', 'X:1\\nM:6/8\\nL:1/8\\nK:D\\nDFA dfa|'], captureIo({ cwd: dir }))).toBe(0);
    const mid = await fs.readFile(path.join(dir, 'take.mid'));
    expect(mid.subarray(0, 4).toString()).toBe('MThd');
    // Its own take is replaced without a question; the user's own file is not, unless --force.
    expect(await generate.run(['--model', 'model', '--out', 'take.mid', '--length', '20'], captureIo({ cwd: dir }))).toBe(0);
    await fs.writeFile(path.join(dir, 'song.mid'), 'my own recording');
    await expect(generate.run(['--model', 'model', '--out', 'song.mid', '--length', '20'], captureIo({ cwd: dir }))).rejects.toThrow(/song\.mid exists and was not written by Seedsong.*--force/);
    expect(await fs.readFile(path.join(dir, 'song.mid'), 'utf8')).toBe('my own recording');
    expect(await generate.run(['--model', 'model', '--out', 'song.mid', '--length', '20', '--force'], captureIo({ cwd: dir }))).toBe(0);
    expect(await generate.run(['--model', 'model', '--out', 'free.abc', '--length', '20', '--no-grammar'], captureIo({ cwd: dir }))).toBe(0);
    expect(await generate.run(['--model', 'model', '--out', 'folder', '--count', '2', '--length', '30'], captureIo({ cwd: dir }))).toBe(0);
    expect((await fs.readdir(path.join(dir, 'folder'))).sort()).toEqual(['take-1.abc', 'take-1.mid', 'take-2.abc', 'take-2.mid']);

    // A header constraint, and sampling from a checkpoint.
    expect(await generate.run(['--model', 'model', '--out', 'jig.abc', '--length', '40', '--meter', '6/8', '--key', 'D'], captureIo({ cwd: dir }))).toBe(0);
    expect(await fs.readFile(path.join(dir, 'jig.abc'), 'utf8')).toMatch(/M:6\/8\n(.*\n)*K:D/);
    await expect(generate.run(['--model', 'model', '--out', 'x.abc', '--key', 'Q'], captureIo({ cwd: dir }))).rejects.toThrow(/"Q" is not a key \(expected a tonic/);
    await expect(generate.run(['--model', 'model', '--out', 'x.abc', '--key', 'Eb'], captureIo({ cwd: dir }))).rejects.toThrow(/"K:Ebmaj" is not in this model's vocabulary; it knows K:Amaj, K:Dmaj, K:Gmaj/);
    expect(await generate.run(['--model', 'model', '--out', 'ck.abc', '--length', '20', '--checkpoint', 'epoch-0001'], captureIo({ cwd: dir }))).toBe(0);
    await expect(generate.run(['--model', 'model', '--out', 'x.abc', '--checkpoint', 'nope'], captureIo({ cwd: dir }))).rejects.toThrow(/no checkpoint "nope"/);

    // Resume from a named checkpoint: continues to the new total of epochs.
    const resumed = captureIo({ cwd: dir });
    expect(await train.run(['--resume', '--checkpoint', 'epoch-0001', '--out', 'model', '--epochs', '3', '--json'], resumed)).toBe(0);
    expect(JSON.parse(resumed.stdout.at(-1)!)).toMatchObject({ event: 'done', epochs: 3 });
    await expect(train.run(['--resume', '--checkpoint', 'nope', '--out', 'model'], captureIo({ cwd: dir }))).rejects.toThrow(/no checkpoint "nope"/);

    // A run stopped early by patience goes on when more epochs are asked for.
    const early = captureIo({ cwd: dir });
    expect(await train.run(['--preset', 'abc-token-lstm', '--corpus', corpus, '--out', 'early', '--epochs', '40', '--patience', '1', ...tiny, '--lr', '0.5', '--json'], early)).toBe(0);
    const stopped = JSON.parse(early.stdout.at(-1)!) as { stopReason: string; epochs: number };
    if (stopped.stopReason === 'early-stopping') {
      const more = captureIo({ cwd: dir });
      expect(await train.run(['--resume', '--out', 'early', '--epochs', String(stopped.epochs + 1), '--json'], more)).toBe(0);
      expect(JSON.parse(more.stdout.at(-1)!).epochs).toBe(stopped.epochs + 1);
    } else console.log(`early stopping did not trigger in 40 epochs (${stopped.stopReason}); the resume-after-early-stop check did not run`);

    const e = captureIo({ cwd: dir });
    expect(await evaluate.run(['--model', 'model', '--corpus', corpus, '--json'], e)).toBe(0);
    const r = JSON.parse(e.stdout[0]) as { crossEntropyPerToken: number; tunes: number; crossEntropyPerNote: number; coverage: { tunesScored: number; unknownTokens: number } };
    expect(r.tunes).toBe(4);
    expect(r.coverage.tunesScored).toBe(4);
    expect(r.coverage.unknownTokens).toBe(0);
    // Text: the figures with the coverage beside them.
    const t = captureIo({ cwd: dir });
    expect(await evaluate.run(['--model', 'model', '--corpus', corpus], t)).toBe(0);
    expect(t.stdout.join('\n')).toMatch(/coverage: 4 of 4 tunes scored \(0 unreadable\)/);
    expect(r.crossEntropyPerToken).toBeGreaterThan(0);
    expect(r.crossEntropyPerNote).toBeGreaterThan(0);

    // Import: a converted-model folder without a vocabulary is refused in words; with one it becomes a model.
    await fs.mkdir(path.join(dir, 'keras'));
    for (const f of await fs.readdir(out)) if (/\.(json|bin)$/.test(f) && f !== 'seedsong.json') await fs.copyFile(path.join(out, f), path.join(dir, 'keras', f));
    await expect(importModel.run(['keras', '--out', 'imported'], captureIo({ cwd: dir }))).rejects.toThrow(/no vocabulary/);
    expect(existsSync(path.join(dir, 'imported'))).toBe(false);
    const spec = JSON.parse(await fs.readFile(path.join(out, 'seedsong.json'), 'utf8')).encoding;
    await fs.writeFile(path.join(dir, 'vocab.json'), JSON.stringify(spec));
    const imp = captureIo({ cwd: dir });
    expect(await importModel.run(['keras', '--out', 'imported', '--vocab', 'vocab.json', '--name', 'From Keras'], imp)).toBe(0);
    expect(imp.stdout[0]).toMatch(/imported: imported "From Keras" \(abc-token/);
    expect(await generate.run(['--model', 'imported', '--out', 'from-keras.abc', '--length', '20'], captureIo({ cwd: dir }))).toBe(0);
    await expect(importModel.run(['keras', '--out', 'imported'], captureIo({ cwd: dir }))).rejects.toThrow(/already exists/);
    await expect(importModel.run(['keras'], captureIo({ cwd: dir }))).rejects.toThrow(/--out DIR is required/);
  }, 90_000);

  it('lists presets', async () => {
    const io = captureIo();
    expect(await train.run(['--list-presets'], io)).toBe(0);
    const text = io.stdout.join('\n');
    for (const name of ['mit-char-abc', 'keras-stateful', 'melody-rnn', 'midi-event-lm', 'abc-token-lstm', 'abc-token-gpt']) expect(text).toContain(name);
  });

  it('bad input: clear errors, and no model folder left behind', async () => {
    const dir = await tempDir();
    const corpus = await writeTinyCorpus(dir);
    const run = (args: string[]) => train.run(args, captureIo({ cwd: dir }));
    await expect(run(['--preset', 'nope', '--corpus', corpus, '--out', 'a'])).rejects.toThrow(/unknown preset "nope"/);
    await expect(run(['--preset', 'abc-token-lstm', '--corpus', corpus, '--out', 'a', '--units', '0'])).rejects.toThrow(/at least 1 unit/);
    await expect(run(['--preset', 'abc-token-lstm', '--corpus', corpus, '--out', 'a', ...tiny, '--seq', '5000'])).rejects.toThrow(/longer than every tune/);
    await expect(run(['--preset', 'abc-token-lstm', '--corpus', corpus, '--out', 'a', ...tiny, '--batch', '3000'])).rejects.toThrow(/larger than the data/);
    const empty = path.join(dir, 'empty');
    await fs.mkdir(empty);
    await expect(run(['--preset', 'abc-token-lstm', '--corpus', empty, '--out', 'a'])).rejects.toThrow(/empty/);
    const junk = path.join(dir, 'junk.abc');
    await fs.writeFile(junk, 'this is not music\n');
    await expect(run(['--preset', 'abc-token-lstm', '--corpus', junk, '--out', 'a'])).rejects.toThrow(/empty|no tune/);
    await expect(run(['--preset', 'abc-token-lstm', '--corpus', corpus, '--out', 'a', '--steps', 'x'])).rejects.toThrow(/--steps expects a number/);
    expect(existsSync(path.join(dir, 'a'))).toBe(false);
  });

  it('a model folder with a missing or corrupt weights file is a clear error', async () => {
    const dir = await tempDir();
    const corpus = await writeTinyCorpus(dir);
    expect(await train.run(['--preset', 'abc-token-lstm', '--corpus', corpus, '--out', 'm', ...tiny, '--steps', '2'], captureIo({ cwd: dir }))).toBe(0);
    const m = path.join(dir, 'm');
    const weights = (await fs.readdir(m)).find((f) => f.endsWith('.bin'))!;
    const gen = () => generate.run(['--model', 'm', '--out', 't.abc', '--length', '5'], captureIo({ cwd: dir }));
    const bytes = await fs.readFile(path.join(m, weights));
    await fs.writeFile(path.join(m, weights), bytes.subarray(0, 100));
    await expect(gen()).rejects.toThrow(/corrupt or truncated/);
    await fs.rm(path.join(m, weights));
    await expect(gen()).rejects.toThrow(/weights file is missing/);
    await expect(generate.run(['--model', 'nowhere', '--out', 't.abc'], captureIo({ cwd: dir }))).rejects.toThrow(/no such file/);
  }, 30_000);

  it('doctor reports the active backend and why the others are not used', async () => {
    const io = captureIo();
    expect(await doctor.run(['--json'], io)).toBe(0);
    const r = JSON.parse(io.stdout[0]) as { active: string; candidates: { name: string; reason: string }[] };
    expect(['wasm', 'cpu']).toContain(r.active);
    expect(r.candidates.find((c) => c.name === 'tensorflow')!.reason).toMatch(/not installed|failed/);
  });
});
