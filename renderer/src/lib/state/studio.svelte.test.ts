import { describe, expect, it } from 'vitest';
import { fakeStudio, type FakeStudio } from '../testing/fake-api';
import type { Take } from '@shared/ipc/schemas';
import { StudioState } from './studio.svelte';
import { StudioError } from '@shared/ipc/result';

const info = { name: 'Seedsong', version: '0', mode: 'serve' as const, platform: 'linux', backend: { status: 'ready' as const, active: 'wasm' as const, candidates: [] }, midi: { available: false, message: 'none' } };
const devices = { hardware: false, message: 'built-in only', inputs: [{ name: 'On-screen keyboard', builtIn: true, connected: true }], outputs: [{ name: 'Built-in synth', builtIn: true, connected: true }], input: 'On-screen keyboard', output: 'Built-in synth', settings: { channel: 0, program: null, latencyMs: 0 }, thru: false };
const note = (pitch: number, start: number) => ({ pitch, start, end: start + 0.5, velocity: 90, voice: 0 });

/** The studio's end of a generation: its takes, then its job done (as electron/studio sends them). */
function done(fake: FakeStudio, runId: string, takes: Take[]): void {
  fake.emit('take.done', { runId, takes });
  fake.emit('job.state', { id: runId, kind: 'generate', state: 'done', runId: null, message: `${takes.length} takes`, progress: null, checkpoints: [], resumable: false, updatedAt: '' });
}

function setup(saved: { project: unknown; failSaves?: number; parts?: number } = { project: null }, random = () => 7) {
  let runs = 0;
  const texts: string[] = [];
  const fake = fakeStudio({
    loadProject: () => ({ project: saved.project as never, savedAt: null, problem: null }),
    saveProject: (r) => {
      if (saved.failSaves) {
        saved.failSaves--;
        throw new StudioError('io_error', 'disk full');
      }
      texts[r.part] = r.text;
      saved.parts = r.parts;
      if (r.part < r.parts - 1) return { savedAt: null };
      saved.project = JSON.parse(texts.splice(0).join(''));
      return { savedAt: '2026-11-22T00:00:00.000Z' };
    },
    appInfo: () => info,
    listModels: () => [{ id: 'tiny', name: 'tiny', encoding: 'abc-token', architecture: 'lstm', builtIn: false, createdAt: '2026-01-01' }],
    devices: () => devices,
    listPresets: () => [],
    listCorpora: () => [],
    generate: (r) => ({ runId: `g${++runs}`, rngSeed: r.sampling.rngSeed }),
    listJobs: () => [],
    cancelRun: () => ({ cancelled: true }),
  });
  const studio = new StudioState(fake.api, { storage: null, createOutput: async () => ({ now: () => 0, noteOn() {}, noteOff() {}, allNotesOff() {} }), synth: async () => ({ sendBytes() {} }), random, autosaveRetryWait: async () => {} });
  return { fake, studio };
}

