/**
 * A take keeps a typed seed as the musician wrote it (title, rhythm, pickup, bar lines, repeats,
 * endings, chord symbols, K:Dmix), then the continuation in the model's spelling. abc2midi is the
 * oracle where it is installed: the joined text reads without errors and plays the notes of the
 * take as the model wrote it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Abc2midi, compareMelodies, findAbc2midi, neutralizeForAbc2midi } from '../abc/abc2midi';
import { parseAbc } from '../abc/read';
import { beamByBeat } from '../tune/beam';
import { buildEncoding, seedToTune, type Encoding } from '../encodings/index';
import { makeAbcEncoding } from '../encodings/abc-text';
import { primeSeed } from './prime';
import { takeWithSeedAsWritten } from './take';

const BANISH = `X:1
T:Banish Misfortune
R:jig
M:6/8
L:1/8
K:Dmix
fed|:cAG A2d|cAG A2B|cAG A2d|cAG A2B|
"D"dfe dcA|"G"GAB cAG|"C"c2d e2f|1 gfe d3:|2 gfe d2B|`;

// A small corpus in the styles of the seeds: the version-2 vocabulary has their words.
const CORPUS = [
  BANISH + ']\n',
  'X:2\nM:6/8\nL:1/8\nK:D\nA|dfa afd|gbg fed|e3 c3|d3 d2:|\n|:fga bag|f2e d3/2c/B|A3 A3:|\n',
  'X:3\nM:2/4\nL:1/16\nK:G\nGABc d2B2|c2A2 F4|G8|]\n',
  'X:4\nM:4/4\nL:1/4\nK:Ador\nA B c d|e2 [CE]2|]\n',
].map((t) => seedToTune(t));
const v2 = buildEncoding('abc-token', CORPUS);

const abc2midi = findAbc2midi();
if (!abc2midi) console.log('take.test: abc2midi is not installed: joined takes are checked with abcjs only');
const oracle = abc2midi ? new Abc2midi(abc2midi) : null;
const scratch = mkdtempSync(join(tmpdir(), 'seedsong-take-'));
afterAll(() => {
  oracle?.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

/** abc2midi's complaints about a text ("Error" lines), or [] when it is absent. */
function abc2midiErrors(text: string): string[] {
  if (!abc2midi) return [];
  const file = join(scratch, 't.abc');
  writeFileSync(file, text);
  const r = spawnSync(abc2midi, [file, '-o', join(scratch, 't.mid')], { encoding: 'utf8' });
  return `${r.stdout}\n${r.stderr}`.split('\n').filter((l) => /error/i.test(l));
}

/** The ids of version-2 tokens written as a tune body (after K:). */
function body(encoding: Encoding, abc: string): number[] {
  const words = encoding.tokenize!(`X:1\nL:1/8\nK:C\n${abc}\n`).filter((t) => !/^K:/.test(t));
  return words.map((w) => {
    const id = encoding.tokens.indexOf(w);
    if (id < 0) throw new Error(`${w} is not in the test vocabulary`);
    return id;
  });
}

/** Primes `seed`, appends `continuation` (ABC body text in the model's words) and joins the take. */
function take(seed: string, continuation: string, encoding: Encoding = v2) {
  const primed = primeSeed(encoding, { kind: 'abc', text: seed });
  const ids = [...primed.ids, ...body(encoding, continuation), encoding.eos];
  const decoded = encoding.decode(ids);
  const kept = primed.text !== undefined ? takeWithSeedAsWritten(encoding, primed.text, primed.ids, ids) : null;
  return { primed, decoded, kept };
}

/** The joined text plays the take's notes for abcjs and for abc2midi, which reads it without errors. */
function expectPlaysTheTake(text: string, decoded: ReturnType<Encoding['decode']>): void {
  const read = parseAbc(text, { file: 'take' });
  expect(read.errors).toEqual([]);
  expect(read.tunes[0].warnings, text).toEqual([]);
  expect(read.tunes[0].sequence.notes.map((n) => [n.pitch, n.start, n.end])).toEqual(decoded.sequence.notes.map((n) => [n.pitch, n.start, n.end]));
  expect(abc2midiErrors(text), text).toEqual([]);
  if (oracle) {
    const theirs = oracle.melody(neutralizeForAbc2midi(text));
    expect(theirs, text).not.toBeNull();
    expect(compareMelodies(read.tunes[0].sequence, theirs!).kind, text).toBe('none');
  }
}

