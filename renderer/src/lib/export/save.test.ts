import { describe, expect, it } from 'vitest';
import { fakeStudio } from '../testing/fake-api';
import { describeSave, makeSaver } from './save';
import type { ExportFile } from './export';

const file: ExportFile = { name: 'jig.abc', mime: 'text/plain', bytes: new TextEncoder().encode('X:1\nK:D\nDEF|\n') };

describe('saving exports', () => {
  it('in Electron hands the bytes to saveFile and reports where they went, or a cancel', async () => {
    const answers = [{ saved: true, name: 'jig.abc' }, { saved: false, reason: 'cancelled' }];
    const fake = fakeStudio({ saveFile: () => answers.shift() });
    const downloads: string[] = [];
    const save = makeSaver(fake.api, 'electron', (f) => downloads.push(f.name));
    expect(await save(file, 'abc')).toEqual({ how: 'saved', name: 'jig.abc' });
    expect(fake.calls[0].request).toMatchObject({ suggestedName: 'jig.abc', kind: 'abc' });
    expect(atob(fake.calls[0].request.base64)).toBe('X:1\nK:D\nDEF|\n');
    expect(await save(file, 'abc')).toEqual({ how: 'cancelled' });
    expect(downloads).toEqual([]);
  });

  it('falls back to the browser download when the studio answers `download`', async () => {
    const fake = fakeStudio({ saveFile: () => ({ saved: false, reason: 'download' }) });
    const downloads: string[] = [];
    expect(await makeSaver(fake.api, 'electron', (f) => downloads.push(f.name))(file, 'abc')).toEqual({ how: 'downloaded', name: 'jig.abc' });
    expect(downloads).toEqual(['jig.abc']);
    // Serve mode does not even send the bytes.
    const serve = fakeStudio({});
    expect(await makeSaver(serve.api, 'serve', (f) => downloads.push(f.name))(file, 'mid')).toEqual({ how: 'downloaded', name: 'jig.abc' });
    expect(serve.calls).toEqual([]);
  });

  it('a refused save (read-only folder) is an error naming the file, and nothing is downloaded', async () => {
    const fake = fakeStudio({ saveFile: () => { throw new Error('/music is read-only: choose another folder'); } });
    const downloads: string[] = [];
    await expect(makeSaver(fake.api, 'electron', (f) => downloads.push(f.name))(file, 'abc')).rejects.toThrow('jig.abc was not saved: /music is read-only: choose another folder');
    expect(downloads).toEqual([]);
    expect(describeSave({ how: 'cancelled' }, 10)).toMatch(/nothing was written/);
    expect(describeSave({ how: 'saved', name: '/home/me/jig.abc' }, 2048)).toBe('Saved /home/me/jig.abc (2.0 KB)');
  });
});
