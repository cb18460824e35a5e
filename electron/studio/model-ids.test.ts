/**
 * Model ids are checked where they enter (issue #18 item 6): the contract refuses ids that would
 * name a folder outside the library or the built-in models, the model store refuses them again, and
 * errors name models, never the machine's absolute paths.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStudioEngine } from './engine';
import { ModelCatalog } from '../node/catalog';
import type { EngineClient } from './engine-client';
import { channels } from '@shared/ipc/contract';
import { ModelIdSchema, NewModelNameSchema } from '@shared/ipc/schemas';
import { resourcesDir } from './paths';

let dir: string;
let store: ReturnType<typeof createStudioEngine>;
const noEngine = { status: () => ({ state: 'stopped' }), onStatus: () => () => {}, dispose: async () => {} } as unknown as EngineClient;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-ids-'));
  fs.mkdirSync(path.join(dir, 'resources', 'models'), { recursive: true });
  fs.cpSync(path.join(resourcesDir(), 'models', 'default'), path.join(dir, 'resources', 'models', 'default'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'resources', 'secret.txt'), 'not a model');
  fs.mkdirSync(path.join(dir, 'data', 'models', 'broken'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'data', 'models', 'broken', 'seedsong.json'), '{not json');
  store = createStudioEngine({ client: noEngine, library: new ModelCatalog(path.join(dir, 'data', 'models')), builtInDir: path.join(dir, 'resources', 'models') });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('model ids at the boundary', () => {
  it('refuses ids that are ".", "..", hidden, or a built-in prefix with nothing real after it', () => {
    for (const id of ['builtin...', 'builtin..', 'builtin.', '..', '.', '.hidden', 'a/b', 'builtin./x', '']) expect(ModelIdSchema.safeParse(id).success, id).toBe(false);
    for (const id of ['builtin.default', 'jigs', 'jigs.v2', 'a-b_c']) expect(ModelIdSchema.safeParse(id).success, id).toBe(true);
    for (const name of ['builtin.default', 'builtin.x', '..', '.x']) expect(NewModelNameSchema.safeParse(name).success, name).toBe(false);
    expect(channels.duplicateModel.request.safeParse({ modelId: 'builtin...', to: 'x' }).success).toBe(false);
    expect(channels.duplicateModel.request.safeParse({ modelId: 'builtin.default', to: 'builtin.mine' }).success).toBe(false);
    expect(channels.trainingLog.request.safeParse({ modelId: 'builtin..' }).success).toBe(false);
    expect(channels.generate.request.safeParse({ modelId: 'builtin...', seed: { kind: 'none' }, sampling: {} }).success).toBe(false);
  });
});

describe('the model store checks ids again', () => {
  it('does not copy the resources folder for duplicateModel builtin...', async () => {
    await expect(store.duplicate('builtin...', 'x')).rejects.toMatchObject({ code: 'not_found' });
    await expect(store.duplicate('builtin.', 'x')).rejects.toMatchObject({ code: 'not_found' });
    expect(fs.existsSync(path.join(dir, 'data', 'models', 'x'))).toBe(false);
    await expect(store.duplicate('builtin.default', 'builtin.x')).rejects.toMatchObject({ code: 'invalid_request' });
    // The real built-in model still duplicates.
    await expect(store.duplicate('builtin.default', 'mine')).resolves.toMatchObject({ id: 'mine', builtIn: false });
  });

  it('reads no training log or model outside the two model folders', async () => {
    for (const id of ['builtin...', 'builtin..', 'builtin.', '..', '.']) await expect(store.trainingLog(id), id).rejects.toMatchObject({ code: 'not_found' });
    const signal = new AbortController().signal;
    const request = (modelId: string) => ({ modelId, seed: { kind: 'none' as const }, sampling: { temperature: 1, topK: 0, topP: 1, length: 8, count: 1, rngSeed: 1 } });
    await expect(store.generate(request('builtin...'), () => {}, signal)).rejects.toMatchObject({ code: 'not_found' });
    await expect(store.generate(request('..'), () => {}, signal)).rejects.toMatchObject({ code: 'not_found' });
  });

  it('names models in its errors, never absolute paths', async () => {
    const messages: string[] = [];
    for (const attempt of [() => store.trainingLog('broken'), () => store.trainingLog('missing'), () => store.duplicate('broken', 'copy'), () => store.rename('missing', 'other')]) {
      try {
        await attempt();
        messages.push('no error');
      } catch (e) {
        messages.push((e as Error).message);
      }
    }
    expect(messages).not.toContain('no error');
    for (const m of messages) expect(m).not.toContain(dir);
    expect(messages[0]).toMatch(/broken/);
  });
});
