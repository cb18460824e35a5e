/**
 * The project's import graph, read with TypeScript's own pre-processor (static imports, `export ...
 * from`, type-only imports and `import()` with a literal specifier). Used by the boundary and
 * no-circles test (electron/boundaries.test.ts); `npx tsx scripts/import-graph.ts` prints every
 * circle it finds.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  from: string;
  /** A project file (relative to the root, forward slashes), or the bare package specifier. */
  to: string;
  /** The specifier as written. */
  specifier: string;
  /** `import type` / `export type` (erased at run time). */
  typeOnly: boolean;
  /** `import('...')`. */
  dynamic: boolean;
}

const SOURCE = /\.(ts|mts|svelte\.ts)$/;
const SKIP_DIRS = new Set(['node_modules', 'out', 'dist', '.git', 'test-results']);

export function listSources(root: string, folders: readonly string[]): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(path.join(dir, entry.name));
      } else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) files.push(path.join(dir, entry.name));
    }
  };
  for (const f of folders) if (fs.existsSync(path.join(root, f))) walk(path.join(root, f));
  return files.map((f) => path.relative(root, f).split(path.sep).join('/')).sort();
}

function resolveProjectFile(root: string, fromFile: string, specifier: string): string | null {
  let base: string;
  if (specifier.startsWith('@shared/') || specifier === '@shared') base = path.join(root, 'shared', specifier.slice('@shared'.length));
  else if (specifier.startsWith('.')) base = path.resolve(root, path.dirname(fromFile), specifier);
  else return null;
  const candidates = [base, `${base}.ts`, `${base}.svelte.ts`, path.join(base, 'index.ts')];
  if (/\.js$/.test(base)) candidates.push(base.replace(/\.js$/, '.ts'));
  for (const c of candidates) if (fs.existsSync(c) && fs.statSync(c).isFile()) return path.relative(root, c).split(path.sep).join('/');
  return null;
}

/** Which imports of a file are type-only (erased): `import type`, `export type`, or all named parts `type`. */
function typeOnlySpecifiers(source: ts.SourceFile): Set<string> {
  const typeOnly = new Set<string>();
  const valued = new Set<string>();
  for (const st of source.statements) {
    let spec: string | undefined;
    let onlyTypes = false;
    if (ts.isImportDeclaration(st) && ts.isStringLiteral(st.moduleSpecifier)) {
      spec = st.moduleSpecifier.text;
      const clause = st.importClause;
      onlyTypes = !!clause && (clause.isTypeOnly || (!clause.name && !!clause.namedBindings && ts.isNamedImports(clause.namedBindings) && clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly)));
    } else if (ts.isExportDeclaration(st) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
      spec = st.moduleSpecifier.text;
      onlyTypes = st.isTypeOnly;
    }
    if (spec === undefined) continue;
    (onlyTypes ? typeOnly : valued).add(spec);
  }
  for (const v of valued) typeOnly.delete(v);
  return typeOnly;
}

export function importEdges(root: string, files: readonly string[]): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const text = fs.readFileSync(path.join(root, file), 'utf8');
    const info = ts.preProcessFile(text, true, true);
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
    const typeOnly = typeOnlySpecifiers(source);
    const staticSpecs = new Set<string>();
    for (const st of source.statements) {
      if ((ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) staticSpecs.add(st.moduleSpecifier.text);
      // `import x = require('...')`
      if (ts.isImportEqualsDeclaration(st) && ts.isExternalModuleReference(st.moduleReference) && ts.isStringLiteral(st.moduleReference.expression)) staticSpecs.add(st.moduleReference.expression.text);
    }
    for (const ref of info.importedFiles) {
      const specifier = ref.fileName;
      const to = resolveProjectFile(root, file, specifier) ?? specifier;
      edges.push({ from: file, to, specifier, typeOnly: typeOnly.has(specifier), dynamic: !staticSpecs.has(specifier) });
    }
  }
  return edges;
}

/** Every elementary circle is too many to list; one circle per strongly connected component is enough to act on. */
export function findCircles(edges: readonly ImportEdge[]): string[][] {
  const graph = new Map<string, string[]>();
  for (const e of edges) {
    if (!graph.has(e.from)) graph.set(e.from, []);
    if (e.to !== e.from) graph.get(e.from)!.push(e.to);
  }
  // Tarjan's strongly connected components.
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const components: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index);
    index++;
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) components.push(comp.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return components;
}

/** Files reachable from `start` through edges `follow` accepts; returns the path to each. */
export function reachable(edges: readonly ImportEdge[], start: readonly string[], follow: (e: ImportEdge) => boolean): Map<string, string[]> {
  const out = new Map<string, ImportEdge[]>();
  for (const e of edges) {
    if (!follow(e)) continue;
    if (!out.has(e.from)) out.set(e.from, []);
    out.get(e.from)!.push(e);
  }
  const via = new Map<string, string[]>();
  const queue = [...start];
  for (const s of start) via.set(s, [s]);
  while (queue.length) {
    const v = queue.shift()!;
    for (const e of out.get(v) ?? []) {
      if (via.has(e.to)) continue;
      via.set(e.to, [...via.get(v)!, e.to]);
      queue.push(e.to);
    }
  }
  return via;
}

if (process.argv[1] && import.meta.url === new URL(`file://${path.resolve(process.argv[1])}`).href) {
  const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
  const edges = importEdges(root, listSources(root, ['shared', 'electron', 'renderer/src', 'engine-torch', 'bench', 'scripts', 'e2e']));
  const circles = findCircles(edges);
  for (const c of circles) console.log(`circle: ${c.join(' <-> ')}`);
  console.log(`${circles.length} circle(s)`);
}
