import { describe, expect, it } from 'vitest';
import { fakeStudio } from '../testing/fake-api';
import { StudioState } from './studio.svelte';

const info = { name: 'Seedsong', version: '0', mode: 'serve' as const, platform: 'linux', backend: { status: 'ready' as const, active: 'wasm' as const, candidates: [] }, midi: { available: false, message: 'none' } };
const devices = { hardware: false, message: 'built-in only', inputs: [{ name: 'On-screen keyboard', builtIn: true, connected: true }], outputs: [{ name: 'Built-in synth', builtIn: true, connected: true }], input: 'On-screen keyboard', output: 'Built-in synth', settings: { channel: 0, program: null, latencyMs: 0 }, thru: false };
const note = (pitch: number, start: number) => ({ pitch, start, end: start + 0.5, velocity: 90, voice: 0 });

function setup(saved: { project: unknown } = { project: null }) {
  const fake = fakeStudio({
    loadProject: () => ({ project: saved.project, savedAt: null, problem: null }),
    saveProject: (r) => {
      saved.project = r.project;
      return { savedAt: '2026-11-22T00:00:00.000Z' };
    },
    appInfo: () => info,
    listModels: () => [{ id: 'tiny', name: 'tiny', encoding: 'abc-token', architecture: 'lstm', builtIn: false, createdAt: '2026-01-01' }],
    devices: () => devices,
    listPresets: () => [],
    listCorpora: () => [],
    generate: () => ({ runId: 'g1' }),
    cancelRun: () => ({ cancelled: true }),
  });
  const studio = new StudioState(fake.api, { storage: null, createOutput: async () => ({ now: () => 0, noteOn() {}, noteOff() {}, allNotesOff() {} }), synth: async () => ({ sendBytes() {} }) });
  return { fake, studio };
}

