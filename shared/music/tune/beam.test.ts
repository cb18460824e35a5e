import { describe, expect, it } from 'vitest';
import { beamByBeat } from './beam';

describe('beamByBeat', () => {
  it('groups a take spelled without spaces by beat: jigs in threes, reels in fours, 3/4 by the quarter', () => {
    expect(beamByBeat('X:1\nT:Take\nM:6/8\nL:1/8\nK:D\nA|dfaafd|cecABc|d3d2:|\n')).toBe('X:1\nT:Take\nM:6/8\nL:1/8\nK:D\nA|dfa afd|cec ABc|d3 d2:|\n');
    expect(beamByBeat('X:1\nM:4/4\nL:1/8\nK:D\nFAABAFED|d2fdc2ec|\n')).toBe('X:1\nM:4/4\nL:1/8\nK:D\nFAAB AFED|d2fd c2ec|\n');
    expect(beamByBeat('M:3/4\nL:1/8\nK:G\nGABcdB|\n')).toBe('M:3/4\nL:1/8\nK:G\nGA Bc dB|\n');
  });

  it('leaves tuplets, broken rhythm, chords, ties and decorations alone', () => {
    const text = 'X:1\nM:4/4\nL:1/8\nK:G\n(3GAB "D"A>G ~F2 [DF]E|G4- G4|\n';
    const out = beamByBeat(text);
    expect(out).toContain('(3GAB');
    expect(out).toContain('A>G');
    expect(out).toContain('"D"');
    expect(out).toContain('~F2');
  });

  it('an already grouped tune stays as it is', () => {
    const text = 'X:1\nM:6/8\nL:1/8\nK:G\n|:GAG GAB|ABA ABd:|\n';
    expect(beamByBeat(text)).toBe(text);
  });
});