describe('StudioState', () => {
  it('Continue this tune sends the notation on the desk as written: its pickup and bars, the closing bar line opened', async () => {
    const { fake, studio } = setup();
    await studio.start();
    const text = 'X:1\nT:Banish Misfortune\nR:jig\nM:6/8\nL:1/8\nK:Dmix\nfed|:cAG A2d|cAG A2B:|\n"D"dfe dcA|"G"GAB cAG|]';
    expect(studio.tune.editAbc(text)).toBe(true);
    await studio.continueTune();
    const seed = fake.calls.find((c) => c.channel === 'generate')!.request.seed as { kind: 'abc'; text: string };
    expect(seed).toEqual({ kind: 'abc', text: text.replace(/\|\]$/, '|') });
    // Notes that no longer match the text (an edit not yet written back) are written afresh.
    const other = setup();
    await other.studio.start();
    other.studio.tune.editAbc('X:1\nM:6/8\nL:1/8\nK:D\nDFA dfa|');
    other.studio.tune.abcText = 'X:1\nM:6/8\nL:1/8\nK:D\nGBd gbd|';
    await other.studio.continueTune();
    const again = other.fake.calls.find((c) => c.channel === 'generate')!.request.seed as { kind: 'abc'; text: string };
    expect(again.text).toMatch(/DFA/);
    expect(again.text).not.toMatch(/GBd/);
  });

  it('generates from a typed ABC seed: live notes, then takes with the seed in the seed colour', async () => {
    const { fake, studio } = setup();
    await studio.start();
    expect(studio.status).toMatch(/Engine: wasm/);
    studio.seedAbc = 'X:1\nM:6/8\nL:1/8\nK:D\nDFA|';
    await studio.generate();
    const request = fake.calls.find((c) => c.channel === 'generate')!.request;
    expect(request).toMatchObject({ modelId: 'tiny', seed: { kind: 'abc' }, sampling: { count: 4 } });
    expect(studio.tune.notes).toHaveLength(0); // the desk changes when the model answers
    fake.emit('take.note', { runId: 'g1', variation: 0, note: note(69, 1.5) });
    expect(studio.tune.notes.length).toBeGreaterThan(0);
    expect(studio.tune.notes.every((n) => n.seed)).toBe(true); // the seed is on the desk while sampling
    fake.emit('take.note', { runId: 'g1', variation: 1, note: note(60, 1.5) });
    expect(studio.liveNotes).toHaveLength(1);
    // This engine answers with the whole tune, seed first.
    const whole = [note(62, 0), note(66, 0.5), note(69, 1), note(74, 1.5), note(73, 2)];
    done(fake, 'g1', [{ variation: 0, abc: 'X:1\nK:D\nDFA dc|', notes: whole, warnings: [] }]);
    expect(studio.generating).toBe(false);
    expect(studio.takes[0]).toMatchObject({ number: 1, seedLabel: 'ABC: DFA|', kept: false });
    expect(studio.tune.notes.map((n) => n.seed)).toEqual([true, true, true, false, false]);
    expect(studio.tune.abcText).toMatch(/^X:1/);
  });

  it('a seed the model refuses leaves the desk as it was, and says why and what to do', async () => {
    const { fake, studio } = setup();
    await studio.start();
    studio.seedSource = 'none';
    await studio.generate();
    done(fake, 'g1', [{ variation: 0, abc: 'X:1\nK:C\nCDE|', notes: [note(60, 0), note(62, 0.5)], warnings: [] }]);
    const desk = studio.tune.notes.map((n) => [n.pitch, n.start]);
    studio.seedSource = 'abc';
    studio.seedAbc = 'X:1\nM:6/8\nL:1/8\nK:D\nDFA|';
    await studio.generate();
    const message = "the seed cannot be encoded for this model (abc-token): the seed's note \"c''\" is outside what this model has learned. To continue it: transpose the seed by an octave.";
    fake.emit('job.state', { id: 'g2', kind: 'generate', state: 'failed', runId: null, message, progress: null, checkpoints: [], resumable: false, updatedAt: '' });
    expect(studio.generating).toBe(false);
    expect(studio.error).toBe(message);
    expect(studio.tune.notes.map((n) => [n.pitch, n.start])).toEqual(desk);
    expect(studio.selectedTake).toBe(0);
    expect(studio.seedFix).toBeNull(); // a typed seed: the musician edits it
    // A recording the model cannot take: the fix is offered, and applied only when accepted.
    studio.seedKeyboard = [note(84, 0), note(86, 0.5), note(88, 1)];
    studio.seedSource = 'keyboard';
    await studio.generate();
    fake.emit('job.state', { id: 'g3', kind: 'generate', state: 'failed', runId: null, message, progress: null, checkpoints: [], resumable: false, updatedAt: '' });
    expect(studio.seedFix?.label).toBe('Transpose the seed an octave and try again');
    expect(studio.seedKeyboard.map((n) => n.pitch)).toEqual([84, 86, 88]);
    await studio.applySeedFix();
    expect(studio.seedKeyboard.map((n) => n.pitch)).toEqual([72, 74, 76]);
    expect(fake.calls.filter((c) => c.channel === 'generate')).toHaveLength(4);
  });

  it('a recorded seed is sent with the pickup the musician chose (a short first bar)', async () => {
    const { fake, studio } = setup();
    await studio.start();
    studio.tune.setMeter(6, 8);
    studio.seedKeyboard = [note(62, 0), note(67, 0.5), note(71, 1), note(74, 1.5), note(79, 2)];
    studio.seedSource = 'keyboard';
    studio.seedPickup = 0.5;
    await studio.generate();
    const seed = fake.calls.find((c) => c.channel === 'generate')!.request.seed as { kind: 'abc'; text: string };
    expect(seed.kind).toBe('abc');
    const body = seed.text.slice(seed.text.indexOf('K:')).split('\n').slice(1).join('');
    expect(body.split('|')[0].trim()).toBe('D');
  });

  it('keeps edits with their take, refuses to discard kept takes, explains missing seeds', async () => {
    const { fake, studio } = setup();
    await studio.start();
    studio.seedSource = 'none';
    await studio.generate();
    done(fake, 'g1', [0, 1].map((variation) => ({ variation, abc: 'X:1\nK:C\nCDE|', notes: [note(60, 0), note(62, 0.5)], warnings: [] })));
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

  it('a book opens the tune picker; the chosen tune goes on the desk as written, and is the seed as written', async () => {
    const { studio } = setup();
    await studio.start();
    const book = 'X:3\nT:The Kesh\nM:6/8\nL:1/8\nK:G\n|:GAG GAB|ABA ABd:|\n\nX:7\nT:Rakes of Mallow\nM:2/4\nL:1/8\nK:G\nBG BG|Bd ef|\n';
    await studio.openSeedFile({ name: 'book.abc', text: async () => book, arrayBuffer: async () => new TextEncoder().encode(book).buffer });
    expect(studio.opening?.kind).toBe('abc');
    expect(studio.status).toBe('book.abc: 2 tunes. Choose one.');
    expect(studio.tune.notes).toHaveLength(0);
    await studio.pickTune(studio.opening!, 0);
    expect(studio.opening).toBeNull();
    expect(studio.tune.title).toBe('The Kesh');
    expect(studio.tune.abcText).toBe('X:3\nT:The Kesh\nM:6/8\nL:1/8\nK:G\n|:GAG GAB|ABA ABd:|\n');
    expect(studio.tune.notes.length).toBe(24); // played with its repeat
    expect(studio.tune.notes.every((n) => n.seed)).toBe(true);
    const chosen = studio.seed();
    expect('seed' in chosen && chosen.seed).toEqual({ kind: 'abc', text: 'X:3\nT:The Kesh\nM:6/8\nL:1/8\nK:G\n|:GAG GAB|ABA ABd:|\n' });
  });

  it('a multi-track .mid opens the track chooser; the choice keeps the tempo map (played and exported) and says what was left out', async () => {
    const { Midi } = await import('@shared/music/midi/tonejs');
    const midi = new Midi();
    midi.header.setTempo(100);
    midi.header.tempos.push({ ticks: midi.header.ppq * 4, bpm: 50 });
    midi.header.update();
    const tune = midi.addTrack();
    tune.name = 'Whistle';
    [74, 76, 78, 79, 81, 83].forEach((p, i) => tune.addNote({ midi: p, ticks: i * 480, durationTicks: 480 }));
    const drums = midi.addTrack();
    drums.channel = 9;
    drums.addNote({ midi: 36, ticks: 0, durationTicks: 100 });
    const bass = midi.addTrack();
    bass.name = 'Bass';
    bass.addNote({ midi: 38, ticks: 0, durationTicks: 960 });
    const bytes = midi.toArray();
    const { studio } = setup();
    await studio.start();
    await studio.openSeedFile({ name: 'band.mid', text: async () => '', arrayBuffer: async () => bytes.slice().buffer });
    expect(studio.opening).toMatchObject({ kind: 'midi', melodyTrack: 0, tempo: 'tempo map: starts at 100 bpm, 1 change (50-100 bpm)' });
    await studio.pickTracks(studio.opening!, 'melody');
    expect(studio.tune.notes.map((n) => n.pitch)).toEqual([74, 76, 78, 79, 81, 83]);
    expect(studio.tune.tempos).toEqual([{ time: 0, qpm: 100 }, { time: 4, qpm: 50 }]);
    expect(studio.tune.tempoLine).toBe('tempo map: starts at 100 bpm, 1 change (50-100 bpm)');
    expect(studio.tune.sequence().tempos).toEqual([{ time: 0, qpm: 100 }, { time: 4, qpm: 50 }]);
    expect(studio.status).toMatch(/^Seed: Whistle \(band\.mid, 6 notes; tempo map: .*\)\. Left out: the other track: Bass \(1 note, D2\); the drum channel \(track 2 \(standard kit\), 1 note\): drums are not part of a tune$/);
    // The transport's tempo scales the whole map.
    studio.tune.setTempo(120);
    expect(studio.tune.tempos).toEqual([{ time: 0, qpm: 120 }, { time: 4, qpm: 60 }]);
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
    expect(second.studio.openProjectText('x.json', '{"version":3}')).toBe(false);
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
    done(first.fake, 'g1', [{ variation: 0, abc: 'X:1\nM:6/8\nL:1/8\nK:D\nDFA dc|', notes: [note(62, 0), note(66, 0.5), note(69, 1), note(74, 1.5)], warnings: [] }]);
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

  it('autosaves each seed once (version 2), and retries a failed save, telling the user when it gives up', async () => {
    const saved: { project: any; failSaves?: number } = { project: null };
    const { fake, studio } = setup(saved);
    await studio.start();
    studio.seedAbc = 'X:1\nM:6/8\nL:1/8\nK:D\nDFA|';
    await studio.generate();
    const take = (v: number) => ({ variation: v, abc: 'X:1\nK:D\nDFA dc|', notes: [note(62, 0), note(66, 0.5), note(69, 1), note(74 + v, 1.5)], warnings: [] });
    done(fake, 'g1', [take(0), take(1), take(2)]);
    expect(await studio.saveProject()).toBe(true);
    expect(saved.project.version).toBe(2);
    expect(saved.project.seeds).toHaveLength(1);
    expect(saved.project.takes.map((t: any) => t.seed)).toEqual([0, 0, 0]);
    expect(saved.project.takes[0].seedNotes).toBeUndefined();

    saved.failSaves = 1; // one failure: the retry saves it
    expect(await studio.saveProject()).toBe(true);
    expect(studio.error).toBeNull();
    saved.failSaves = 5; // every attempt fails: the user is told, with what to do
    expect(await studio.saveProject()).toBe(false);
    expect(studio.error).toMatch(/Autosave failed: .*disk full.*Export project/);
    saved.failSaves = 0;
    expect(await studio.saveProject()).toBe(true);
    expect(studio.status).toMatch(/Autosave works again/);
  });

  it('draws a fresh RNG seed for every Generate, records it on the take, and locks the open take\'s seed', async () => {
    const drawn = [101, 202, 303];
    const { fake, studio } = setup(undefined, () => drawn.shift()!);
    await studio.start();
    studio.seedSource = 'none';
    const scale = [{ variation: 0, abc: 'X:1\nK:C\nCDE|', notes: [note(60, 0), note(62, 0.5)], warnings: [] }];
    await studio.generate();
    done(fake, 'g1', scale);
    await studio.generate();
    done(fake, 'g2', scale);
    const sent = fake.calls.filter((c) => c.channel === 'generate').map((c) => c.request.sampling.rngSeed);
    expect(sent).toEqual([101, 202]);
    expect(studio.takes.map((t) => [t.number, t.sampling.rngSeed])).toEqual([[2, 202], [1, 101]]);
    expect(studio.settingsOf(studio.takes[1])).toBe('tiny · T 1.00 · 256 tokens · seed 101');
    // Lock: the open take's seed, shown ticked because it is set (one state), used as given.
    studio.openTake(1);
    studio.lockSeed(true);
    expect(studio.rngSeed).toBe(101);
    await studio.generate();
    expect(fake.calls.filter((c) => c.channel === 'generate').at(-1)!.request.sampling.rngSeed).toBe(101);
    done(fake, 'g3', scale);
    studio.lockSeed(false);
    expect(studio.rngSeed).toBeNull();
    expect(drawn).toEqual([303]);
  });

  it('takes carry their own title, model and seed; a T: typed on one stays with it; files opened are titled by their T:', async () => {
    const { fake, studio } = setup();
    await studio.start();
    studio.seedAbc = 'X:1\nT:Lark Seed\nM:6/8\nL:1/8\nK:D\nDFA|';
    await studio.generate();
    fake.emit('take.note', { runId: 'g1', variation: 0, note: note(74, 1.5) });
    expect(studio.tune.title).toBe('Lark Seed'); // the seed keeps its own title while sampling
    done(fake, 'g1', [0, 1].map((variation) => ({ variation, abc: 'X:1\nK:D\nDFA dc|', notes: [note(62, 0), note(66, 0.5), note(69, 1), note(74, 1.5 + variation)], warnings: [] })));
    expect(studio.takes.map((t) => [t.title, t.model.name, t.source])).toEqual([
      ['Lark Seed, take 1', 'tiny', 'abc'],
      ['Lark Seed, take 2', 'tiny', 'abc'],
    ]);
    expect(studio.tune.abcText).toMatch(/^T:Lark Seed, take 1$/m);
    studio.tune.editAbc(studio.tune.abcText.replace(/^T:.*$/m, 'T:Morning Star'));
    expect(studio.titleOf(0)).toBe('Morning Star');
    studio.openTake(1);
    expect(studio.tune.title).toBe('Lark Seed, take 2');
    expect(studio.tune.abcText).toMatch(/^T:Lark Seed, take 2$/m);
    expect(studio.titleOf(0)).toBe('Morning Star');
    studio.openTake(0);
    expect(studio.tune.title).toBe('Morning Star');

    // A bad ABC edit, then a file dropped: its T: names it, the old problem and highlighted take go.
    studio.tune.editAbc('X:1\nK:D\n¤¤');
    expect(studio.tune.abcErrors.length).toBeGreaterThan(0);
    const file = (name: string, text: string) => ({ name, text: async () => text, arrayBuffer: async () => new TextEncoder().encode(text).buffer });
    await studio.openSeedFile(file('reel.abc', 'X:1\nT:The Silver Spear\nM:4/4\nL:1/8\nK:D\nFAAB AFED|\n'));
    expect(studio.tune.abcProblems).toEqual([]);
    expect(studio.selectedTake).toBeNull();
    expect(studio.tune.title).toBe('The Silver Spear');
    expect(studio.tune.abcText).toMatch(/^T:The Silver Spear$/m);
    expect(studio.statusLine.text).toMatch(/^Seed: The Silver Spear \(reel\.abc, 8 notes\)$/);
  });

  it('a deleted model gives way to the built-in default, not whichever is first', async () => {
    let models = [
      { id: 'mine', name: 'mine', encoding: 'abc-token', architecture: 'lstm', builtIn: false, createdAt: '2026-01-01' },
      { id: 'builtin.default', name: 'default', encoding: 'abc-token', architecture: 'lstm', builtIn: true, createdAt: '2026-01-01' },
      { id: 'zz', name: 'zz', encoding: 'abc-token', architecture: 'lstm', builtIn: false, createdAt: '2026-01-01' },
    ];
    const { fake, studio } = setup();
    (fake.api as unknown as { listModels: unknown }).listModels = async () => ({ ok: true, value: models });
    await studio.start();
    expect(studio.modelId).toBe('builtin.default'); // a fresh start: the default, though 'mine' is listed first
    studio.modelId = 'mine';
    models = models.filter((m) => m.id !== 'mine');
    await studio.refreshModels();
    expect(studio.modelId).toBe('builtin.default');
  });

  it('the status line says what runs now: a training run replaces an old message, its end says how it ended', async () => {
    const { fake, studio } = setup();
    await studio.start();
    studio.say('3 new takes');
    const job = (state: 'running' | 'cancelled', message: string | null) =>
      fake.emit('job.state', { id: 'train:jigs', kind: 'train', state, runId: state === 'running' ? 'r1' : null, modelId: 'jigs', message, progress: { epoch: 2, epochs: 10, step: 8, totalSteps: 40 }, checkpoints: [], resumable: true, updatedAt: '' });
    job('running', null);
    expect(studio.statusLine.text).toBe('Training jigs: epoch 2 of 10');
    job('cancelled', 'Training was cancelled after 2 epochs.');
    expect(studio.statusLine.text).toBe('Training jigs was cancelled after 2 epochs.');
    studio.seedSource = 'none';
    await studio.generate();
    expect(studio.statusLine.text).toBe('Generating… 0 notes so far');
    fake.emit('job.state', { id: 'g1', kind: 'generate', state: 'failed', runId: null, message: 'the model is damaged', progress: null, checkpoints: [], resumable: false, updatedAt: '' });
    expect(studio.generating).toBe(false);
    expect(studio.statusLine).toEqual({ text: 'the model is damaged', error: true });
  });

  it('note input from the keyboard: after the last note, lengths by digit, letters in the key; Alt+arrows pick; a score click selects and seeks', async () => {
    const { studio } = setup();
    await studio.start();
    studio.tune.editAbc('X:1\nM:6/8\nL:1/8\nK:D\nDEF GAB|\n');
    studio.toggleNoteInput(true);
    expect(studio.player.position).toBe(3);
    studio.setInputLength(4); // eighths
    studio.enterNote('c');
    studio.enterNote('d');
    studio.enterNote('a', true); // on the D's chord, above it
    const added = studio.tune.notes.slice(6).map((n) => [n.pitch, n.start, n.end]);
    expect(added).toEqual([[73, 3, 3.5], [74, 3.5, 4], [81, 3.5, 4]]);
    expect(studio.player.position).toBe(4);
    studio.moveCursor(1); // a rest
    expect(studio.player.position).toBe(4.5);
    studio.pickNote(-1);
    expect(studio.tune.selectedNotes.map((n) => n.pitch)).toEqual([81]);
    studio.toggleNoteInput(false);
    studio.pickNote(-1);
    expect(studio.tune.selectedNotes.map((n) => n.pitch)).toEqual([74]);
    expect(studio.player.position).toBe(3.5);
    studio.selectAt(1.0005); // abcjs's time, in milliseconds turned to quarters
    expect(studio.tune.selectedNotes.map((n) => n.pitch)).toEqual([66]);
    expect(studio.player.position).toBe(1);
    for (let i = 0; i < 3; i++) studio.tune.undo();
    expect(studio.tune.notes).toHaveLength(6);
  });

  it('folds the takes (then the side panel) on a narrow window unless the musician opened them; remembers a choice', async () => {
    const store = new Map<string, string>();
    const storage = { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) };
    const fake = fakeStudio({});
    const studio = new StudioState(fake.api, { storage });
    studio.setWidth(1440);
    expect([studio.sideCollapsed, studio.takesCollapsed]).toEqual([false, false]);
    studio.setWidth(1024);
    expect([studio.sideCollapsed, studio.takesCollapsed]).toEqual([false, true]);
    studio.setWidth(800);
    expect([studio.sideCollapsed, studio.takesCollapsed]).toEqual([true, true]);
    studio.togglePanel('takes');
    expect(studio.takesCollapsed).toBe(false);
    const again = new StudioState(fake.api, { storage });
    again.setWidth(800);
    expect([again.sideCollapsed, again.takesCollapsed]).toEqual([true, false]);
  });
});
