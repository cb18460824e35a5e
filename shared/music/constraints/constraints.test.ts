import { describe, it, expect } from 'vitest';
import { lexBody } from './reader';
import { TuneConstraints, type TuneConstraintName } from './tune-constraints';

/** A vocabulary in the abc-token spelling (a note with its length is one token). */
const NOTES = ['A', 'B', 'c', 'd', 'e', 'f', 'g', 'D', 'E', 'F', 'G'];
const TOKEN_VOCAB = ['<s>', '</s>', 'M:6/8', 'M:C', 'L:1/8', 'K:D', 'K:G', ...NOTES.flatMap((n) => [n, `${n}2`, `${n}3`, `${n}/`]), '|', '||', '|]', '|:', ':|', '::', '|1', ':|2', '(3', '~', '>', '[', ']', '[M:2/4]', 'z', 'z2'];
/** A factored spelling: pitch and length are separate tokens. */
const FACTORED_VOCAB = ['<s>', '</s>', 'M:6/8', 'L:1/8', 'K:D', ...NOTES, '2', '3', '/2', '|', ':|', '||', '|]'];

function make(vocab: string[], prime: string[], constraints?: TuneConstraintName[]) {
  const ids = prime.map((t) => {
    const i = vocab.indexOf(t);
    if (i < 0) throw new Error(`not in the vocabulary: ${t}`);
    return i;
  });
  const c = new TuneConstraints(vocab, { bos: 0, eos: 1 }, [0, ...ids], 1, constraints ? { constraints } : {});
  const allowed = (eos = true) => {
    const probs = new Float64Array(vocab.length).fill(1);
    probs[0] = 0;
    if (!eos) probs[1] = 0;
    c.mask(0, probs);
    return new Set(vocab.filter((_, i) => probs[i] > 0).map((t, i) => (t === '</s>' ? 'EOS' : t)).concat(probs[1] > 0 ? ['EOS'] : []));
  };
  const push = (...tokens: string[]) => tokens.forEach((t) => c.push(0, vocab.indexOf(t)));
  return { c, allowed, push };
}

const JIG_HEAD = ['M:6/8', 'L:1/8', 'K:D'];
/** Seven full 6/8 bars after a one-quaver pickup. */
const SEVEN_BARS = Array.from({ length: 7 }, () => ['d', 'f', 'e', 'd2', 'A', '|']).flat();

describe('reading ABC text symbol by symbol', () => {
  it('cuts notes, lengths, bars, tuplets and decorations', () => {
    expect(lexBody('d2f/|:(3ABc~e>f[K:G]').map((l) => [l.sym.k, l.text])).toEqual([
      ['note', 'd2'],
      ['note', 'f/'],
      ['bar', '|:'],
      ['tuplet', '(3'],
      ['note', 'A'],
      ['note', 'B'],
      ['note', 'c'],
      ['lead', '~'],
      ['note', 'e'],
      ['broken', '>'],
      ['note', 'f'],
      ['field', '[K:G]'],
    ]);
    expect(lexBody(':').map((l) => l.sym.k)).toEqual(['partial']);
    expect(lexBody('d3/2')[0].sym).toMatchObject({ k: 'note', mul: 1.5, written: true });
  });
});