describe('StudioState', () => {
  it('generates from a typed ABC seed: live notes, then takes with the seed in the seed colour', async () => {
    const { fake, studio } = setup();
    await studio.start();
    expect(studio.status).toMatch(/Engine: wasm/);
    studio.seedAbc = 'X:1\nM:6/8\nL:1/8\nK:D\nDFA|';
    await studio.generate();
    const request = fake.calls.find((c) => c.channel === 'generate')!.request;
    expect(request).toMatchObject({ modelId: 'tiny', seed: { kind: 'abc' }, sampling: { count: 4 } });
    expect(studio.tune.notes.every((n) => n.seed)).toBe(true); // the seed is on the desk while sampling
    fake.emit('take.note', { runId: 'g1', variation: 0, note: note(69, 1.5) });
    fake.emit('take.note', { runId: 'g1', variation: 1, note: note(60, 1.5) });
    expect(studio.liveNotes).toHaveLength(1);
    // This engine answers with the whole tune, seed first.
    const whole = [note(62, 0), note(66, 0.5), note(69, 1), note(74, 1.5), note(73, 2)];
    fake.emit('take.done', { runId: 'g1', takes: [{ variation: 0, abc: 'X:1\nK:D\nDFA dc|', notes: whole, warnings: [] }] });
    expect(studio.generating).toBe(false);
    expect(studio.takes[0]).toMatchObject({ number: 1, seedLabel: 'ABC: DFA|', kept: false });
    expect(studio.tune.notes.map((n) => n.seed)).toEqual([true, true, true, false, false]);
    expect(studio.tune.abcText).toMatch(/^X:1/);
  });

  it('keeps edits with their take, refuses to discard kept takes, explains missing seeds', async () => {
    const { fake, studio } = setup();
    await studio.start();
    studio.seedSource = 'none';
    await studio.generate();
    fake.emit('take.done', { runId: 'g1', takes: [0, 1].map((variation) => ({ variation, abc: 'X:1\nK:C\nCDE|', notes: [note(60, 0), note(62, 0.5)], warnings: [] })) });
    studio.tune.selectAll();
    studio.tune.transposeSelection(5);
    studio.openTake(1);
    expect(studio.takes[0].edited?.notes.map((n) => n.pitch)).toEqual([65, 67]);
    studio.openTake(0);
    expect(studio.tune.notes.map((n) => n.pitch)).toEqual([65, 67]);
    studio.keep(0);
    studio.discard(0);
    expect(studio.takes).toHaveLength(2);
    studio.discard(1);
    expect(studio.takes).toHaveLength(1);
    studio.seedSource = 'keyboard';
    await studio.generate();
    expect(studio.error).toMatch(/Record a seed first/);
    // Generating again (the seed takes the desk) keeps the edits on the open take.
    studio.openTake(0);
    studio.tune.selectAll();
    studio.tune.transposeSelection(-2);
    studio.seedSource = 'abc';
    studio.seedAbc = 'X:1\nM:6/8\nL:1/8\nK:D\nDFA|';
    await studio.generate();
    expect(studio.takes[0].edited?.notes.map((n) => n.pitch)).toEqual([63, 65]);
  });

  it('reads a dropped file as a seed, and answers a non-music file in words', async () => {
    const { studio } = setup();
    await studio.start();
    const file = (name: string, text: string) => ({ name, text: async () => text, arrayBuffer: async () => new TextEncoder().encode(text).buffer });
    await studio.openSeedFile(file('jig.abc', 'X:1\nT:Jig\nM:6/8\nL:1/8\nK:G\nGAB cde|'));
    expect(studio.seedSource).toBe('file');
    expect(studio.tune.meter).toMatchObject({ numerator: 6, denominator: 8 });
    expect(studio.tune.notes).toHaveLength(6);
    await studio.openSeedFile(file('photo.png', '\u0089PNG'));
    expect(studio.error).toBe('photo.png is not a music file: open an .abc or .mid file (or a .seedsong.json project).');
    await studio.openSeedFile(file('broken.mid', 'not midi'));
    expect(studio.error).toMatch(/broken\.mid.*not a Standard MIDI File/);
    expect(studio.tune.notes).toHaveLength(6);
  });

  it('exports the project as a file that opens again; a file that is not a project changes nothing', async () => {
    const first = setup();
    await first.studio.start();
    first.studio.tune.editAbc('X:1\nT:Kept jig\nM:6/8\nL:1/8\nK:D\nDEF GAB|\n');
    first.studio.temperature = 0.7;
    const file = first.studio.projectFile();
    expect(file.name).toBe('kept-jig.seedsong.json');
    const second = setup();
    await second.studio.start();
    const text = new TextDecoder().decode(file.bytes);
    await second.studio.openSeedFile({ name: file.name, text: async () => text, arrayBuffer: async () => file.bytes.buffer as ArrayBuffer });
    expect(second.studio.tune.notes).toHaveLength(6);
    expect(second.studio.temperature).toBe(0.7);
    expect(second.studio.status).toMatch(/Opened kept-jig\.seedsong\.json: 0 takes, 6 notes/);
    expect(second.studio.openProjectText('x.json', '{"version":2}')).toBe(false);
    expect(second.studio.error).toMatch(/x\.json is not a Seedsong project: version:/);
    expect(second.studio.openProjectText('y.json', 'not json')).toBe(false);
    expect(second.studio.error).toMatch(/y\.json is not a Seedsong project: it is not JSON/);
    expect(second.studio.tune.notes).toHaveLength(6);
  });

  it('saves the session as a project and reopens it: takes, edits, desk, settings', async () => {
    const saved = { project: null as unknown };
    const first = setup(saved);
    await first.studio.start();
    first.studio.seedAbc = 'X:1\nM:6/8\nL:1/8\nK:D\nDFA|';
    first.studio.temperature = 0.8;
    await first.studio.generate();
    first.fake.emit('take.done', { runId: 'g1', takes: [{ variation: 0, abc: 'X:1\nM:6/8\nL:1/8\nK:D\nDFA dc|', notes: [note(62, 0), note(66, 0.5), note(69, 1), note(74, 1.5)], warnings: [] }] });
    first.studio.keep(0);
    first.studio.tune.select(new Set([first.studio.tune.notes[3].id]));
    first.studio.tune.transposeSelection(-2);
    await first.studio.saveProject();
    expect(first.studio.savedAt).toBe('2026-11-22T00:00:00.000Z');

    const second = setup(saved);
    await second.studio.start();
    expect(second.studio.status).toMatch(/Reopened your last session: 1 take, 4 notes/);
    expect(second.studio.takes[0]).toMatchObject({ kept: true, number: 1 });
    expect(second.studio.temperature).toBe(0.8);
    expect(second.studio.tune.notes.map((n) => [n.pitch, n.seed])).toEqual([[62, true], [66, true], [69, true], [72, false]]);
    expect(second.studio.tune.meter).toMatchObject({ numerator: 6, denominator: 8 });
    expect(second.studio.selectedTake).toBe(0);
  });
});
