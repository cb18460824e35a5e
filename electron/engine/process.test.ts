import { describe, it, expect, afterAll } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { EngineClient, forkEngine } from '../studio/engine-client';
import { listCheckpoints, loadCheckpoint, loadModel } from './library';
import { initBackend } from './backend';
import { tempDir, writeTinyCorpus, TINY } from './testing/fixtures';
import type { EngineStatus } from '../studio/engine-client';
import { ModelLibrary } from './library';
import { createStudioEngine } from '../studio/engine';
import { runTraining } from './jobs';

const entry = path.join(path.dirname(fileURLToPath(import.meta.url)), 'process.ts');
// One engine process serves every test here (starting one costs seconds); the kill test restarts it.
const client = new EngineClient({ spawn: forkEngine(entry, { stdio: 'pipe' }) });
afterAll(async () => {
  await client.dispose();
});

describe('engine process', () => {
  it('trains and generates in a child process, streaming progress, tokens and notes', async () => {
    const dir = await tempDir();
    const corpus = await writeTinyCorpus(dir);
    const backend = await client.start();
    expect(['wasm', 'cpu']).toContain(backend.active);
    const progress: number[] = [];
    const run = await client.train({ preset: 'abc-token-lstm', corpus: [corpus], out: path.join(dir, 'm'), overrides: TINY }, { onProgress: (p) => progress.push(p.step) });
    const summary = await run.result;
    expect(summary.stopReason).toBe('completed');
    expect(summary.epochs).toBe(2);
    expect(progress.length).toBeGreaterThan(0);
    const tokens: number[] = [];
    const notes: number[] = [];
    const takes = await client.generate({ model: path.join(dir, 'm'), count: 2, length: 40, rngSeed: 3 }, { onToken: (v) => v === 0 && tokens.push(v), onNote: (v) => v === 0 && notes.push(v) });
    expect(takes).toHaveLength(2);
    expect(takes[0].abc).toMatch(/^X:/);
    expect(tokens.length).toBe(takes[0].tokens.length - takes[0].primeLength - (takes[0].stop === 'eos' ? 1 : 0));
    expect(notes.length).toBe(takes[0].sequence.notes.length);
  }, 60_000);

  it("reports the engine process's own memory on request", async () => {
    await client.start();
    const m = await client.memory();
    expect(m.pid).toBe(client.status().pid);
    expect(m.pid).not.toBe(process.pid);
    expect(m.tensors).toBeGreaterThanOrEqual(0);
    expect(m.tensorBytes).toBeGreaterThanOrEqual(0);
    expect(m.rss).toBeGreaterThan(0);
    expect(m.heapUsed).toBeGreaterThan(0);
    expect(['wasm', 'cpu']).toContain(m.backend);
  });

  it('a killed engine fails the run, restarts, and leaves a loadable, resumable checkpoint', async () => {
    const dir = await tempDir();
    const corpus = await writeTinyCorpus(dir);
    const out = path.join(dir, 'm');
    await client.start();
    const restartsBefore = client.status().restarts;
    const states: EngineStatus['state'][] = [];
    client.onStatus((s) => states.push(s.state));
    let killed = false;
    const run = await client.train(
      { preset: 'abc-token-lstm', corpus: [corpus], out, overrides: { ...TINY, training: { ...TINY.training, epochs: 1000, checkpointEverySteps: 2 } } },
      {
        onCheckpoint: () => {
          if (!killed) {
            killed = true;
            client.kill();
          }
        },
      },
    );
    await expect(run.result).rejects.toMatchObject({ code: 'engine_failed' });
    await client.start();
    expect(states).toContain('starting');
    expect(client.status().state).toBe('ready');
    expect(client.status().restarts).toBe(restartsBefore + 1);

    await initBackend();
    const cks = await listCheckpoints(out);
    expect(cks.length).toBeGreaterThan(0);
    const ck = await loadCheckpoint(cks[cks.length - 1].dir);
    expect(ck.state.step).toBeGreaterThanOrEqual(1);
    ck.model.dispose();
    (await loadModel(out)).model.dispose();

    const resumed = await client.train({ out, resume: true, epochs: ck.state.epoch + 2 }, {});
    const summary = await resumed.result;
    expect(summary.epochs).toBe(ck.state.epoch + 2);
    expect(summary.steps).toBeGreaterThan(ck.state.step);
  }, 60_000);

  it('serves the studio: backend status, model list, generate with streamed notes', async () => {
    const root = await tempDir();
    const corpus = await writeTinyCorpus(root);
    await initBackend();
    await runTraining({ preset: 'abc-token-lstm', corpus: [corpus], out: path.join(root, 'models', 'tiny'), overrides: TINY });
    const library = new ModelLibrary(path.join(root, 'models'));
    const engine = createStudioEngine({ client, library, builtInDir: path.join(root, 'no-built-in-models') });
    await client.start();
    expect(engine.status()).toMatchObject({ status: 'ready' });
    expect(engine.status().candidates.map((c) => c.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu']);
    expect((await engine.list()).map((m) => [m.id, m.encoding])).toEqual([['tiny', 'abc-token']]);
    const streamed = [0, 0];
    const takes = await engine.generate(
      { modelId: 'tiny', seed: { kind: 'abc', text: 'X:1\nM:6/8\nL:1/8\nK:D\nDFA dfa|' }, sampling: { temperature: 1, topK: 0, topP: 1, length: 60, count: 2, rngSeed: 9 } },
      (v) => streamed[v]++,
      new AbortController().signal,
    );
    expect(takes).toHaveLength(2);
    takes.forEach((t, v) => {
      expect(t.abc).toContain('K:D');
      expect(streamed[v]).toBeGreaterThan(0);
    });

    // Cancelling a take stops sampling; what was sampled so far comes back, marked cancelled.
    const abort = new AbortController();
    let notes = 0;
    const cut = await client.generate({ model: path.join(root, 'models', 'tiny'), length: 5000, temperature: 3, rngSeed: 2 }, { onToken: () => ++notes === 5 && abort.abort() }, abort.signal);
    expect(cut[0].stop === 'cancelled' || cut[0].stop === 'eos').toBe(true);
    expect(cut[0].tokens.length).toBeLessThan(5000);
  }, 60_000);

  it('reports a bad request as an error of that run, and stays up', async () => {
    const run = await client.train({ preset: 'no-such-preset', corpus: ['x'], out: '/tmp/never' });
    await expect(run.result).rejects.toMatchObject({ code: 'invalid_request' });
    await expect(client.generate({ model: '/no/such/model', rngSeed: 1 })).rejects.toMatchObject({ code: 'not_found' });
    expect(client.status().state).toBe('ready');
  });
});
