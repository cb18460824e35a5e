import { describe, expect, it } from 'vitest';
import { createStudio, noMidiHardware } from './index';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-studio-'));
import { createFakeEngine } from './testing/fake-engine';
import type { EventName } from '../../shared/ipc/contract';

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
    expect(seen.at(-1)).toMatchObject({ name: 'take.done', payload: { runId, takes: [{ variation: 0 }] } });
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
    expect(seen[0].payload).toEqual({ runId, error: { code: 'engine_failed', message: 'out of memory' } });
  });

  it('without an engine, generate fails with a clear unsupported error', async () => {
    const studio = await createStudio({ mode: 'serve', userDataDir: tmp(), openMidi: noMidiHardware  });
    await expect(studio.handlers.generate(request, { via: 'test' })).rejects.toMatchObject({ code: 'unsupported' });
  });
});
