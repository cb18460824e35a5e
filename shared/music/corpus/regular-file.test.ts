/** Regular files only, with a size limit (issue #18 item 8): FIFOs, devices and /dev/zero links are refused at once. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { FileRefused, readRegularFile } from './regular-file';
import { loadCorpus } from './files';

const posix = process.platform !== 'win32';
let dir: string;
let fifo: string | null = null;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seedsong-regular-'));
  fs.writeFileSync(path.join(dir, 'tune.abc'), 'X:1\nT:Fine\nK:G\nGABc d2B2|]\n');
  if (posix) {
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.abc'));
    fs.symlinkSync('/dev/null', path.join(dir, 'null.mid'));
    if (spawnSync('mkfifo', [path.join(dir, 'pipe.abc')]).status === 0) fifo = path.join(dir, 'pipe.abc');
    else console.log('regular-file: FIFO case skipped: mkfifo is not available');
    // A name whose bytes are not UTF-8 (Latin-1 "é"): Node lists it with U+FFFD.
    fs.writeFileSync(Buffer.concat([Buffer.from(path.join(dir, 'caf')), Buffer.from([0xe9]), Buffer.from('.abc')]), 'X:1\nT:Latin\nK:D\nDEFG A2|]\n');
  }
  fs.writeFileSync(path.join(dir, 'big.abc'), 'x'.repeat(2000));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const refusal = async (file: string, maxBytes?: number) => {
  try {
    await readRegularFile(file, { maxBytes, display: path.basename(file) });
  } catch (e) {
    return e as FileRefused;
  }
  throw new Error(`${file} was read`);
};

describe('readRegularFile', () => {
  it('reads a regular file', async () => {
    expect((await readRegularFile(path.join(dir, 'tune.abc'))).toString()).toMatch(/T:Fine/);
  });

  it.skipIf(!posix)('refuses a link to /dev/zero and /dev/null, a folder and a FIFO at once, naming what they are', async () => {
    expect(await refusal(path.join(dir, 'zero.abc'))).toMatchObject({ reason: 'not-regular', message: expect.stringMatching(/^zero\.abc: a character device, not a regular file/) });
    expect(await refusal(path.join(dir, 'null.mid'))).toMatchObject({ reason: 'not-regular' });
    expect(await refusal(dir)).toMatchObject({ reason: 'not-regular', message: expect.stringMatching(/a folder/) });
    if (fifo) expect(await refusal(fifo)).toMatchObject({ reason: 'not-regular', message: expect.stringMatching(/named pipe/) });
  });

  it('refuses a file over the limit, and a missing one', async () => {
    expect(await refusal(path.join(dir, 'big.abc'), 1000)).toMatchObject({ reason: 'too-large', message: expect.stringMatching(/2000 bytes is more than the 1000/) });
    expect(await refusal(path.join(dir, 'nope.abc'))).toMatchObject({ reason: 'not-found' });
  });

  it.skipIf(!posix)('opens a file whose name is not UTF-8, by the name Node shows for it', async () => {
    const shown = fs.readdirSync(dir).find((n) => n.startsWith('caf') && n.endsWith('.abc'))!;
    expect(shown).toContain('\uFFFD');
    expect((await readRegularFile(path.join(dir, shown))).toString()).toMatch(/T:Latin/);
  });
});

describe.skipIf(!posix)('a corpus with odd files', () => {
  it('reads the good tunes and reports the odd files without hanging', async () => {
    const paths = [dir, path.join(dir, 'zero.abc'), ...(fifo ? [fifo] : [])];
    const corpus = await loadCorpus(paths, { encodings: [], workers: 0 });
    expect(corpus.stats.tunes).toBe(2); // tune.abc and the Latin-1 named file
    const messages = corpus.files.flatMap((f) => f.errors.map((e) => e.message)).join('\n');
    expect(messages).toMatch(/zero\.abc: a character device, not a regular file/);
    if (fifo) expect(messages).toMatch(/pipe\.abc: a named pipe/);
  });
});