describe('a take keeps the typed seed as written', () => {
  it('Banish Misfortune: pickup, |: :|, first and second endings, chord symbols, K:Dmix and the title, then the continuation', () => {
    const { primed, decoded, kept } = take(BANISH, 'BAG FGB|cAF d2e|FGA dcA|B2A G3|BAG FGB|:cAF d2e:|');
    expect(primed.text).toBe(BANISH);
    expect(primed.chordSymbols).toBe(3);
    expect(kept).not.toBeNull();
    expect(kept!.abc.startsWith(BANISH)).toBe(true);
    expect(kept!.seedChars).toBe(BANISH.length);
    // The seed ended at a bar line at the end of its line: the continuation starts the next line,
    // four bars to a line counted from there (the model's spelling counts from the tune's start).
    expect(kept!.abc.slice(BANISH.length)).toBe('\nBAGFGB|cAFd2e|FGAdcA|B2AG3|\nBAGFGB|:cAFd2e:|\n');
    expectPlaysTheTake(kept!.abc, decoded);
    // Decoding the whole take respells the seed: that is what the join avoids.
    expect(decoded.abc).not.toContain('"D"');
    expect(decoded.abc).not.toContain('T:Banish');
    // Beaming groups the continuation by beat and leaves the seed as written.
    const beamed = beamByBeat(kept!.abc, { from: kept!.seedChars });
    expect(beamed.startsWith(BANISH)).toBe(true);
    expect(beamed.slice(BANISH.length)).toBe('\nBAG FGB|cAF d2e|FGA dcA|B2A G3|\nBAG FGB|:cAF d2e:|\n');
  });

  it('a continuation that starts with a sign that glues onto the seed\'s bar line stays on its line (| then ] reads as |]), the music after it starts the next', () => {
    const { decoded, kept } = take(BANISH, ']c2B GFE|');
    expect(kept).not.toBeNull();
    expect(kept!.abc).toBe(`${BANISH}]\nc2BGFE|\n`);
    expectPlaysTheTake(kept!.abc, decoded);
  });

  it('a seed spaced its own way keeps its spacing through beaming', () => {
    const seed = 'X:1\nT:Spaced\nM:6/8\nL:1/8\nK:D\nA|d f a a f d|';
    const { decoded, kept } = take(seed, 'gbg fed|');
    expect(kept).not.toBeNull();
    expect(beamByBeat(kept!.abc, { from: kept!.seedChars })).toBe(`${seed}\ngbg fed|\n`);
    expectPlaysTheTake(kept!.abc, decoded);
  });

  it('writes the unit the continuation is spelled in when the seed has another (L:1/4, or none under 2/4), as a field line abc2midi reads', () => {
    const quarter = take('X:1\nM:4/4\nL:1/4\nK:Ador\nA B c d|e2', 'A2 B2|c4|');
    expect(quarter.kept).not.toBeNull();
    expect(quarter.kept!.abc).toBe('X:1\nM:4/4\nL:1/4\nK:Ador\nA B c d|e2\nL:1/8\nA2B2|c4|\n');
    expectPlaysTheTake(quarter.kept!.abc, quarter.decoded);
    const sixteenth = take('X:1\nM:2/4\nK:G\nGABc d2B2|', 'cA F2|G4|');
    expect(sixteenth.kept).not.toBeNull();
    expect(sixteenth.kept!.abc).toMatch(/^X:1\nM:2\/4\nK:G\nGABc d2B2\|\nL:1\/8\ncAF2\|G4\|\n$/);
    expectPlaysTheTake(sixteenth.kept!.abc, sixteenth.decoded);
  });

  it('mid-bar: a continuation that starts with a length lengthens the seed\'s last note, as the model read it', () => {
    const { decoded, kept } = take('X:1\nM:6/8\nL:1/8\nK:D\nA|dfa a', '2f|e3 d3|');
    expect(kept).not.toBeNull();
    expect(kept!.abc).toBe('X:1\nM:6/8\nL:1/8\nK:D\nA|dfa a2f|e3d3|\n');
    expectPlaysTheTake(kept!.abc, decoded);
  });

  it('a comment at the end of the seed does not swallow the continuation; no X: line gets one', () => {
    const { decoded, kept } = take('M:6/8\nL:1/8\nK:D\nA|dfa afd| % first bar', 'gbg fed|');
    expect(kept).not.toBeNull();
    expect(kept!.abc).toBe('X:1\nM:6/8\nL:1/8\nK:D\nA|dfa afd| % first bar\ngbgfed|\n');
    expect(kept!.seedChars).toBe('X:1\nM:6/8\nL:1/8\nK:D\nA|dfa afd| % first bar'.length);
    expectPlaysTheTake(kept!.abc, decoded);
  });

  it('gives null where the seed cannot stand as written: voices, another encoding\'s ids, a respelled seed', () => {
    const voices = 'X:1\nM:6/8\nL:1/8\nK:D\nV:1\nA|dfa afd|\nV:2\nD|D3 D3|';
    const primed = primeSeed(v2, { kind: 'abc', text: voices });
    const ids = [...primed.ids, ...body(v2, 'gbg fed|'), v2.eos];
    expect(takeWithSeedAsWritten(v2, voices, primed.ids, ids)).toBeNull();
    // Take ids that do not start with the prime.
    expect(takeWithSeedAsWritten(v2, BANISH, [v2.bos, 5], [v2.bos, 6, v2.eos])).toBeNull();
    // A seed the model reads only respelled (a word it does not know) is not offered as written.
    const respelled = primeSeed(v2, { kind: 'abc', text: 'X:1\nM:6/8\nL:1/8\nK:D\nA|!trill!dfa afd|' });
    expect(respelled.text).toBeUndefined();
  });

  it('version 1 (older models): a seed the model reads as written is kept too', () => {
    const v1 = makeAbcEncoding('abc-token', ['<s>', '</s>', 'M:6/8', 'L:1/8', 'K:D', 'T:', '|', '|:', ':|', 'A', 'd', 'f', 'a', 'g', 'b', 'e', 'd3', 'e3', '|]']);
    const seed = 'X:1\nM:6/8\nL:1/8\nK:D\n|:A d f a|';
    const primed = primeSeed(v1, { kind: 'abc', text: seed });
    const ids = [...primed.ids, ...['g', 'b', 'g', 'f', 'e', 'd', '|', 'e3', 'd3', ':|'].map((t) => v1.tokens.indexOf(t)), v1.eos];
    const kept = takeWithSeedAsWritten(v1, primed.text!, primed.ids, ids);
    expect(kept).not.toBeNull();
    expect(kept!.abc.startsWith(seed)).toBe(true);
    expectPlaysTheTake(kept!.abc, v1.decode(ids));
  });
});

describe('a continuation that repeats after the seed\'s endings', () => {
  it('gets its |: written (the seed ends |2 ... |], the continuation ends :| with no start): abc2midi repeats the continuation, as Seedsong does', () => {
    // The model closes the seed's second ending with ']' (| then ] reads as |]) and writes a part.
    const seed = `${BANISH}]`;
    const { decoded, kept } = take(BANISH, ']AAA A2B|A2c ded|c3 d3|edc d2e:|');
    expect(kept).not.toBeNull();
    expect(kept!.abc.startsWith(seed)).toBe(true);
    expect(kept!.abc.slice(seed.length)).toBe('\n|:AAAA2B|A2cded|c3d3|edcd2e:|\n');
    expectPlaysTheTake(kept!.abc, decoded);
    // Without the start abc2midi went back to the seed's |: and played a fragment of the A part.
    if (oracle) {
      const implied = kept!.abc.replace('\n|:', '\n');
      const theirs = oracle.melody(neutralizeForAbc2midi(implied));
      expect(compareMelodies(parseAbc(implied, { file: 'take' }).tunes[0].sequence, theirs!).kind).not.toBe('none');
    }
  });
});
