import { describe, expect, it, vi } from 'vitest';
import { dispatch, type Handlers } from './dispatch';
import { StudioError } from './result';
import { createStudioApi, type Transport } from './api';
import { channelNames, channels } from './contract';

const info = {
  name: 'Seedsong',
  version: '0.0.0',
  mode: 'serve' as const,
  platform: 'linux-x64',
  backend: { status: 'ready' as const, active: 'cpu' as const, candidates: [] },
  midi: { available: false, message: 'no MIDI' },
};

function handlers(overrides: Partial<Handlers> = {}): Handlers {
  // Channels a test does not call answer with a failure, so a wrong route is caught.
  const unused = Object.fromEntries(channelNames.map((name) => [name, () => { throw new Error(`${name} was not expected`); }]));
  return {
    ...unused,
    appInfo: () => info,
    listModels: async () => [],
    generate: async () => ({ runId: 'take-1' }),
    cancelRun: () => ({ cancelled: true }),
    ...overrides,
  } as Handlers;
}

const log = () => ({ warn: vi.fn(), error: vi.fn() });

describe('dispatch', () => {
  it('answers a valid call with ok and the handler value', async () => {
    const result = await dispatch(handlers(), 'appInfo', {}, { via: 'test' }, log());
    expect(result).toEqual({ ok: true, value: info });
  });

  it('rejects an unknown channel with invalid_request and logs why', async () => {
    const l = log();
    const result = await dispatch(handlers(), 'deleteEverything', {}, { via: 'test' }, l);
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    expect(l.warn).toHaveBeenCalledWith(expect.stringContaining('unknown channel "deleteEverything"'));
  });

  it('rejects non-string channels and prototype keys', async () => {
    for (const channel of [42, null, { a: 1 }, '__proto__', 'toString', 'constructor']) {
      const result = await dispatch(handlers(), channel, {}, { via: 'test' }, log());
      expect(result.ok).toBe(false);
    }
  });

  it('validates payloads against the contract before the handler runs', async () => {
    const generate = vi.fn(async () => ({ runId: 'x', rngSeed: 1 }));
    const bad = [
      { seed: { kind: 'abc' }, sampling: {} }, // abc seed without text
      { seed: { kind: 'none' }, sampling: { temperature: 0 } }, // below the minimum
      { seed: { kind: 'none' }, sampling: { count: 1000 } },
      { seed: { kind: 'notes', notes: [{ pitch: 200, start: 0, end: 1, velocity: 64, voice: 0 }] }, sampling: {} },
      { seed: { kind: 'notes', notes: [{ pitch: 60, start: 1, end: 1, velocity: 64, voice: 0 }] }, sampling: {} },
      { seed: { kind: 'none' }, sampling: {}, extra: 'not allowed' },
      { modelId: '../../etc/passwd', seed: { kind: 'none' }, sampling: {} },
      'a string',
      [1, 2, 3],
    ];
    for (const payload of bad) {
      const result = await dispatch(handlers({ generate }), 'generate', payload, { via: 'test' }, log());
      expect(result, JSON.stringify(payload)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    }
    expect(generate).not.toHaveBeenCalled();
  });

  it('fills defaults from the schema', async () => {
    const generate = vi.fn(async () => ({ runId: 'x', rngSeed: 1 }));
    await dispatch(handlers({ generate }), 'generate', { seed: { kind: 'none' }, sampling: {} }, { via: 'test' }, log());
    expect(generate).toHaveBeenCalledWith(
      expect.objectContaining({ sampling: expect.objectContaining({ temperature: 1, topK: 0, topP: 1, count: 1 }) }),
      { via: 'test' },
    );
  });

  it('turns a StudioError into its code and an unexpected throw into internal', async () => {
    const expected = await dispatch(
      handlers({ listModels: async () => { throw new StudioError('io_error', 'models folder unreadable'); } }),
      'listModels', {}, { via: 'test' }, log(),
    );
    expect(expected).toEqual({ ok: false, error: { code: 'io_error', message: 'models folder unreadable' } });
    const l = log();
    const unexpected = await dispatch(handlers({ listModels: async () => { throw new TypeError('boom'); } }), 'listModels', {}, { via: 'test' }, l);
    expect(unexpected).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(l.error).toHaveBeenCalled();
  });
});

describe('createStudioApi', () => {
  it('has one named function per channel, plus on()', () => {
    const api = createStudioApi({ invoke: async () => ({ ok: true, value: null }), subscribe: () => () => {} });
    expect(Object.keys(api).sort()).toEqual([...channelNames, 'on'].sort());
    expect(channelNames.length).toBe(Object.keys(channels).length);
  });

  it('turns transport failures and malformed answers into failed Results', async () => {
    const throwing = createStudioApi({ invoke: async () => { throw new Error('socket closed'); }, subscribe: () => () => {} });
    expect(await throwing.appInfo({})).toMatchObject({ ok: false, error: { code: 'internal', message: expect.stringContaining('socket closed') } });
    const junk = createStudioApi({ invoke: async () => ({ hello: 1 }), subscribe: () => () => {} });
    expect(await junk.listModels({})).toMatchObject({ ok: false, error: { code: 'internal' } });
  });

  it('delivers only valid events of the subscribed name, and unsubscribes', () => {
    let emit: (name: string, payload: unknown) => void = () => {};
    const transport: Transport = {
      invoke: async () => ({ ok: true, value: null }),
      subscribe: (l) => {
        emit = l;
        return () => (emit = () => {});
      },
    };
    const api = createStudioApi(transport);
    const seen: unknown[] = [];
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const off = api.on('take.note', (p) => seen.push(p));
    const note = { pitch: 60, start: 0, end: 1, velocity: 90, voice: 0 };
    emit('take.note', { runId: 'take-1', variation: 0, note });
    emit('take.note', { runId: 'take-1', variation: 0, note: { ...note, pitch: -1 } });
    emit('take.done', { runId: 'take-1', takes: [] });
    off();
    emit('take.note', { runId: 'take-1', variation: 0, note });
    expect(seen).toEqual([{ runId: 'take-1', variation: 0, note }]);
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
  });
});