describe('bar-fill', () => {
  it('allows a bar line only on a full bar, and no note that overflows it', () => {
    const { allowed, push } = make(TOKEN_VOCAB, [...JIG_HEAD, 'd', 'f', 'e', 'd2', 'A', '|', 'd', 'f', 'e'], ['bar-fill']);
    let a = allowed();
    expect(a.has('|')).toBe(false); // 3 of 6 quavers
    expect(a.has('d3')).toBe(true);
    push('d2');
    a = allowed();
    expect(a.has('d2')).toBe(false); // would run past the bar line
    expect(a.has('A')).toBe(true);
    expect(a.has('|')).toBe(false);
    push('A');
    a = allowed();
    expect(a.has('|')).toBe(true);
    expect(a.has('A')).toBe(false);
  });

  it('lets the first bar be a pickup, and closes a repeat where the pickup lets it come round', () => {
    const { allowed, push } = make(TOKEN_VOCAB, [...JIG_HEAD, 'A', '|'], ['bar-fill']);
    push('d', 'f', 'e', 'd2');
    let a = allowed();
    // 5 quavers + the 1-quaver pickup the repeat goes back to = one bar: ':|' now, not a full bar later.
    expect(a.has(':|')).toBe(true);
    push('A', '|', 'd', 'f', 'e', 'd2', 'A');
    a = allowed();
    expect(a.has(':|')).toBe(false);
    expect(a.has('|')).toBe(true);
  });

  it('needs room for a tuplet, a decoration and the note after a broken rhythm', () => {
    const { allowed, push } = make(TOKEN_VOCAB, [...JIG_HEAD, 'd', 'f', 'e', 'd2', 'A', '|', 'd', 'f', 'e', 'd2'], ['bar-fill']);
    const a = allowed();
    expect(a.has('A')).toBe(true);
    expect(a.has('(3')).toBe(true); // three notes of half a quaver each: (3 in 6/8 takes 3 for 2... room 1
    push('A');
    const b = allowed();
    expect(b.has('~')).toBe(false);
    expect(b.has('(3')).toBe(false);
    expect(b.has('>')).toBe(false);
  });

  it('keeps the meter: no inline meter or key change', () => {
    const { allowed } = make(TOKEN_VOCAB, [...JIG_HEAD, 'd', 'f', 'e', 'd2', 'A', '|'], ['bar-fill']);
    expect(allowed().has('[M:2/4]')).toBe(false);
  });

  it('works on a factored spelling: a length token after the note', () => {
    const { allowed, push } = make(FACTORED_VOCAB, [...JIG_HEAD, 'A', '|', 'd', '2', 'f', 'e', 'd'], ['bar-fill']);
    let a = allowed();
    expect(a.has('2')).toBe(true); // d2: 6 of 6
    expect(a.has('3')).toBe(false); // d3: one quaver more than the bar
    expect(a.has('|')).toBe(false); // 5 of 6
    push('2');
    a = allowed();
    expect(a.has('|')).toBe(true);
    expect(a.has('A')).toBe(false);
  });

  it('never leaves a row empty: a bar nothing in the vocabulary can fill is left to the model', () => {
    // Only three-quaver notes: 4/4 bars cannot be filled after the first note.
    const vocab = ['<s>', '</s>', 'M:C', 'L:1/8', 'K:D', 'd3', 'e3', '|'];
    const { c, allowed, push } = make(vocab, ['M:C', 'L:1/8', 'K:D', 'd3', 'e3'], ['bar-fill']);
    // The model gives the end of the tune no chance here: the row is left as the model gave it.
    const a = allowed(false);
    expect(a.has('d3') && a.has('|')).toBe(true);
    expect(c.fallbacks[0]).toBe(1);
    push('|');
    expect(allowed(false).size).toBeGreaterThan(0);
  });
});

