import { describe, expect, it } from 'vitest';
import { createStudio, noMidiHardware } from './index';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-studio-'));
import { createFakeEngine } from './testing/fake-engine';
import type { EventName } from '@shared/ipc/contract';

function record(studio: Awaited<ReturnType<typeof createStudio>>) {
  const seen: { name: EventName; payload: any }[] = [];
  studio.events.subscribe((name, payload) => seen.push({ name, payload }));
  return seen;
}

const until = async (predicate: () => boolean, ms = 2000) => {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

const request = { seed: { kind: 'none' as const }, sampling: { temperature: 1, topK: 0, topP: 1, length: 64, count: 1 } };

describe('studio services', () => {
  it('reports app info with the engine backend and MIDI status', async () => {
    const studio = await createStudio({ mode: 'serve', userDataDir: tmp(), openMidi: noMidiHardware, engine: createFakeEngine()  });
    const info = await studio.handlers.appInfo({}, { via: 'test' });
    expect(info).toMatchObject({ name: 'Seedsong', mode: 'serve', backend: { status: 'ready', active: 'cpu' } });
    expect(info.midi.available).toBe(false);
    expect(info.midi.message).toMatch(/built-in synth/);
    await studio.dispose();
  });

  it('streams a take as note events with the run id, then take.done', async () => {
    const studio = await createStudio({ mode: 'serve', userDataDir: tmp(), openMidi: noMidiHardware, engine: createFakeEngine()  });
    const seen = record(studio);
    const { runId } = await studio.handlers.generate(request, { via: 'test' });
    await until(() => seen.some((e) => e.name === 'take.done'));
    const notes = seen.filter((e) => e.name === 'take.note');
    expect(notes).toHaveLength(8);
    expect(notes.every((e) => e.payload.runId === runId)).toBe(true);
    expect(seen.filter((e) => e.name !== 'job.state').at(-1)).toMatchObject({ name: 'take.done', payload: { runId, takes: [{ variation: 0 }] } });
  });

  it('cancels a run: run.failed with code cancelled, and no take.done', async () => {
    const studio = await createStudio({ mode: 'serve', userDataDir: tmp(), openMidi: noMidiHardware, engine: createFakeEngine({ noteDelayMs: 20  }) });
    const seen = record(studio);
    const { runId } = await studio.handlers.generate(request, { via: 'test' });
    expect(await studio.handlers.cancelRun({ runId }, { via: 'test' })).toEqual({ cancelled: true });
    await until(() => seen.some((e) => e.name === 'run.failed'));
    expect(seen.find((e) => e.name === 'run.failed')?.payload).toEqual({ runId, error: { code: 'cancelled', message: 'generation cancelled' } });
    expect(seen.some((e) => e.name === 'take.done')).toBe(false);
    expect(await studio.handlers.cancelRun({ runId }, { via: 'test' })).toEqual({ cancelled: false });
  });

  it('reports an engine failure as run.failed engine_failed', async () => {
    const studio = await createStudio({ mode: 'serve', userDataDir: tmp(), openMidi: noMidiHardware, engine: createFakeEngine({ fail: 'out of memory'  }) });
    const seen = record(studio);
    const { runId } = await studio.handlers.generate(request, { via: 'test' });
    await until(() => seen.some((e) => e.name === 'run.failed'));
    expect(seen.find((e) => e.name === 'run.failed')?.payload).toEqual({ runId, error: { code: 'engine_failed', message: 'out of memory' } });
    expect(seen.filter((e) => e.name === 'job.state').map((e) => [e.payload.state, e.payload.message])).toEqual([
      ['running', null],
      ['failed', 'out of memory'],
    ]);
  });

  it('draws a fresh RNG seed for every generation without one, uses a locked one as given, and says which', async () => {
    const engine = createFakeEngine();
    const drawn = [11, 22];
    const studio = await createStudio({ mode: 'serve', userDataDir: tmp(), openMidi: noMidiHardware, engine, random: () => drawn.shift()! });
    const seen = record(studio);
    const first = await studio.handlers.generate(request, { via: 'test' });
    const second = await studio.handlers.generate(request, { via: 'test' });
    const locked = await studio.handlers.generate({ ...request, sampling: { ...request.sampling, rngSeed: 7 } }, { via: 'test' });
    expect([first.rngSeed, second.rngSeed, locked.rngSeed]).toEqual([11, 22, 7]);
    await until(() => seen.filter((e) => e.name === 'take.done').length === 3);
    expect(engine.requests.map((r) => r.sampling.rngSeed)).toEqual([11, 22, 7]);
  });

  it('runs each generation as a job: running, then done (after its takes) or cancelling, then cancelled; listJobs has it', async () => {
    const studio = await createStudio({ mode: 'serve', userDataDir: tmp(), openMidi: noMidiHardware, engine: createFakeEngine({ noteDelayMs: 20 }) });
    const seen = record(studio);
    const { runId } = await studio.handlers.generate(request, { via: 'test' });
    await studio.handlers.cancelRun({ runId }, { via: 'test' });
    await until(() => seen.some((e) => e.name === 'job.state' && e.payload.state === 'cancelled'));
    const states = seen.filter((e) => e.name === 'job.state').map((e) => e.payload);
    expect(states.map((s) => s.state)).toEqual(['running', 'cancelling', 'cancelled']);
    expect(states.every((s) => s.id === runId && s.kind === 'generate')).toBe(true);
    const done = await studio.handlers.generate(request, { via: 'test' });
    await until(() => seen.some((e) => e.name === 'job.state' && e.payload.id === done.runId && e.payload.state === 'done'));
    const names = seen.map((e) => e.name);
    expect(names.lastIndexOf('take.done')).toBeLessThan(names.lastIndexOf('job.state'));
    const jobs = await studio.handlers.listJobs({}, { via: 'test' });
    expect(jobs.map((j) => [j.id, j.state])).toEqual([
      [done.runId, 'done'],
      [runId, 'cancelled'],
    ]);
    await studio.dispose();
  });

  it('without an engine, generate fails with a clear unsupported error', async () => {
    const studio = await createStudio({ mode: 'serve', userDataDir: tmp(), openMidi: noMidiHardware  });
    await expect(studio.handlers.generate(request, { via: 'test' })).rejects.toMatchObject({ code: 'unsupported' });
  });
});
