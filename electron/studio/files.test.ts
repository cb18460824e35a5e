/**
 * Uploads, saves and the overwrite guard: paths stay inside their folders, stale uploads are
 * swept, a save goes where the dialog said (and nowhere when cancelled), and a file Seedsong did
 * not write is never replaced without permission.
 */
import { afterEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UploadStore } from './uploads';
import { OverwriteRefused, WriteGuard } from './written';
import { createStudio, noMidiHardware } from './index';
import { dispatch } from '@shared/ipc/dispatch';
import { RelativePathSchema } from '@shared/ipc/channels/files';

const dirs: string[] = [];
const tmp = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-files-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
const ctx = { via: 'test' as const };
const quiet = { warn: () => {}, error: () => {} };

describe('relative paths of an upload', () => {
  it('accepts plain nested names and refuses anything that could leave the folder', () => {
    for (const ok of ['model.json', 'group1-shard1of2.bin', 'tfjs/model.json', 'a b/c (1).bin']) expect(RelativePathSchema.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['../x.bin', '/etc/passwd', 'C:\\x', 'a/../../b', '.hidden', 'a/.git/config', '', 'a//b', 'a\\..\\b', 'x\u0000y']) {
      expect(RelativePathSchema.safeParse(bad).success, bad).toBe(false);
    }
  });
});