describe('sections and tonic-ending', () => {
  it('closes a section after 8 bars (the pickup aside) and only there', () => {
    const { allowed, push } = make(TOKEN_VOCAB, [...JIG_HEAD, 'A', '|', ...SEVEN_BARS.slice(0, -6)], ['bar-fill', 'sections']);
    // Six full bars so far: a plain bar line after the seventh, not a section end.
    push('d', 'f', 'e', 'd2', 'A');
    let a = allowed();
    expect(a.has('|')).toBe(true);
    expect(a.has(':|')).toBe(false);
    expect(a.has('||')).toBe(false);
    push('|', 'd', 'f', 'e');
    a = allowed();
    expect(a.has('d3')).toBe(false); // the eighth bar ends where the pickup comes round (5 quavers)
    push('d2');
    a = allowed();
    expect(a.has(':|')).toBe(true);
    expect(a.has('|')).toBe(false);
    expect(a.has('A')).toBe(false);
    expect(a.has('EOS')).toBe(false); // one section is not a tune
  });

  it('ends the second section on the tonic, and the tune only at a section end', () => {
    const { allowed, push } = make(TOKEN_VOCAB, [...JIG_HEAD, 'A', '|', ...SEVEN_BARS, 'd', 'f', 'e', 'd2', ':|', 'A', '|', ...SEVEN_BARS, 'd', 'f', 'e'], ['bar-fill', 'sections', 'tonic-ending']);
    let a = allowed();
    expect(a.has('d2')).toBe(true); // D major: d is the tonic
    expect(a.has('e2')).toBe(false);
    expect(a.has('EOS')).toBe(false);
    push('d2', ':|');
    a = allowed();
    expect(a.has('EOS')).toBe(true);
  });

  it('the tonic rule alone: the take may end only after a section end on the tonic', () => {
    const { allowed, push } = make(TOKEN_VOCAB, [...JIG_HEAD, 'A', '|', 'd', 'f', 'e', 'd2'], ['tonic-ending']);
    expect(allowed().has('EOS')).toBe(false);
    push(':|');
    expect(allowed().has('EOS')).toBe(true);
    push('A', '|', 'd', 'f', 'e', 'e2', '|]');
    expect(allowed().has('EOS')).toBe(false); // ends on e in D
  });

  it('a second ending starts where the first did', () => {
    const { allowed, push } = make(TOKEN_VOCAB, [...JIG_HEAD, 'A', '|', ...SEVEN_BARS.slice(0, -1), '|1', 'd', 'f', 'e', 'd2', ':|2', 'd', 'f', 'e'], ['bar-fill', 'sections']);
    let a = allowed();
    expect(a.has('d2')).toBe(true);
    push('d2');
    a = allowed();
    expect(a.has('||')).toBe(true);
    expect(a.has('|')).toBe(false);
  });
});

describe('copyState', () => {
  it('copies every field of a take state', async () => {
    const { copyState, initialTakeState } = await import('./tune-constraints');
    const src = initialTakeState();
    let i = 0;
    for (const k of Object.keys(src) as (keyof typeof src)[]) {
      const v = src[k];
      (src as unknown as Record<string, unknown>)[k] = typeof v === 'number' ? ++i : typeof v === 'boolean' ? !v : typeof v === 'string' ? `x${++i}` : v === null ? ++i : v;
    }
    expect(copyState(initialTakeState(), src)).toEqual(src);
  });
});

describe('abc-token version 2 (the factored spelling as its decoder joins it)', () => {
  // Lengths in eighths after the pitch, `|1` as `|` `[1`, `:|2` as `:|` `[2`, keys as K:Dmaj.
  const V2 = ['<s>', '</s>', '<unk>', 'M:6/8', 'K:Dmaj', ...NOTES, '2', '3', '/', '|', ':|', '||', '|]', '[1', '[2'];
  it('reads endings split into a bar line and an ending mark', () => {
    const bar = ['d', 'f', 'e', 'd', '2', 'A', '|'];
    const prime = ['M:6/8', 'K:Dmaj', 'A', '|', ...Array.from({ length: 6 }, () => bar).flat(), 'd', 'f', 'e', 'd', '2', 'A', '|', '[1', 'd', 'f', 'e', 'd', '2', ':|', '[2', 'd', 'f', 'e', 'd'];
    const { allowed, push } = make(V2, prime, ['bar-fill', 'sections', 'tonic-ending']);
    let a = allowed();
    expect(a.has('2')).toBe(true); // d2 closes the second ending where the first closed
    expect(a.has('3')).toBe(false);
    push('2');
    a = allowed();
    expect(a.has('||')).toBe(true);
    expect(a.has('|')).toBe(false);
  });
  it('closes a full bar after a note and its length; <unk> has no text', () => {
    const { allowed, push } = make(V2, ['M:6/8', 'K:Dmaj', 'A', '|', 'd', 'f', 'e', 'd', '2'], ['bar-fill']);
    push('A');
    expect(allowed().has('|')).toBe(true);
    expect(allowed().has('<unk>')).toBe(true); // no text: the sampler never draws it anyway
  });
});
