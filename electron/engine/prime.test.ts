import { describe, expect, it } from 'vitest';
import { buildEncoding, seedToTune } from '../../shared/music/index';
import { primeTokens } from './jobs';

const corpus = ['X:1\nT:A\nM:6/8\nL:1/8\nK:D\nDEF GAB|AFD D3|\n', 'X:2\nT:B\nM:6/8\nL:1/8\nK:G\nGAB cde|dBG G3|\n'].map((t) => seedToTune(t));

describe('seeds for ABC-token models', () => {
  const encoding = buildEncoding('abc-token', corpus);

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
