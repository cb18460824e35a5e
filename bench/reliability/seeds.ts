/**
 * Seed files for the importer fuzz: real files from ../shared/corpora when it is there (never
 * copied into the project), and always a few built-in tunes (so the suite runs anywhere).
 */
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAbc, splitAbcBook, writeMidi } from '@shared/music/index';

export const CORPORA = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../shared/corpora');

const BUILT_IN_ABC = [
  `X:1
T:The Seed Jig
M:6/8
L:1/8
Q:3/8=110
K:D
|:A|dfa afd|gfe fed|(3efg e c2A|BcA AGF|
dfa afd|gfe fed|cde AFD|E3 D2:|
|:g|fga agf|~g3 gfe|[1 fed B2A:|[2 fed d2||`,
  `X:2
T:Two Voices
M:4/4
L:1/8
K:Am
V:1
A2 Bc d2 ec|{g}A2 (3Bcd e4|]
V:2 clef=bass
A,,4 E,4|A,,8|]`,
  `X:3
T:Reel with chords
M:C|
L:1/8
K:G
"G"G2 BG dGBG|"C"c2 ec "D"dBAF|"G"[GBd]4 z4|^F=F_E^^D __B,2 z2|`,
  `X:4
T:Waltz in parts
M:3/4
L:1/4
P:AB
K:F
P:A
F G A|B2 c|A3|]
P:B
c> B A|G/F/ E F|F3|]`,
];

export interface Seeds {
  abc: { name: string; text: string }[];
  mid: { name: string; data: Uint8Array }[];
  /** Where the seeds came from, for the report. */
  source: string;
}

function filesUnder(dir: string, ext: string, out: string[] = []): string[] {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) filesUnder(p, ext, out);
    else if (e.name.toLowerCase().endsWith(ext)) out.push(p);
  }
  return out;
}

/** Every k-th element so the sample spans the whole (sorted) list. */
function spread<T>(xs: T[], n: number): T[] {
  if (xs.length <= n) return xs;
  const step = xs.length / n;
  return Array.from({ length: n }, (_, i) => xs[Math.floor(i * step)]);
}

export interface SeedOptions {
  maxAbc?: number;
  maxMid?: number;
  /** Ignore the corpora (fast, and the same on every machine). */
  builtInOnly?: boolean;
}

export function loadSeeds(opts: SeedOptions = {}): Seeds {
  const abc = BUILT_IN_ABC.map((text, i) => ({ name: `built-in-${i + 1}.abc`, text }));
  const mid: Seeds['mid'] = [];
  for (const s of abc) {
    for (const tune of parseAbc(s.text).tunes) mid.push({ name: s.name.replace('.abc', '.mid'), data: writeMidi(tune.sequence) });
  }
  const haveCorpora = !opts.builtInOnly && fs.existsSync(CORPORA);
  if (haveCorpora) {
    const tunes: { name: string; text: string }[] = [];
    for (const file of filesUnder(CORPORA, '.abc')) {
      const text = fs.readFileSync(file, 'utf8');
      const book = splitAbcBook(text);
      for (const t of spread(book.tunes, 20)) tunes.push({ name: `${path.relative(CORPORA, file)}#${t.x}`, text: [...book.header, t.text].join('\n') });
    }
    abc.push(...spread(tunes, opts.maxAbc ?? 400));
    const mids = filesUnder(CORPORA, '.mid').filter((f) => fs.statSync(f).size < 128 * 1024);
    // Every edge-case test file, then a spread of the rest.
    const testcases = mids.filter((f) => f.includes('midi_smf_testcases'));
    const rest = spread(mids.filter((f) => !f.includes('midi_smf_testcases')), (opts.maxMid ?? 300) - testcases.length);
    for (const f of [...testcases, ...rest]) mid.push({ name: path.relative(CORPORA, f), data: new Uint8Array(fs.readFileSync(f)) });
  }
  return {
    abc,
    mid,
    source: haveCorpora
      ? `${abc.length} ABC tunes and ${mid.length} MIDI files (built-in + ${CORPORA})`
      : `built-in only (${opts.builtInOnly ? 'as asked' : `${CORPORA} is absent`}): ${abc.length} ABC tunes, ${mid.length} MIDI files`,
  };
}