describe('UploadStore', () => {
  it('assembles chunks, refuses ids that are not plain names, and discards', async () => {
    const store = new UploadStore(tmp());
    await store.stage('up-12345678', 'w/a.bin', Buffer.from('hello ').toString('base64'), false);
    expect(await store.stage('up-12345678', 'w/a.bin', Buffer.from('world').toString('base64'), true)).toBe(11);
    const folder = await store.folder('up-12345678');
    expect(fs.readFileSync(path.join(folder, 'w/a.bin'), 'utf8')).toBe('hello world');
    // Restarting a file (append false) replaces what was there.
    await store.stage('up-12345678', 'w/a.bin', Buffer.from('again').toString('base64'), false);
    expect(fs.readFileSync(path.join(folder, 'w/a.bin'), 'utf8')).toBe('again');
    expect(() => store.dirOf('../escape')).toThrow(/bad upload id/);
    await expect(store.stage('up-12345678', '../../x', '', false)).rejects.toMatchObject({ code: 'invalid_request' });
    await store.discard('up-12345678');
    await expect(store.folder('up-12345678')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('finds the model.json of an upload, in the folder or the one sub-folder that has it', async () => {
    const store = new UploadStore(tmp());
    await store.stage('up-aaaaaaaa', 'tfjs/model.json', 'e30=', false);
    await store.stage('up-aaaaaaaa', 'notes/readme.json', 'e30=', false);
    expect(await store.modelFolder('up-aaaaaaaa')).toBe(path.join(store.root, 'up-aaaaaaaa', 'tfjs'));
    await store.stage('up-aaaaaaaa', 'other/model.json', 'e30=', false);
    await expect(store.modelFolder('up-aaaaaaaa')).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(/holds 2 models/) });
    await store.stage('up-bbbbbbbb', 'weights.bin', 'AA==', false);
    await expect(store.modelFolder('up-bbbbbbbb')).rejects.toMatchObject({ code: 'bad_input', message: expect.stringMatching(/no model.json/) });
    // A Seedsong model folder: its own model.json at the top, its checkpoints' below.
    await store.stage('up-cccccccc', 'model.json', 'e30=', false);
    await store.stage('up-cccccccc', 'checkpoints/epoch-0001/model.json', 'e30=', false);
    await store.stage('up-cccccccc', 'torch-job/initial/model.json', 'e30=', false);
    expect(await store.modelFolder('up-cccccccc')).toBe(path.join(store.root, 'up-cccccccc'));
  });

  it('sweeps uploads abandoned by an earlier session, keeps fresh ones', async () => {
    const root = tmp();
    const store = new UploadStore(root);
    await store.stage('up-oldoldold', 'model.json', 'e30=', false);
    await store.stage('up-newnewnew', 'model.json', 'e30=', false);
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    fs.utimesSync(path.join(store.root, 'up-oldoldold'), old, old);
    expect(store.sweep()).toBe(1);
    expect(fs.readdirSync(store.root)).toEqual(['up-newnewnew']);
    expect(new UploadStore(path.join(root, 'nothing-here')).sweep()).toBe(0);
  });
});

describe('WriteGuard', () => {
  it('replaces what it wrote, refuses a file it did not write (or that changed since), unless forced', async () => {
    const userData = tmp();
    const out = tmp();
    const guard = new WriteGuard(userData);
    const take = path.join(out, 'take.mid');
    await guard.write(take, 'first');
    await guard.write(take, 'second'); // ours: replaced without a question
    expect(fs.readFileSync(take, 'utf8')).toBe('second');

    // A new guard (a new session) remembers through written.json.
    const later = new WriteGuard(userData);
    expect(later.mayReplace(take)).toBe(true);

    const mine = path.join(out, 'song.mid');
    fs.writeFileSync(mine, "the user's own song");
    await expect(later.write(mine, 'take')).rejects.toBeInstanceOf(OverwriteRefused);
    expect(fs.readFileSync(mine, 'utf8')).toBe("the user's own song");

    fs.writeFileSync(take, 'edited in another program');
    await expect(later.write(take, 'third')).rejects.toThrow(/not written by Seedsong/);
    expect(fs.readFileSync(take, 'utf8')).toBe('edited in another program');

    await later.write(take, 'third', { force: true });
    expect(fs.readFileSync(take, 'utf8')).toBe('third');
    // A folder is never replaced by a file.
    expect(later.mayReplace(out)).toBe(false);
  });

  it('a damaged registry only means asking more often', async () => {
    const userData = tmp();
    fs.writeFileSync(path.join(userData, 'written.json'), '{not json');
    const guard = new WriteGuard(userData);
    const f = path.join(tmp(), 'x.abc');
    await guard.write(f, 'X:1');
    expect(guard.mayReplace(f)).toBe(true);
    expect(JSON.parse(fs.readFileSync(path.join(userData, 'written.json'), 'utf8'))[f]).toMatchObject({ size: 3 });
  });
});

describe('saveFile through the studio (Electron: a save dialog is injected)', () => {
  it('writes where the dialog says, does nothing when cancelled, and says what went wrong', async () => {
    const out = tmp();
    let answer: string | null = path.join(out, 'take one.mid');
    const asked: string[] = [];
    const studio = await createStudio({
      mode: 'electron',
      userDataDir: tmp(),
      openMidi: noMidiHardware,
      chooseSavePath: async (name, kind) => {
        asked.push(`${name}:${kind}`);
        return answer;
      },
    });
    try {
      const bytes = Buffer.from('MThd fake');
      const r = await dispatch(studio.handlers, 'saveFile', { suggestedName: 'take.mid', kind: 'mid', base64: bytes.toString('base64') }, ctx, quiet);
      expect(r).toEqual({ ok: true, value: { saved: true, name: 'take one.mid' } });
      expect(fs.readFileSync(answer!)).toEqual(bytes);
      answer = null;
      expect(await dispatch(studio.handlers, 'saveFile', { suggestedName: 'take.mid', kind: 'mid', base64: 'AA==' }, ctx, quiet)).toEqual({ ok: true, value: { saved: false, reason: 'cancelled' } });
      // A folder that cannot be written (here: a file where the folder should be, which fails
      // even for root, unlike a read-only folder).
      fs.writeFileSync(path.join(out, 'not-a-folder'), '');
      answer = path.join(out, 'not-a-folder', 'x.mid');
      const failed = await dispatch(studio.handlers, 'saveFile', { suggestedName: 'x.mid', kind: 'mid', base64: 'AA==' }, ctx, quiet);
      expect(failed).toMatchObject({ ok: false, error: { code: 'io_error', message: expect.stringMatching(/could not save .*Nothing was lost/) } });
      expect(asked).toEqual(['take.mid:mid', 'take.mid:mid', 'x.mid:mid']);
      expect((await dispatch(studio.handlers, 'saveFile', { suggestedName: 'x.wav', kind: 'exe', base64: '' }, ctx, quiet)).ok).toBe(false);
    } finally {
      await studio.dispose();
    }
  });
});

describe('opening music files (openFile, then openTune by the opaque id)', () => {
  const book = 'L:1/8\n\nX:3\nT:The Kesh\nM:6/8\nK:G\n|:GAG GAB|ABA ABd:|\n\nX:7\nT:Rakes of Mallow\nM:2/4\nK:G\nBG BG|Bd ef|\n';

  it('lists a book, opens a tune as written (file header in), and refuses ids, names and bytes it does not know', async () => {
    const studio = await createStudio({ mode: 'serve', userDataDir: tmp(), openMidi: noMidiHardware });
    try {
      const r = await dispatch(studio.handlers, 'openFile', { name: 'book.abc', base64: Buffer.from(book).toString('base64') }, ctx, quiet);
      expect(r.ok).toBe(true);
      const opened = (r as { value: { kind: string; fileId: string; tunes: { x: string; title: string }[] } }).value;
      expect(opened.tunes.map((t) => `${t.x} ${t.title}`)).toEqual(['3 The Kesh', '7 Rakes of Mallow']);
      const t = await dispatch(studio.handlers, 'openTune', { fileId: opened.fileId, tune: 1 }, ctx, quiet);
      expect(t).toMatchObject({ ok: true, value: { title: 'Rakes of Mallow', abc: 'X:7\nL:1/8\nT:Rakes of Mallow\nM:2/4\nK:G\nBG BG|Bd ef|\n', meter: { numerator: 2, denominator: 4 }, leftOut: [] } });
      expect((t as { value: { notes: unknown[] } }).value.notes).toHaveLength(8);
      expect(await dispatch(studio.handlers, 'openTune', { fileId: 'of-0000000000000000', tune: 0 }, ctx, quiet)).toMatchObject({ ok: false, error: { code: 'not_found' } });
      expect(await dispatch(studio.handlers, 'openTune', { fileId: '../etc/passwd', tune: 0 }, ctx, quiet)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
      expect(await dispatch(studio.handlers, 'openTune', { fileId: opened.fileId, tune: 5 }, ctx, quiet)).toMatchObject({ ok: false, error: { code: 'bad_input', message: expect.stringMatching(/book\.abc: the file has 2 tunes; there is no tune number 6/) } });
      expect(await dispatch(studio.handlers, 'openFile', { name: 'photo.png', base64: 'AA==' }, ctx, quiet)).toMatchObject({ ok: false, error: { code: 'bad_input', message: expect.stringMatching(/not a music file/) } });
      expect(await dispatch(studio.handlers, 'openFile', { name: 'x.mid', base64: Buffer.from('not midi').toString('base64') }, ctx, quiet)).toMatchObject({ ok: false, error: { code: 'bad_input', message: expect.stringMatching(/x\.mid: not a Standard MIDI File/) } });
      expect(await dispatch(studio.handlers, 'openFile', { name: 'x.abc', base64: 'A'.repeat(4_000_004) }, ctx, quiet)).toMatchObject({ ok: false, error: { code: 'invalid_request' } });
    } finally {
      await studio.dispose();
    }
  });

  it('opens a multi-track .mid: its tracks and melody guess, then a chosen track or all of them, with the tempo map and what was left out', async () => {
    const file = '/work/shared/corpora/midi_piano_midi_de/bach_846.mid';
    if (!fs.existsSync(file)) {
      console.log(`skipped: ${file} is not here`);
      return;
    }
    const studio = await createStudio({ mode: 'serve', userDataDir: tmp(), openMidi: noMidiHardware });
    try {
      const r = await dispatch(studio.handlers, 'openFile', { name: 'bach_846.mid', base64: fs.readFileSync(file).toString('base64') }, ctx, quiet);
      const opened = (r as { value: { fileId: string; tracks: { index: number; label: string }[]; melodyTrack: number; tempo: string } }).value;
      expect(opened.tracks.map((t) => t.label)).toEqual(['Piano right', 'Piano left', 'Fuga 1', 'Fuga 2', 'Fuga 3', 'Fuga 4']);
      expect(opened.tempo).toMatch(/^tempo map: starts at \d+ bpm, \d+ changes/);
      const melody = await dispatch(studio.handlers, 'openTune', { fileId: opened.fileId, tracks: 'melody' }, ctx, quiet);
      const m = (melody as { value: { tempos: unknown[]; leftOut: string[]; notes: unknown[] } }).value;
      expect(m.tempos.length).toBeGreaterThan(100);
      expect(m.leftOut[0]).toMatch(/^5 other tracks: /);
      const all = await dispatch(studio.handlers, 'openTune', { fileId: opened.fileId, tracks: 'all' }, ctx, quiet);
      expect((all as { value: { notes: unknown[] } }).value.notes).toHaveLength(415 + 134 + 220 + 199 + 175 + 141);
    } finally {
      await studio.dispose();
    }
  });
});
