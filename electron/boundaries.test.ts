/**
 * The process line, checked on the import graph (scripts/import-graph.ts):
 * - main, preload, studio and server run in the studio's process: nothing they load at run time
 *   (static imports, followed through every file) may reach @tensorflow/*; TensorFlow.js runs in the
 *   engine process only.
 * - Their only door into electron/engine is the protocol (engine/protocol.ts).
 * - No import circles anywhere in the project's TypeScript.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findCircles, importEdges, listSources, reachable, type ImportEdge } from '../scripts/import-graph';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const STUDIO_SIDE = ['electron/main', 'electron/preload', 'electron/studio', 'electron/server'];
const PROTOCOL = 'electron/engine/protocol.ts';
const isTest = (f: string) => /\.test\.ts$|\/testing\//.test(f);

const edges = importEdges(root, listSources(root, ['shared', 'electron', 'renderer/src', 'engine-torch', 'bench', 'scripts', 'e2e']));
/** What is loaded when a file is loaded: value imports written at the top of a file. */
const loadsAtStart = (e: ImportEdge) => !e.typeOnly && !e.dynamic;

function tfjsPaths(all: readonly ImportEdge[], starts: readonly string[]): string[] {
  const via = reachable(all, starts, loadsAtStart);
  return [...via.entries()].filter(([to]) => to.startsWith('@tensorflow/')).map(([, p]) => p.join(' -> '));
}

function engineImports(all: readonly ImportEdge[], from: (f: string) => boolean): string[] {
  return all.filter((e) => from(e.from) && e.to.startsWith('electron/engine/') && e.to !== PROTOCOL).map((e) => `${e.from} imports ${e.specifier}`);
}

describe('the process line', () => {
  const studioSide = edges.map((e) => e.from).filter((f, i, a) => a.indexOf(f) === i && STUDIO_SIDE.some((d) => f.startsWith(d + '/')) && !isTest(f));

  it('finds the studio side (so the checks below look at something)', () => {
    expect(studioSide).toContain('electron/main/index.ts');
    expect(studioSide).toContain('electron/studio/index.ts');
    expect(studioSide).toContain('electron/server/index.ts');
    expect(studioSide).toContain('electron/studio/engine-client.ts');
  });

  it('main, preload, studio and server cannot reach @tensorflow/* through static imports', () => {
    expect(tfjsPaths(edges, studioSide)).toEqual([]);
  });

  it('main, preload, studio and server import no engine file but the protocol', () => {
    expect(engineImports(edges, (f) => studioSide.includes(f))).toEqual([]);
  });

  it('the protocol itself loads no TensorFlow.js', () => {
    expect(tfjsPaths(edges, [PROTOCOL])).toEqual([]);
  });

  it('no import circles', () => {
    expect(findCircles(edges).map((c) => c.join(' <-> '))).toEqual([]);
  });

  it('the checks catch what they look for (a made-up graph)', () => {
    const e = (from: string, to: string, extra: Partial<ImportEdge> = {}): ImportEdge => ({ from, to, specifier: to, typeOnly: false, dynamic: false, ...extra });
    const fake = [
      e('electron/studio/a.ts', 'electron/engine/protocol.ts'),
      e('electron/engine/protocol.ts', 'electron/engine/b.ts'),
      e('electron/engine/b.ts', '@tensorflow/tfjs'),
      e('electron/studio/c.ts', 'electron/engine/jobs.ts', { typeOnly: true }),
      e('electron/studio/d.ts', '@tensorflow/tfjs', { dynamic: true }),
      e('x.ts', 'y.ts'),
      e('y.ts', 'x.ts', { typeOnly: true }),
    ];
    expect(tfjsPaths(fake, ['electron/studio/a.ts'])).toEqual(['electron/studio/a.ts -> electron/engine/protocol.ts -> electron/engine/b.ts -> @tensorflow/tfjs']);
    expect(tfjsPaths(fake, ['electron/studio/c.ts', 'electron/studio/d.ts'])).toEqual([]);
    expect(engineImports(fake, (f) => f.startsWith('electron/studio/'))).toEqual(['electron/studio/c.ts imports electron/engine/jobs.ts']);
    expect(findCircles(fake)).toEqual([['x.ts', 'y.ts']]);
  });
});
