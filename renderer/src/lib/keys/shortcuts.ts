/**
 * The studio's keyboard shortcuts as a pure mapping from a key event to a command, so that the
 * table is testable and lives in one place. Typing in a text field never triggers them, except
 * Escape (leave the field alone) — the ABC editor and forms keep their own undo.
 */
export type Command =
  | { kind: 'playStop' }
  | { kind: 'undo' }
  | { kind: 'redo' }
  | { kind: 'delete' }
  | { kind: 'selectAll' }
  | { kind: 'deselect' }
  | { kind: 'duplicate' }
  | { kind: 'nudge'; steps: number }
  | { kind: 'transpose'; semitones: number }
  | { kind: 'quantize' }
  | { kind: 'tool'; tool: 'select' | 'draw' }
  | { kind: 'fit' };

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

/** `editable` is true when focus is in a text input, textarea, select or contenteditable. */
export function commandFor(e: KeyLike, editable: boolean): Command | null {
  if (editable) return null;
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (mod && key === 'z') return e.shiftKey ? { kind: 'redo' } : { kind: 'undo' };
  if (mod && key === 'y') return { kind: 'redo' };
  if (mod && key === 'a') return { kind: 'selectAll' };
  if (mod && key === 'd') return { kind: 'duplicate' };
  if (mod) return null;
  switch (key) {
    case ' ':
      return { kind: 'playStop' };
    case 'Delete':
    case 'Backspace':
      return { kind: 'delete' };
    case 'Escape':
      return { kind: 'deselect' };
    case 'ArrowLeft':
      return { kind: 'nudge', steps: -1 };
    case 'ArrowRight':
      return { kind: 'nudge', steps: 1 };
    case 'ArrowUp':
      return { kind: 'transpose', semitones: e.shiftKey ? 12 : 1 };
    case 'ArrowDown':
      return { kind: 'transpose', semitones: e.shiftKey ? -12 : -1 };
    case 'q':
      return { kind: 'quantize' };
    case 'd':
      return { kind: 'tool', tool: 'draw' };
    case 's':
    case 'v':
      return { kind: 'tool', tool: 'select' };
    case 'f':
      return { kind: 'fit' };
    default:
      return null;
  }
}

export function isEditable(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).tagName !== 'string') return false;
  const el = target as HTMLElement;
  if (el.isContentEditable) return true;
  const tag = el.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  const type = (el as HTMLInputElement).type;
  return !['button', 'checkbox', 'radio', 'range', 'submit', 'reset', 'color', 'file'].includes(type);
}
