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
    expect(refreshed()).toBe(1);
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
});
