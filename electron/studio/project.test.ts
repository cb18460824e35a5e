import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ProjectDto } from '@shared/ipc/channels/project';
import { projectFile, projectHandlers } from './project';
import { projectParts, readProject } from '@shared/ipc/channels/project';
import { saveProjectInParts } from '@shared/ipc/project-save';
import { dispatch } from '@shared/ipc/dispatch';

const project: ProjectDto = {
  version: 2,
  seeds: [[]],
  modelId: 'tiny',
  sampling: { temperature: 0.9, topK: 0, topP: 1, length: 128, count: 2, rngSeed: 7 },
  seed: { source: 'abc', abc: 'X:1\nK:D\nDFA|', keyboard: null },
  desk: { title: 'Jig', qpm: 100, meter: { numerator: 6, denominator: 8 }, key: { tonic: 2, mode: 'major', accidentals: 2 }, seedEnd: 1.5, notes: [{ pitch: 62, start: 0, end: 0.5, velocity: 90, voice: 0 }], selectedTake: 0, grid: 4 },
  takes: [{ runId: 'r1', variation: 0, number: 1, seedLabel: 'ABC: DFA|', settings: 'T 0.90', kept: true, abc: 'X:1\nK:D\nDFA dAF|', notes: [], seed: 0, warnings: [] }],
};
const ctx = {} as never;

/** Sends a project through saveProject the way the renderer does (in parts). */
async function save(h: ReturnType<typeof projectHandlers>, p: ProjectDto, partChars?: number): Promise<string> {
  const r = await saveProjectInParts((part) => dispatch(h as never, 'saveProject', part, ctx, { warn() {}, error() {} }) as never, p, partChars);
  if (!r.ok) throw new Error(r.error.message);
  return r.value.savedAt;
}

const pianoNote = (i: number) => ({ pitch: 40 + (i % 48), start: i * 0.25, end: i * 0.25 + 0.2, velocity: 80, voice: 0 });

describe('project autosave', () => {
  const dir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-project-'));

  it('starts empty, then reads back what it saved', async () => {
    const h = projectHandlers(dir());
    expect(await h.loadProject({}, ctx)).toEqual({ project: null, savedAt: null, problem: null });
    const savedAt = await save(h, project);
    expect(await h.loadProject({}, ctx)).toEqual({ project, savedAt, problem: null });
  });

  it('keeps the last of several quick saves, and leaves no temp files', async () => {
    const d = dir();
    const h = projectHandlers(d);
    for (const n of [1, 2, 3]) await save(h, { ...project, desk: { ...project.desk, title: `v${n}` } });
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

  it('saves a project far over one WebSocket frame (4 MiB) in parts, and reads it back', async () => {
    // The case: 20 takes continuing a 2,621-note piano seed.
    const seed = Array.from({ length: 2621 }, (_, i) => pianoNote(i));
    const takes = Array.from({ length: 20 }, (_, i) => ({ ...project.takes[0]!, runId: `r${i}`, number: i + 1, notes: Array.from({ length: 5000 }, (_, k) => pianoNote(k + i)), seed: 0 }));
    const big: ProjectDto = { ...project, seeds: [seed], takes, desk: { ...project.desk, notes: seed } };
    const text = JSON.stringify(big);
    expect(text.length).toBeGreaterThan(4 * 1024 * 1024);
    const d = dir();
    const h = projectHandlers(d);
    await save(h, big);
    const back = await h.loadProject({}, ctx);
    expect(back.project?.takes).toHaveLength(20);
    expect(back.project?.seeds[0]).toHaveLength(2621);
    expect(projectParts(big).length).toBeGreaterThan(4);
  });

  it('refuses a part of a save that disagrees about the number of parts, and a project that does not validate', async () => {
    const h = projectHandlers(dir());
    await h.saveProject({ saveId: 'a', part: 0, parts: 2, text: '{' }, ctx);
    await expect(h.saveProject({ saveId: 'a', part: 1, parts: 3, text: '}' }, ctx)).rejects.toThrow(/3 parts, earlier parts said 2/);
    await expect(h.saveProject({ saveId: 'b', part: 0, parts: 1, text: '{"version":2}' }, ctx)).rejects.toThrow(/did not validate/);
    await expect(h.saveProject({ saveId: 'c', part: 0, parts: 1, text: '{"version":' }, ctx)).rejects.toThrow(/not JSON/);
  });

  it('reads a version 1 file (the seed in every take) as version 2 with each seed once', async () => {
    const d = dir();
    const seed = [pianoNote(0), pianoNote(1)];
    const { seeds: _s, takes, ...rest } = project;
    const v1 = { ...rest, version: 1, takes: [0, 1, 2].map((i) => ({ ...takes[0]!, seed: undefined, runId: `r${i}`, seedNotes: i === 2 ? [pianoNote(5)] : seed })) };
    fs.mkdirSync(path.dirname(projectFile(d)), { recursive: true });
    fs.writeFileSync(projectFile(d), JSON.stringify({ savedAt: '2026-01-01T00:00:00.000Z', project: v1 }));
    const r = await projectHandlers(d).loadProject({}, ctx);
    expect(r.problem).toBeNull();
    expect(r.project?.version).toBe(2);
    expect(r.project?.seeds).toEqual([seed, [pianoNote(5)]]);
    expect(r.project?.takes.map((t) => t.seed)).toEqual([0, 0, 1]);
    expect(readProject({ ...project, takes: [{ ...project.takes[0], seed: 3 }] })).toMatchObject({ ok: false, message: expect.stringMatching(/names seed 3/) });
  });

  it('removes temp files a crashed save left behind, keeping a live writer\'s', async () => {
    const d = dir();
    const folder = path.dirname(projectFile(d));
    fs.mkdirSync(folder, { recursive: true });
    const dead = '.autosave.json.999999999.abcd1234.tmp';
    const live = `.autosave.json.${process.pid}.abcd1234.tmp`;
    fs.writeFileSync(path.join(folder, dead), 'x');
    fs.writeFileSync(path.join(folder, live), 'x');
    fs.writeFileSync(path.join(folder, 'notes.txt'), 'x');
    expect(await projectHandlers(d).sweep()).toEqual([dead]);
    expect(fs.readdirSync(folder).sort()).toEqual([live, 'notes.txt'].sort());
  });
});
