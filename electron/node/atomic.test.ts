import { describe, it, expect } from 'vitest';
import { promises as fs, existsSync, utimesSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { cleanStaleTemps, writeDirAtomic, writeFileAtomic } from './atomic';
import { ModelCatalog } from './catalog';
import { tempDir } from '../engine/testing/fixtures';

/** A pid that ran and has exited. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid!;
}

async function touch(p: string, dir = false): Promise<void> {
  if (dir) {
    await fs.mkdir(p, { recursive: true });
    await fs.writeFile(path.join(p, 'model.json'), '{}');
  } else {
    await fs.mkdir(path.dirname(p), { recursive: true });
    await fs.writeFile(p, 'x');
  }
}

describe('cleanStaleTemps (library open after a crash)', () => {
  it('removes the leftovers of dead writers, keeps live writers and anything not ours', async () => {
    const root = await tempDir();
    const dead = deadPid();
    const model = path.join(root, 'jigs');
    await touch(path.join(model, 'seedsong.json'));
    const stale = [
      path.join(root, `.reels.${dead}.0a1b2c3d.tmp`), // a new model folder never renamed in
      path.join(model, `.seedsong.json.${dead}.deadbeef.tmp`),
      path.join(model, 'checkpoints', `.epoch-0003.${dead}.12345678.tmp`),
      path.join(model, 'checkpoints', `.best.${dead}.87654321.tmp.old`),
      path.join(root, `.deleting-old-abc123`),
    ];
    await touch(stale[0], true);
    await touch(stale[1]);
    await touch(stale[2], true);
    await touch(path.join(model, 'checkpoints', 'best', 'trainer.json'));
    await touch(stale[3], true);
    await touch(stale[4], true);
    const kept = [
      path.join(model, `.seedsong.json.${process.pid}.0badf00d.tmp`), // this process is writing it
      path.join(root, 'notes.tmp'), // a user's file
      path.join(model, '.my-settings.tmp'),
      path.join(root, `.reels.${dead}.xyz.tmp`), // not our pattern
      path.join(model, 'checkpoints', 'best', 'trainer.json'),
    ];
    for (const k of kept.slice(0, 4)) await touch(k);
    const r = await cleanStaleTemps(root);
    for (const s of stale) expect(existsSync(s), s).toBe(false);
    for (const k of kept) expect(existsSync(k), k).toBe(true);
    expect(r.removed.sort()).toEqual([...stale].sort());
    expect(r.restored).toEqual([]);
  });

  it('a live pid does not protect a temporary file older than the stale limit', async () => {
    const root = await tempDir();
    const p = path.join(root, `.a.json.${process.pid}.00112233.tmp`);
    await touch(p);
    const hourAgo = Date.now() / 1000 - 3700;
    utimesSync(p, hourAgo, hourAgo);
    expect((await cleanStaleTemps(root)).removed).toEqual([p]);
  });

  it('puts a folder back when the kill came between moving it aside and renaming the new one in', async () => {
    const root = await tempDir();
    const dead = deadPid();
    const cps = path.join(root, 'm', 'checkpoints');
    // Only the set-aside old copy survived: it comes back.
    await touch(path.join(cps, `.best.${dead}.aaaaaaaa.tmp.old`), true);
    // Both the old copy and the complete new one: the new one comes back, the old one goes.
    await touch(path.join(cps, `.last.${dead}.bbbbbbbb.tmp`), true);
    await touch(path.join(cps, `.last.${dead}.cccccccc.tmp.old`), true);
    const r = await cleanStaleTemps(root);
    expect(r.restored.sort()).toEqual([path.join(cps, 'best'), path.join(cps, 'last')]);
    expect((await fs.readdir(cps)).sort()).toEqual(['best', 'last']);
  });

  it('the catalogue cleans once, when it is first listed', async () => {
    const root = await tempDir();
    const p = path.join(root, `.x.${deadPid()}.01234567.tmp`);
    await touch(p);
    const cat = new ModelCatalog(root);
    expect(await cat.list()).toEqual([]);
    expect(existsSync(p)).toBe(false);
    await touch(p);
    await cat.list();
    expect(existsSync(p)).toBe(true); // once per opening, not on every listing
    expect((await new ModelCatalog(root).open()).removed).toEqual([p]);
  });

  it('atomic writes leave nothing behind when they finish', async () => {
    const root = await tempDir();
    await writeFileAtomic(path.join(root, 'a.json'), '{}');
    await writeDirAtomic(path.join(root, 'd'), async (tmp) => fs.writeFile(path.join(tmp, 'f'), 'x'));
    await writeDirAtomic(path.join(root, 'd'), async (tmp) => fs.writeFile(path.join(tmp, 'g'), 'y'));
    expect((await fs.readdir(root)).sort()).toEqual(['a.json', 'd']);
    expect(await fs.readdir(path.join(root, 'd'))).toEqual(['g']);
  });
});
