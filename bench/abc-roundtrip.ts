/**
 * ABC -> ABC round trip over the shared corpora (issue #14): every tune is read (parseAbc), its
 * tune form written back (writeTuneForm) and read again. Per collection:
 * - same notes: the performance of the copy equals the original's (pitch, onset, length at 12
 *   steps per quarter; repeats, endings and P: order followed);
 * - repeats kept: the copy has the same repeat bar lines and endings, in the same bars, as the
 *   original's form (among tunes with repeats);
 * - bar accents: abc2midi plays the copy with its bar accents (beat velocities) on the same notes
 *   as the original (both copies with neutralizeForAbc2midi's edits), i.e. the bar lines fall where
 *   they were written.
 *   npx tsx bench/abc-roundtrip.ts [corpora-dir] [--only NAME] [--examples N] [--no-abc2midi]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Abc2midi, compareMelodies, findAbc2midi, neutralizeForAbc2midi, spellOutRepeatStarts } from '@shared/music/abc/abc2midi';
import { commentOutHeaderText, inheritedHeader, splitAbcBook } from '@shared/music/abc/book';
import { impliedRepeatStarts, parseAbc, parseAbcTune } from '@shared/music/abc/read';
import { writeTuneForm } from '@shared/music/tune/write';
import type { TuneForm } from '@shared/music/tune/form';
import type { NoteSequence } from '@shared/music/types';
import { findCorpora } from '@shared/music/testing/corpora';

const args = process.argv.slice(2);
const flag = (name: string) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : undefined;
};
const only = flag('--only');
const examples = Number(flag('--examples') ?? 2);
const noOracle = args.includes('--no-abc2midi');
if (noOracle) args.splice(args.indexOf('--no-abc2midi'), 1);
const root = args[0] ?? findCorpora(new URL('.', import.meta.url).pathname);
if (!root) {
  console.log('no shared/corpora found above this folder; nothing to measure');
  process.exit(0);
}
const exe = noOracle ? null : findAbc2midi();
if (!exe && !noOracle) console.log('abc2midi is not installed: bar accents not measured');
const oracle = exe ? new Abc2midi(exe) : null;

const walk = (d: string): string[] => readdirSync(d).sort().flatMap((f) => (statSync(join(d, f)).isDirectory() ? walk(join(d, f)) : f.endsWith('.abc') ? [join(d, f)] : []));
/** The repeat structure of the melody: bar index, repeat bar line, ending. */
const repeats = (form: TuneForm) => {
  const v = form.voices.find((x) => x.notes.length > 0) ?? form.voices[0];
  const marks: string[] = [];
  if (v.opening === '|:' || v.opening === '::') marks.push(`0${v.opening}`);
  v.bars.forEach((b, i) => {
    if (b.line === '|:' || b.line === ':|' || b.line === '::') marks.push(`${i}${b.line}`);
    if (b.ending) marks.push(`${i}[${b.ending}`);
  });
  return marks.join(' ');
};
/** Onsets abc2midi accents as a bar's first beat (its loudest velocity), at 12 steps per quarter. */
const accents = (s: NoteSequence) => {
  const top = s.notes.reduce((m, n) => Math.max(m, n.velocity), 0);
  return s.notes.filter((n) => n.velocity === top).map((n) => Math.round(n.start * 12)).join(',');
};

const t0 = performance.now();
const total = { tunes: 0, same: 0, withRepeats: 0, repeatsKept: 0, accentsCompared: 0, accentsSame: 0, failed: 0 };
for (const coll of readdirSync(root).filter((d) => d.startsWith('abc_') && (!only || d.includes(only))).sort()) {
  const c = { tunes: 0, same: 0, withRepeats: 0, repeatsKept: 0, accentsCompared: 0, accentsSame: 0, failed: 0 };
  const bad: string[] = [];
  const pairs: { where: string; original: string; copy: string }[] = [];
  for (const f of walk(join(root, coll))) {
    const text = readFileSync(f, 'utf8');
    const book = splitAbcBook(text);
    const header = inheritedHeader(book.header);
    for (const t of book.tunes) {
      let a;
      try {
        a = parseAbcTune(t, header, { file: f });
      } catch {
        continue; // not readable in the first place: not a round trip
      }
      c.tunes++;
      const where = `${f.slice(root.length + 1)}:${t.line} X:${t.x}`;
      const copy = writeTuneForm(a.form);
      const r = parseAbc(copy, { file: 'copy' });
      const b = r.tunes[0];
      if (!b) {
        c.failed++;
        if (bad.length < examples) bad.push(`${where}: the copy does not read: ${r.errors[0]?.message}`);
        continue;
      }
      const cmp = compareMelodies(b.sequence, a.sequence);
      if (cmp.kind === 'none') c.same++;
      else if (bad.length < examples) bad.push(`${where}: ${cmp.kind} ${cmp.detail ?? ''}`);
      const ra = repeats(a.form);
      if (ra) {
        c.withRepeats++;
        if (ra === repeats(b.form)) c.repeatsKept++;
        else if (bad.length < examples) bad.push(`${where}: repeats ${ra} -> ${repeats(b.form)}`);
      }
      const nl = t.text.indexOf('\n');
      const full = header.length ? t.text.slice(0, nl + 1) + header.join('\n') + '\n' + t.text.slice(nl + 1) : t.text;
      // abc2midi gets the original with the repeat starts we read spelled out (it reads implied ones
      // differently, see abc2midi.ts): the copy writes them out too.
      pairs.push({ where, original: neutralizeForAbc2midi(spellOutRepeatStarts(commentOutHeaderText(full), impliedRepeatStarts(a))), copy: neutralizeForAbc2midi(copy) });
    }
  }
  if (oracle)
    for (let i = 0; i < pairs.length; i += 200) {
      const chunk = pairs.slice(i, i + 200);
      const before = oracle.melodies(chunk.map((p) => p.original));
      const after = oracle.melodies(chunk.map((p) => p.copy));
      chunk.forEach((p, j) => {
        if (!before[j] || !after[j]) return;
        c.accentsCompared++;
        if (accents(before[j]!) === accents(after[j]!)) c.accentsSame++;
        else if (bad.length < examples * 2) bad.push(`${p.where}: abc2midi's bar accents moved`);
      });
    }
  for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += c[k];
  const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(2)}%`;
  console.log(`${coll.padEnd(22)} same notes ${c.same}/${c.tunes} (${pct(c.same, c.tunes)})  repeats kept ${c.repeatsKept}/${c.withRepeats}  bar accents ${oracle ? `${c.accentsSame}/${c.accentsCompared} (${pct(c.accentsSame, c.accentsCompared)})` : 'not measured'}${c.failed ? `  copies unreadable ${c.failed}` : ''}`);
  for (const b of bad) console.log(`    ${b}`);
}
oracle?.dispose();
const pct = (a: number, b: number) => `${((100 * a) / Math.max(1, b)).toFixed(2)}%`;
console.log(`all ABC collections: same notes ${total.same}/${total.tunes} (${pct(total.same, total.tunes)}), repeats kept ${total.repeatsKept}/${total.withRepeats}, bar accents ${total.accentsSame}/${total.accentsCompared} (${pct(total.accentsSame, total.accentsCompared)}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
