import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProjectDto } from '../../shared/ipc/channels/project';
import { projectFile, projectHandlers } from './project';

const project: ProjectDto = {
  version: 1,
  modelId: 'tiny',
  sampling: { temperature: 0.9, topK: 0, topP: 1, length: 128, count: 2, rngSeed: 7 },
  seed: { source: 'abc', abc: 'X:1\nK:D\nDFA|', keyboard: null },
  desk: { title: 'Jig', qpm: 100, meter: { numerator: 6, denominator: 8 }, key: { tonic: 2, mode: 'major', accidentals: 2 }, seedEnd: 1.5, notes: [{ pitch: 62, start: 0, end: 0.5, velocity: 90, voice: 0 }], selectedTake: 0, grid: 4 },
  takes: [{ runId: 'r1', variation: 0, number: 1, seedLabel: 'ABC: DFA|', settings: 'T 0.90', kept: true, abc: 'X:1\nK:D\nDFA dAF|', notes: [], seedNotes: [], warnings: [] }],
};
const ctx = {} as never;

describe('project autosave', () => {
  const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-project-'));

  it('starts empty, then reads back what it saved', async () => {
    const h = projectHandlers(dir());
    expect(await h.loadProject({}, ctx)).toEqual({ project: null, savedAt: null, problem: null });
    const { savedAt } = await h.saveProject({ project }, ctx);
    expect(await h.loadProject({}, ctx)).toEqual({ project, savedAt, problem: null });
  });

  it('keeps the last of several quick saves, and leaves no temp files', async () => {
    const d = dir();
    const h = projectHandlers(d);
    await Promise.all([1, 2, 3].map((n) => h.saveProject({ project: { ...project, desk: { ...project.desk, title: `v${n}` } } }, ctx)));
    expect((await h.loadProject({}, ctx)).project?.desk.title).toBe('v3');
    expect(fs.readdirSync(path.dirname(projectFile(d)))).toEqual(['autosave.json']);
  });

  it('sets a damaged file aside and says so', async () => {
    const d = dir();
    fs.mkdirSync(path.dirname(projectFile(d)), { recursive: true });
    fs.writeFileSync(projectFile(d), '{"savedAt": "x", "project": {"version": 2');
    const r = await projectHandlers(d).loadProject({}, ctx);
    expect(r.project).toBeNull();
    expect(r.problem).toMatch(/did not read .* kept as autosave\.json\.damaged-\d+/);
    expect(fs.readdirSync(path.dirname(projectFile(d)))[0]).toMatch(/^autosave\.json\.damaged-/);
  });
});
