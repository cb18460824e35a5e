import { describe, expect, it } from 'vitest';
import { buildEncoding, seedToTune } from '@shared/music/index';
import { primeSeed, primeTokens } from './jobs';

const corpus = ['X:1\nT:A\nM:6/8\nL:1/8\nK:D\nDEF GAB|AFD D3|\n', 'X:2\nT:B\nM:6/8\nL:1/8\nK:G\nGAB cde|dBG G3|\n'].map((t) => seedToTune(t));

describe('seeds for ABC-token models (version 1, the default model\'s spelling)', () => {
  const encoding = buildEncoding('abc-token', corpus, { version: 1 });

  it('writes a note seed with a unit length, meter and key the model knows', () => {
    expect(encoding.tokens).toContain('L:1/8');
    expect(encoding.tokens).not.toContain('L:1/16');
    // eighth notes, no meter, no key: the seed gets M:6/8 and K:D (the known key that fits D F# A)
    const notes = [62, 66, 69].map((pitch, i) => ({ pitch, start: i * 0.5, end: i * 0.5 + 0.5, velocity: 90, voice: 0 }));
    const ids = primeTokens(encoding, { kind: 'notes', notes });
    expect(ids[0]).toBe(encoding.bos);
    expect(ids).not.toContain(encoding.eos);
    const text = ids.map((i) => encoding.tokens[i]);
    expect(text).toEqual(expect.arrayContaining(['L:1/8', 'M:6/8', 'K:D']));
  });

  it('rewrites an ABC seed whose L: the model never saw, keeping its notes', () => {
    const ids = primeTokens(encoding, { kind: 'abc', text: 'X:1\nM:3/4\nL:1/16\nK:Em\nD2E2F2 G2A2B2|' });
    const decoded = encoding.decode(ids);
    expect(decoded.sequence.notes.map((n) => n.pitch)).toEqual([62, 64, 66, 67, 69, 71]);
  });

  it('still says clearly when a seed cannot be encoded at all', () => {
    expect(() => primeTokens(encoding, { kind: 'abc', text: 'X:1\nM:6/8\nL:1/8\nK:D\nDEF GAB|' }, undefined)).not.toThrow();
    expect(() => primeTokens(encoding, { kind: 'abc', text: 'not music at all' })).toThrow(/seed/);
  });
});

describe('a typed ABC seed the model cannot read as written', () => {
  it('keeps the pickup it was written with when it is respelled (not one guessed from the notes)', () => {
    const jigs = ['X:1\nT:A\nM:6/8\nL:1/8\nK:D\nA|DEF GAB|AFD D2:|\n', 'X:2\nT:B\nM:6/8\nL:1/8\nK:G\nfed cAG|A2d cAG|A2B =c2d|e2f gfe|d3 d2B|\n'].map((t) => seedToTune(t));
    const encoding = buildEncoding('abc-token', jigs);
    // A chord symbol and a mode this vocabulary never saw: the seed is understood and respelled.
    const text = 'X:1\nT:Seed\nM:6/8\nL:1/8\nK:Dmix\nfed|"D"cAG A2d|cAG A2B|';
    const primed = primeSeed(encoding, { kind: 'abc', text });
    const body = primed.abc!.split('\n').filter((l) => !/^[A-Z]:/.test(l)).join(' ');
    expect(body.replace(/\s+/g, '')).toMatch(/^fed\|cAG/);
    expect(encoding.decode(primed.ids).sequence.notes.map((n) => n.pitch).slice(0, 6)).toEqual([78, 76, 74, 72, 69, 67]);
  });
});

describe('seeds for ABC-token version 2 models (factored spelling)', () => {
  const encoding = buildEncoding('abc-token', corpus);

  it('writes a note seed in pitch and length tokens, with a meter and key the model knows', () => {
    expect(encoding.version).toBe(2);
    const notes = [62, 66, 69, 74].map((pitch, i) => ({ pitch, start: i * 0.5, end: i * 0.5 + (i === 3 ? 1.5 : 0.5), velocity: 90, voice: 0 }));
    const primed = primeSeed(encoding, { kind: 'notes', notes });
    const text = primed.ids.map((i) => encoding.tokens[i]);
    expect(text).toEqual(expect.arrayContaining(['M:6/8', 'K:Dmaj', 'D', 'A']));
    expect(primed.ids).not.toContain(encoding.unk);
    expect(encoding.decode(primed.ids).sequence.notes.map((n) => n.pitch)).toEqual([62, 66, 69, 74]);
  });

  it('keeps a typed seed as written, chord symbols left out and said', () => {
    const primed = primeSeed(encoding, { kind: 'abc', text: 'X:1\nM:6/8\nL:1/8\nK:D\n"D"DEF "G"GAB|' });
    expect(primed.changes.join(' ')).toMatch(/2 chord symbols left out/);
    expect(encoding.decode(primed.ids).sequence.notes.map((n) => n.pitch)).toEqual([62, 64, 66, 67, 69, 71]);
  });

  it('respells a typed seed with words the model does not know rather than priming with <unk>', () => {
    // L:1/16 is no token in version 2 (lengths are in eighths); a length of 3/4 eighth is unknown here.
    const primed = primeSeed(encoding, { kind: 'abc', text: 'X:1\nM:6/8\nL:1/8\nK:D\nD3/4E/4F GAB|' });
    expect(primed.ids).not.toContain(encoding.unk);
    // The 32nd-note E is shorter than a played note can be (transcription drops it); the rest stays.
    expect(encoding.decode(primed.ids).sequence.notes.map((n) => n.pitch)).toEqual(expect.arrayContaining([62, 66, 67, 69, 71]));
  });
});
