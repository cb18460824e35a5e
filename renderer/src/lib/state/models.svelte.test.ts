import { describe, expect, it } from 'vitest';
import { fakeStudio } from '../testing/fake-api';
import { ModelsState } from './models.svelte';

const model = (id: string, builtIn = false) => ({ id, name: id, encoding: 'abc-token' as const, architecture: 'lstm', builtIn, createdAt: '2026-01-01' });

describe('ModelsState', () => {
  function setup() {
    const fake = fakeStudio({
      renameModel: (r) => model(r.to),
      duplicateModel: (r) => model(r.to),
      deleteModel: (r) => {
        if (r.modelId === 'default') throw new Error('built-in models cannot be deleted');
        return {};
      },
    });
    let refreshed = 0;
    const state = new ModelsState(fake.api, async () => void refreshed++);
    return { fake, state, refreshed: () => refreshed };
  }
  const library = [model('default', true), model('jigs'), model('jigs-copy')];

  it('deletes only after a confirmation', async () => {
    const { fake, state, refreshed } = setup();
    expect(await state.remove(library[1])).toBe(false);
    expect(state.confirming).toBe('jigs');
    expect(fake.calls.some((c) => c.channel === 'deleteModel')).toBe(false);
    expect(await state.remove(library[1])).toBe(true);
    expect(state.message).toBe('Deleted jigs.');
    expect(state.about).toBe('library');
    expect(refreshed()).toBe(1);
  });

  it("shows the engine's memory in words, or why it is not known", async () => {
    const memory = { tensors: 24, tensorBytes: 3 * 1024 * 1024, rss: 200 * 1024 * 1024, heapUsed: 50 * 1024 * 1024, backend: 'wasm' };
    let fail = false;
    const fake = fakeStudio({
      engineMemory: () => {
        if (fail) throw new Error('the engine is not available in this build');
        return memory;
      },
    });
    const state = new ModelsState(fake.api, async () => {});
    await state.refreshEngineMemory();
    expect(state.engineMemory).toBe('24 tensors (3.0 MB), process 200.0 MB, heap 50.0 MB');
    fail = true;
    await state.refreshEngineMemory();
    expect(state.engineMemory).toMatch(/^not known \(.*not available in this build\)$/);
  });

  it('answers a refused delete in words', async () => {
    const { state } = setup();
    await state.remove(library[0]);
    expect(await state.remove(library[0])).toBe(false);
    expect(state.error).toMatch(/built-in models cannot be deleted/);
  });

  it('checks new names before asking the studio, and picks a free copy name', async () => {
    const { fake, state } = setup();
    expect(await state.rename(library[1], 'my jigs', library)).toBe(false);
    expect(state.error).toMatch(/no spaces/);
    expect(await state.rename(library[1], 'default', library)).toBe(false);
    expect(state.error).toMatch(/already a model called default/);
    expect(await state.rename(library[1], 'reels', library)).toBe(true);
    await state.duplicate(library[1], library);
    expect(fake.calls.find((c) => c.channel === 'duplicateModel')!.request).toEqual({ modelId: 'jigs', to: 'jigs-copy-2' });
  });

  const file = (webkitRelativePath: string, text: string) => ({
    name: webkitRelativePath.split('/').pop()!,
    webkitRelativePath,
    size: text.length,
    arrayBuffer: async () => new TextEncoder().encode(text).buffer as ArrayBuffer,
  });

  it('imports a chosen folder: model files only, paths inside the folder, a free name, then the library refreshes', async () => {
    const staged: { path: string; base64: string; uploadId: string }[] = [];
    const fake = fakeStudio({
      stageFile: (r) => (staged.push(r), { bytes: 1 }),
      importModel: (r) => ({ ...model(r.name), architecture: 'keras-lstm', parameters: 1234 }),
    });
    let refreshed = 0;
    const state = new ModelsState(fake.api, async () => void refreshed++);
    const ok = await state.chooseFolder(
      [file('my model/model.json', '{"format":"layers-model"}'), file('my model/group1-shard1of1.bin', 'WEIGHTS'), file('my model/notes.txt', 'x'), file('my model/.ipynb_checkpoints/old.json', '{}')],
      [model('my-model')],
    );
    expect(ok).toBe(true);
    expect(state.pending).toMatchObject({ folder: 'my model', skipped: 2 });
    expect(state.importName).toBe('my-model-2');
    const imported = await state.importPending(state.importName, [model('my-model')]);
    expect(imported?.id).toBe('my-model-2');
    expect(staged.map((s) => s.path).sort()).toEqual(['group1-shard1of1.bin', 'model.json']);
    expect(atob(staged.find((s) => s.path === 'group1-shard1of1.bin')!.base64)).toBe('WEIGHTS');
    expect(fake.calls.at(-1)).toMatchObject({ channel: 'importModel', request: { name: 'my-model-2', uploadId: staged[0].uploadId } });
    expect(state.message).toMatch(/Imported my model as my-model-2 \(keras-lstm/);
    expect(state.about).toBe('import'); // shown beside the import, not above the backends
    expect(state.pending).toBeNull();
    expect(state.importing).toBeNull();
    expect(refreshed).toBe(1);
  });

  it('refuses a folder without model.json before uploading, and shows a refused import in words', async () => {
    const fake = fakeStudio({ stageFile: () => ({ bytes: 1 }), importModel: () => { throw new Error('model.json: expected a layers-model, found a graph-model'); } });
    const state = new ModelsState(fake.api, async () => {});
    expect(await state.chooseFolder([file('photos/cat.jpg', 'x')], [])).toBe(false);
    expect(state.error).toMatch(/photos has no model.json/);
    expect(fake.calls).toHaveLength(0);
    await state.chooseFolder([file('m/model.json', '{}')], []);
    expect(await state.importPending('m', [])).toBeNull();
    expect(state.error).toBe('m was not imported: model.json: expected a layers-model, found a graph-model');
    expect(state.pending).not.toBeNull(); // still there to try again
    expect(await state.importPending('bad name', [])).toBeNull();
    expect(state.error).toMatch(/no spaces/);
  });
});
