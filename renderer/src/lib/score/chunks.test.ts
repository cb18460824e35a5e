import { describe, expect, it } from 'vitest';
import { parseAbc } from '@shared/music/index';
import { headerTitles, quietHeader, splitAbc, withoutHeaderTitles } from './chunks';

function tune(lines: string[]): string {
  return ['X:1', 'T:Long', 'M:6/8', 'L:1/8', 'Q:3/8=100', 'K:D', ...lines].join('\n') + '\n';
}

describe('splitAbc', () => {
  it('leaves short tunes whole', () => {
    const t = tune(['DEF GAB|', 'AFD D3|']);
    expect(splitAbc(t, 8)).toEqual([{ text: t, firstLine: 0 }]);
  });

  it('cuts long tunes at line ends; together the chunks hold the same notes', () => {
    const lines = Array.from({ length: 20 }, (_, i) => (i % 2 ? 'AFD D3|' : 'DEF GAB|'));
    const chunks = splitAbc(tune(lines), 8);
    expect(chunks).toHaveLength(3);
    expect(chunks[0].text).toContain('T:Long');
    expect(chunks[1].text.startsWith('X:1\nM:6/8\nL:1/8\nQ:3/8=100\nK:D\n')).toBe(true);
    expect(chunks.map((c) => c.firstLine)).toEqual([6, 14, 22]);
    const whole = parseAbc(tune(lines)).tunes[0].sequence.notes.map((n) => n.pitch);
    const parts = chunks.flatMap((c) => parseAbc(c.text).tunes[0].sequence.notes.map((n) => n.pitch));
    expect(parts).toEqual(whole);
  });

  it('carries key and meter changes, standalone and inline, into later chunks', () => {
    const lines = ['DEF GAB|', 'K:G', 'GAB cde|', '[M:3/4]d2 e2 f2|', ...Array.from({ length: 10 }, () => 'F2 G2 A2|')];
    const chunks = splitAbc(tune(lines), 4);
    expect(chunks[1].text).toMatch(/M:3\/4\nL:1\/8\nQ:3\/8=100\nK:G\n/);
    // F in G major is F sharp: the key survived the cut
    expect(parseAbc(chunks[1].text).tunes[0].sequence.notes[0].pitch).toBe(66);
  });

  it('later chunks do not print the carried meter and tempo again, and read the same', () => {
    const lines = Array.from({ length: 12 }, (_, i) => (i % 2 ? 'AFD D3|' : 'DEF GAB|'));
    const chunks = splitAbc(tune(lines), 4);
    const quiet = quietHeader(chunks[1].text);
    expect(quiet.startsWith('X:1\nL:1/8\nM:none\nK:D\n')).toBe(true);
    const notes = (text: string) => parseAbc(text).tunes[0].sequence.notes.map((n) => [n.pitch, n.end - n.start]);
    expect(notes(quiet)).toEqual(notes(chunks[1].text));
    // No unit length given: the one the meter implied is written out (2/4 -> sixteenths).
    const twoFour = splitAbc(['X:1', 'M:2/4', 'K:G', ...Array.from({ length: 6 }, () => 'GABc|dBGB|')].join('\n') + '\n', 2);
    const q2 = quietHeader(twoFour[1].text);
    expect(q2).toMatch(/L:1\/16\nM:none/);
    expect(notes(q2)).toEqual(notes(twoFour[1].text));
    expect(quietHeader(chunks[1].text.replace('M:6/8', 'M:C'))).toMatch(/X:1\nL:1\/8\nM:none/);
  });
});

describe('header titles (written by the pane, wrapped; abcjs ran a long one off the sheet)', () => {
  it('lists the header T: lines and takes them out of what abcjs draws, keeping lengths and body titles', () => {
    const text = 'X:1\nT:Fugue in C minor BWV 847 from the Well-Tempered Clavier (track 2: Voice 2)\nT:second\nM:4/4\nK:Cm\nT:Part title\nCDEF|\n';
    expect(headerTitles(text)).toEqual(['Fugue in C minor BWV 847 from the Well-Tempered Clavier (track 2: Voice 2)', 'second']);
    const out = withoutHeaderTitles(text);
    expect(out.length).toBe(text.length);
    expect(out).toContain('\n%:Fugue in C minor');
    expect(out).toContain('\nT:Part title\n');
    expect(parseAbc(out).tunes[0].sequence.notes.length).toBe(4);
  });
});
