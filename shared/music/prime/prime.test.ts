import { describe, expect, it } from 'vitest';
import { buildEncoding, seedToTune } from '../encodings/index';
import { headerTokens, keyPitchClasses, primeSeed, SeedPrimingError } from './prime';

// Seed priming is music (issue #14 item 4): pure, tested here without the engine; the engine's
// prime.test.ts checks the same paths through its error wrapper.
const corpus = ['X:1\nM:6/8\nL:1/8\nK:D\nA|dfa afd|gbg fed|e3 c3|d3 d2:|', 'X:2\nM:6/8\nL:1/8\nK:G\nB|GBd gdB|c2e dBG|A3 B3|G3 G2:|'];
const encoding = buildEncoding('abc-token', corpus.map((abc) => seedToTune(abc)));

describe('seed priming in the music core', () => {
  it('primes a header the model knows and names what it does not know', () => {
    const ids = headerTokens(encoding, { meter: '6/8', key: 'D' });
    expect(ids[0]).toBe(encoding.bos);
    expect(() => headerTokens(encoding, { key: 'Q' })).toThrow(SeedPrimingError);
    expect(() => headerTokens(encoding, { key: 'Q' })).toThrow(/"Q" is not a key/);
    expect(() => headerTokens(encoding, { key: 'Eb' })).toThrow(/"K:Ebmaj" is not in this model's vocabulary; it knows K:Dmaj, K:Gmaj/);
  });

  it('keeps a typed seed as written when the model can read it, open for the model to continue', () => {
    const primed = primeSeed(encoding, { kind: 'abc', text: 'X:1\nM:6/8\nL:1/8\nK:D\nA|dfa afd|' });
    expect(primed.ids[0]).toBe(encoding.bos);
    expect(primed.ids[primed.ids.length - 1]).not.toBe(encoding.eos);
    expect(primed.changes).toEqual([]);
  });

  it('unreadable seeds are a SeedPrimingError saying so', () => {
    let error: unknown;
    try {
      primeSeed(encoding, { kind: 'abc', text: 'not music at all' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SeedPrimingError);
    expect((error as SeedPrimingError).message).toMatch(/seed/);
    expect(() => keyPitchClasses('H major')).toThrow(SeedPrimingError);
  });
});
