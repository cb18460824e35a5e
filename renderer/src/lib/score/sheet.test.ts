import { describe, expect, it } from 'vitest';
import { joinTimings, planReuse, renderOrder, timingAt, type RenderedChunk } from './sheet';
import { splitAbc } from './chunks';

const el = (name: string) => ({ name }) as unknown as Element;

describe('score sheet', () => {
  it('keeps the chunks whose text is unchanged, each old chunk at most once', () => {
    expect(planReuse(['a', 'b', 'c'], ['a', 'B', 'c'])).toEqual([0, -1, 2]);
    expect(planReuse(['a', 'a'], ['a', 'a', 'a'])).toEqual([0, 1, -1]);
    expect(planReuse([], ['x'])).toEqual([-1]);
    expect(planReuse(['a', 'b'], ['b'])).toEqual([1]);
  });

  it('an edit in the middle of a long tune leaves every other chunk as it was', () => {
    const lines = Array.from({ length: 50 }, (_, i) => `DEF GAB|AFD D2E|FAd fed|cBA ^GAB|% line ${i}`);
    const before = ['X:1', 'T:Long', 'M:6/8', 'L:1/8', 'K:D', ...lines].join('\n') + '\n';
    const after = before.replace('% line 25', 'a3 f3|% line 25');
    const a = splitAbc(before, 8).map((c) => c.text);
    const b = splitAbc(after, 8).map((c) => c.text);
    const plan = planReuse(a, b);
    expect(plan.filter((i) => i < 0)).toHaveLength(1);
    expect(plan.filter((i) => i >= 0)).toHaveLength(b.length - 1);
  });

  it('renders what is in view first, then the rest in order', () => {
    expect(renderOrder([0, 1, 2, 3, 4], (i) => i === 2 || i === 3)).toEqual([2, 3, 0, 1, 4]);
    expect(renderOrder([], () => true)).toEqual([]);
  });

  it('offsets each chunk by the length of those before it, skipping chunks not drawn yet', () => {
    const c1: RenderedChunk = { events: [{ at: 0, elements: [el('a')] }, { at: 1.5, elements: [el('b')] }], quarters: 3 };
    const c2: RenderedChunk = { events: [{ at: 0, elements: [el('c')] }], quarters: 6 };
    const joined = joinTimings([c1, c2, null, c1]);
    expect(joined.map((t) => t.at)).toEqual([0, 1.5, 3, 9, 10.5]);
    expect(timingAt(joined, -1)).toBeNull();
    expect((timingAt(joined, 1.6)?.elements[0] as unknown as { name: string }).name).toBe('b');
    expect((timingAt(joined, 3)?.elements[0] as unknown as { name: string }).name).toBe('c');
    expect(timingAt(joined, 100)?.at).toBe(10.5);
    expect(timingAt([], 1)).toBeNull();
  });
});
