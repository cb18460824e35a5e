/**
 * Our ABC reading against Debian's abc2midi, on a fixed seeded sample of ~150 tunes per collection
 * (bench/abc-oracle.ts runs every tune). Needs abc2midi and ../shared/corpora.
 */
import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Abc2midi, compareFileWithAbc2midi, compareMelodies, findAbc2midi, neutralizeForAbc2midi, spellOutRepeatStarts, type OracleTune } from './abc2midi';
import { splitAbcBook } from './book';
import { hash53 } from '../corpus/corpus';
import { impliedRepeatStarts, parseAbc } from './read';

const CORPORA = '/work/shared/corpora';
const exe = findAbc2midi();
const hasCorpora = existsSync(CORPORA);
if (!exe) console.log('skipping the abc2midi oracle: abc2midi is not installed (apt-get install abcmidi)');
if (!hasCorpora) console.log(`skipping the abc2midi oracle on corpora: ${CORPORA} is absent`);

const walk = (d: string): string[] => readdirSync(d).sort().flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.abc') ? [join(d, f)] : []));

describe.skipIf(!exe)('abc2midi oracle', () => {
  it('agrees on a small tune with repeats, endings, ties, triplets, chords and grace notes', () => {
    const abc = 'X:1\nT:t\nM:6/8\nL:1/8\nR:hornpipe\nK:Ador\n|:A2B c>d e|{g}[CEG]2 (3abc ~f|1 A3 A3:|2 ^G3 =G3-|G6|]\n';
    const oracle = new Abc2midi(exe!);
    try {
      const theirs = oracle.melody(neutralizeForAbc2midi(abc));
      expect(theirs).not.toBeNull();
      expect(compareMelodies(parseAbc(abc).tunes[0].sequence, theirs!)).toEqual({ kind: 'none' });
    } finally {
      oracle.dispose();
    }
  });

  it('a section after 1st/2nd endings that ends in :| without |: repeats itself (abc2midi needs the |: spelled out)', () => {
    const abc = 'X:1\nL:1/8\nK:C\nC D |[1 E F :|[2 G A ||\nd e | f g :|\n';
    const tune = parseAbc(abc).tunes[0];
    expect(tune.sequence.notes.map((n) => n.pitch)).toEqual([60, 62, 64, 65, 60, 62, 67, 69, 74, 76, 77, 79, 74, 76, 77, 79]);
    const spelled = spellOutRepeatStarts(abc, impliedRepeatStarts(tune));
    expect(spelled).toBe('X:1\nL:1/8\nK:C\nC D |[1 E F :|[2 G A |:\nd e | f g :|\n');
    const oracle = new Abc2midi(exe!);
    try {
      // As written, abc2midi plays C D (up to the [1) instead of the section: the documented quirk.
      expect(compareMelodies(tune.sequence, oracle.melody(abc)!).kind).not.toBe('none');
      expect(compareMelodies(tune.sequence, oracle.melody(spelled)!)).toEqual({ kind: 'none' });
    } finally {
      oracle.dispose();
    }
  });

  it('a second :| that repeats from the first :| is spelled :: for abc2midi; inline fields keep their letters', () => {
    const abc = 'X:1\nM:2/4\nL:1/8\nK:D\nd2 d2|e4 :|\nf2 f2|g4 :|\n';
    const tune = parseAbc(abc).tunes[0];
    expect(tune.sequence.notes.map((n) => n.pitch)).toEqual([74, 74, 76, 74, 74, 76, 78, 78, 79, 78, 78, 79]);
    const spelled = spellOutRepeatStarts(abc, impliedRepeatStarts(tune));
    expect(spelled).toBe('X:1\nM:2/4\nL:1/8\nK:D\nd2 d2|e4 ::\nf2 f2|g4 :|\n');
    const oracle = new Abc2midi(exe!);
    try {
      expect(compareMelodies(tune.sequence, oracle.melody(spelled)!)).toEqual({ kind: 'none' });
    } finally {
      oracle.dispose();
    }
    // Decorations go (T, P, ~, !trill!), inline fields stay whole ([P:O] was [:] to abc2midi), [R:] goes.
    expect(neutralizeForAbc2midi('X:1\nK:D\n[P:O] TA2 [M:3/4] ~B !trill!c [R:hornpipe]"Tp"d|\n').split('\n').slice(2)).toEqual(['K:D', '[P:O] A2 [M:3/4] B c "Tp"d|', '']);
  });

  it.skipIf(!hasCorpora)('agrees on a seeded sample of every ABC collection', { timeout: 240_000 }, async () => {
    const oracle = new Abc2midi(exe!);
    const lines: string[] = [];
    let same = 0;
    let total = 0;
    try {
      for (const coll of readdirSync(CORPORA).filter((d) => d.startsWith('abc_')).sort()) {
        // Let the worker answer vitest between collections (its RPC gives up on a worker blocked for 60 s).
        await new Promise((r) => setImmediate(r));
        const files = walk(join(CORPORA, coll)).map((f) => ({ f, text: readFileSync(f, 'utf8') }));
        const all = files.flatMap(({ f, text }) => splitAbcBook(text).tunes.map((t) => ({ f, i: t.index, h: hash53(`${f.slice(CORPORA.length)}:${t.index}`, 42) })));
        const chosen = new Set(all.sort((a, b) => a.h - b.h).slice(0, 150).map((x) => `${x.f}:${x.i}`));
        const results: OracleTune[] = [];
        for (const { f, text } of files) {
          if (![...chosen].some((c) => c.startsWith(f + ':'))) continue;
          results.push(...compareFileWithAbc2midi(oracle, f, text, (i) => chosen.has(`${f}:${i}`)));
        }
        const ok = results.filter((r) => r.kind === 'none').length;
        same += ok;
        total += results.length;
        lines.push(`${coll}: ${ok}/${results.length} identical`);
        for (const r of results.filter((r) => r.kind !== 'none').slice(0, 2)) lines.push(`   ${r.kind} ${r.file.slice(CORPORA.length + 1)}:${r.line} ${r.detail ?? ''}`);
        expect(ok / results.length, `${coll} agreement`).toBeGreaterThanOrEqual(0.85);
      }
    } finally {
      oracle.dispose();
      console.log(lines.join('\n'));
    }
    expect(same / total).toBeGreaterThanOrEqual(0.93);
  });
});
