/**
 * Where the shared corpora are: the first shared/corpora (or corpora beside a shared/ folder) found
 * walking up from a folder. Worktrees sit at /work/wt/x with /work/wt/shared beside them; the main
 * checkout has ../shared. Node-only (tests and benches); never imported by index.ts.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export function findCorpora(from: string): string | null {
  let dir = resolve(from);
  for (;;) {
    for (const candidate of [join(dir, 'shared', 'corpora'), join(dir, 'corpora')]) {
      try {
        if (existsSync(candidate) && statSync(candidate).isDirectory() && existsSync(join(candidate, 'SOURCES.md'))) return candidate;
      } catch {
        // unreadable: keep looking
      }
    }
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}
