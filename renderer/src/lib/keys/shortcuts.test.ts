import { describe, expect, it } from 'vitest';
import { SHORTCUTS, commandFor, ownsKey, scopeOf, type KeyLike, type Scope } from './shortcuts';

const k = (key: string, mods: Partial<KeyLike> = {}): KeyLike => ({ key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });

/** A stand-in for a focused element (tag, type, role, and the region it sits in). */
function el(tag: string, attrs: { type?: string; role?: string; scope?: Scope; editable?: boolean } = {}): EventTarget {
  return {
    tagName: tag.toUpperCase(),
    type: attrs.type,
    isContentEditable: attrs.editable ?? false,
    getAttribute: (name: string) => (name === 'role' ? (attrs.role ?? null) : null),
    closest: () => (attrs.scope ? { getAttribute: () => attrs.scope } : null),
  } as unknown as EventTarget;
}

describe('shortcuts', () => {
  it('maps the studio keys in the piano roll and score', () => {
    expect(commandFor(k(' '), 'desk')).toEqual({ kind: 'playStop' });
    expect(commandFor(k('Delete'), 'desk')).toEqual({ kind: 'delete' });
    expect(commandFor(k('z', { ctrlKey: true }), 'desk')).toEqual({ kind: 'undo' });
    expect(commandFor(k('Z', { ctrlKey: true, shiftKey: true }), 'desk')).toEqual({ kind: 'redo' });
    expect(commandFor(k('z', { metaKey: true, shiftKey: true }), 'desk')).toEqual({ kind: 'redo' });
    expect(commandFor(k('y', { ctrlKey: true }), 'desk')).toEqual({ kind: 'redo' });
    expect(commandFor(k('ArrowUp'), 'desk')).toEqual({ kind: 'transpose', semitones: 1 });
    expect(commandFor(k('ArrowDown', { shiftKey: true }), 'desk')).toEqual({ kind: 'transpose', semitones: -12 });
    expect(commandFor(k('ArrowLeft'), 'desk')).toEqual({ kind: 'nudge', steps: -1 });
    expect(commandFor(k('ArrowLeft', { altKey: true }), 'desk')).toEqual({ kind: 'pick', delta: -1 });
    expect(commandFor(k('a', { ctrlKey: true }), 'desk')).toEqual({ kind: 'selectAll' });
    expect(commandFor(k('d'), 'desk')).toEqual({ kind: 'tool', tool: 'draw' });
    expect(commandFor(k('n'), 'desk')).toEqual({ kind: 'noteInput' });
  });

  it('edits act only where the notes are: outside the roll and score the arrows, Delete and letters do nothing', () => {
    for (const scope of ['anywhere', 'takes', 'piano'] as const) {
      expect(commandFor(k('ArrowUp'), scope)?.kind).not.toBe('transpose');
      expect(commandFor(k('Delete'), scope)?.kind).not.toBe('delete');
      expect(commandFor(k('a', { ctrlKey: true }), scope)).toBeNull();
    }
    expect(commandFor(k(' '), 'anywhere')).toEqual({ kind: 'playStop' });
    expect(commandFor(k('?', { shiftKey: true }), 'anywhere')).toEqual({ kind: 'help' });
  });

  it('in note input, letters are pitches, digits lengths, arrows move the cursor, Escape leaves', () => {
    expect(commandFor(k('c'), 'note-input')).toEqual({ kind: 'enterNote', letter: 'c', chord: false });
    expect(commandFor(k('D', { shiftKey: true }), 'note-input')).toEqual({ kind: 'enterNote', letter: 'd', chord: true });
    expect(commandFor(k('5'), 'note-input')).toEqual({ kind: 'length', digit: 5 });
    expect(commandFor(k('0'), 'note-input')).toEqual({ kind: 'rest' });
    expect(commandFor(k('ArrowRight'), 'note-input')).toEqual({ kind: 'cursor', steps: 1 });
    expect(commandFor(k('ArrowUp'), 'note-input')).toEqual({ kind: 'transpose', semitones: 1 });
    expect(commandFor(k('ArrowLeft', { altKey: true }), 'note-input')).toEqual({ kind: 'pick', delta: -1 });
    expect(commandFor(k('Escape'), 'note-input')).toEqual({ kind: 'leaveNoteInput' });
    expect(commandFor(k(' '), 'note-input')).toEqual({ kind: 'playStop' });
  });

  it('the takes list and the on-screen keyboard have their own keys', () => {
    expect(commandFor(k('ArrowDown'), 'takes')).toEqual({ kind: 'takeMove', to: 'next' });
    expect(commandFor(k('End'), 'takes')).toEqual({ kind: 'takeMove', to: 'last' });
    expect(commandFor(k('k'), 'takes')).toEqual({ kind: 'keep' });
    expect(commandFor(k('Delete'), 'takes')).toEqual({ kind: 'discard' });
    expect(commandFor(k('a'), 'piano')).toEqual({ kind: 'pianoKey', semitone: 0 });
    expect(commandFor(k('w'), 'piano')).toEqual({ kind: 'pianoKey', semitone: 1 });
    expect(commandFor(k('k'), 'piano')).toEqual({ kind: 'pianoKey', semitone: 12 });
    expect(commandFor(k('x'), 'piano')).toEqual({ kind: 'octave', delta: 1 });
  });

  it('a focused control keeps its own keys: sliders and checkboxes their arrows and Space, text fields everything', () => {
    const slider = el('input', { type: 'range' });
    expect(ownsKey(slider, k('ArrowRight'))).toBe(true);
    expect(ownsKey(slider, k('ArrowUp'))).toBe(true);
    expect(ownsKey(slider, k('?'))).toBe(false);
    expect(ownsKey(el('input', { type: 'checkbox' }), k(' '))).toBe(true);
    expect(ownsKey(el('button'), k('Enter'))).toBe(true);
    expect(ownsKey(el('button'), k('z', { ctrlKey: true }))).toBe(false);
    expect(ownsKey(el('div', { role: 'tab' }), k('ArrowLeft'))).toBe(true);
    for (const field of [el('textarea'), el('select'), el('input', { type: 'number' }), el('input', { type: 'text' }), el('div', { editable: true })]) {
      expect(ownsKey(field, k('z', { ctrlKey: true }))).toBe(true);
      expect(ownsKey(field, k('a'))).toBe(true);
      expect(ownsKey(field, k(' '))).toBe(true);
    }
    expect(ownsKey(el('canvas', { scope: 'desk' }), k('ArrowUp'))).toBe(false);
    expect(ownsKey(null, k(' '))).toBe(false);
  });

  it('finds the region of the focus', () => {
    expect(scopeOf(el('canvas', { scope: 'desk' }), false)).toBe('desk');
    expect(scopeOf(el('canvas', { scope: 'desk' }), true)).toBe('note-input');
    expect(scopeOf(el('button', { scope: 'takes' }), true)).toBe('takes');
    expect(scopeOf(el('body'), false)).toBe('anywhere');
  });

  it('one table: every row says what it does, no two rows of a region answer the same key', () => {
    const samples = [' ', 'a', 'c', 'd', 'k', 'n', 'q', 'z', '0', '5', '?', '[', 'Delete', 'Escape', 'ArrowUp', 'ArrowLeft', 'Home'];
    for (const row of SHORTCUTS) expect(row.does.length, row.keys).toBeGreaterThan(5);
    for (const scope of ['anywhere', 'desk', 'note-input', 'takes', 'piano'] as const) {
      for (const key of samples) {
        for (const mods of [{}, { shiftKey: true }, { ctrlKey: true }, { altKey: true }]) {
          const e = k(key, mods);
          const hits = SHORTCUTS.filter((s) => s.scope === scope && s.match(e, key.length === 1 ? key.toLowerCase() : key, !!e.ctrlKey));
          expect(hits.length, `${scope} ${key} ${JSON.stringify(mods)}`).toBeLessThanOrEqual(1);
        }
      }
    }
  });
});
