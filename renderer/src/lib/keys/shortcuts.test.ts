import { describe, expect, it } from 'vitest';
import { commandFor, type KeyLike } from './shortcuts';

const k = (key: string, mods: Partial<KeyLike> = {}): KeyLike => ({ key, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });

describe('shortcuts', () => {
  it('maps the studio keys', () => {
    expect(commandFor(k(' '), false)).toEqual({ kind: 'playStop' });
    expect(commandFor(k('Delete'), false)).toEqual({ kind: 'delete' });
    expect(commandFor(k('z', { ctrlKey: true }), false)).toEqual({ kind: 'undo' });
    expect(commandFor(k('Z', { ctrlKey: true, shiftKey: true }), false)).toEqual({ kind: 'redo' });
    expect(commandFor(k('z', { metaKey: true, shiftKey: true }), false)).toEqual({ kind: 'redo' });
    expect(commandFor(k('y', { ctrlKey: true }), false)).toEqual({ kind: 'redo' });
    expect(commandFor(k('ArrowUp'), false)).toEqual({ kind: 'transpose', semitones: 1 });
    expect(commandFor(k('ArrowDown', { shiftKey: true }), false)).toEqual({ kind: 'transpose', semitones: -12 });
    expect(commandFor(k('ArrowLeft'), false)).toEqual({ kind: 'nudge', steps: -1 });
    expect(commandFor(k('a', { ctrlKey: true }), false)).toEqual({ kind: 'selectAll' });
  });

  it('leaves text fields alone', () => {
    expect(commandFor(k(' '), true)).toBeNull();
    expect(commandFor(k('z', { ctrlKey: true }), true)).toBeNull();
    expect(commandFor(k('Delete'), true)).toBeNull();
  });

  it('ignores unbound keys and other modifier combinations', () => {
    expect(commandFor(k('x'), false)).toBeNull();
    expect(commandFor(k('q', { ctrlKey: true }), false)).toBeNull();
  });
});
