import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIo } from '../testing/io';
import { command } from './generate';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'seedsong-generate-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One take of the built-in default model; returns the seed it reports and the ABC it wrote. */
async function take(out: string, extra: string[] = [], random?: () => number): Promise<{ rngSeed: number; abc: string }> {
  const io = captureIo({ cwd: dir, random });
  expect(await command.run(['--length', '40', '--json', '--out', out, ...extra], io)).toBe(0);
  const line = JSON.parse(io.stdout[0]);
  return { rngSeed: line.rngSeed, abc: readFileSync(join(dir, out), 'utf8') };
}

describe('seedsong generate: fresh randomness', () => {
  it('without --rng-seed every run draws a new seed and says which; --rng-seed with it makes the same take again', async () => {
    const a = await take('a.abc');
    const b = await take('b.abc');
    expect(Number.isInteger(a.rngSeed) && a.rngSeed >= 0 && a.rngSeed < 2 ** 32).toBe(true);
    expect(b.rngSeed).not.toBe(a.rngSeed);
    expect(b.abc).not.toBe(a.abc);
    const again = await take('again.abc', ['--rng-seed', String(a.rngSeed)]);
    expect(again).toEqual(a);
  }, 60_000);

  it('the seed is drawn where the request is made (a parameter), and printed without --json', async () => {
    expect((await take('drawn.abc', [], () => 1234)).rngSeed).toBe(1234);
    const io = captureIo({ cwd: dir, random: () => 99 });
    expect(await command.run(['--length', '16', '--out', 'plain.abc'], io)).toBe(0);
    expect(io.stdout.at(-1)).toMatch(/rng seed 99 \(--rng-seed 99 makes them again\)$/);
  }, 60_000);
});

describe('seedsong generate: each take carries its own title', () => {
  it("a take is called after its seed's T: and its number; without a seed, by its number", async () => {
    const seeded = await take('kesh.abc', ['--count', '2', '--rng-seed', '5', '--seed-abc', 'X:1\\nT:The Kesh\\nM:6/8\\nL:1/8\\nK:G\\nGAG GAB|']);
    expect(seeded.abc.match(/^T:.*$/gm)).toEqual(['T:The Kesh, take 1', 'T:The Kesh, take 2']);
    expect(seeded.abc).toMatch(/^X:1\nT:The Kesh, take 1\n/);
    const bare = await take('bare.abc', ['--rng-seed', '6']);
    expect(bare.abc.match(/^T:.*$/gm)).toEqual(['T:Take 1']);
  }, 60_000);
});
