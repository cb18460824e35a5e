/**
 * The studio's keyboard shortcuts: one table, by region. A shortcut acts on the region that has
 * the focus (the piano roll and score, the takes list, the on-screen keyboard); "anywhere" ones
 * act in every region. A focused control always gets its own keys first: a text field, number
 * field or select gets every key, a slider, checkbox, radio, tab or button gets Space, Enter, the
 * arrows, Home/End and Page Up/Down (so the Temperature slider moves with the arrows and Space
 * ticks a checkbox). The same table is shown by the help overlay (?).
 */
import type { Letter } from '../roll/note-input';

/** Regions (data-shortcuts on an element); the transport bar's keys are the ones that work anywhere. */
export type Scope = 'anywhere' | 'desk' | 'note-input' | 'takes' | 'piano' | 'transport';

export type Command =
  | { kind: 'playStop' }
  | { kind: 'undo' }
  | { kind: 'redo' }
  | { kind: 'help' }
  | { kind: 'record' }
  | { kind: 'loop' }
  | { kind: 'panel'; which: 'side' | 'takes' }
  | { kind: 'delete' }
  | { kind: 'selectAll' }
  | { kind: 'deselect' }
  | { kind: 'duplicate' }
  | { kind: 'nudge'; steps: number }
  | { kind: 'transpose'; semitones: number }
  | { kind: 'quantize' }
  | { kind: 'tool'; tool: 'select' | 'draw' }
  | { kind: 'fit' }
  | { kind: 'pick'; delta: 1 | -1 }
  | { kind: 'noteInput' }
  | { kind: 'enterNote'; letter: Letter; chord: boolean }
  | { kind: 'length'; digit: number }
  | { kind: 'rest' }
  | { kind: 'cursor'; steps: 1 | -1 }
  | { kind: 'leaveNoteInput' }
  | { kind: 'takeMove'; to: 'previous' | 'next' | 'first' | 'last' }
  | { kind: 'takeControl'; delta: 1 | -1 }
  | { kind: 'keep' }
  | { kind: 'discard' }
  | { kind: 'compare' }
  | { kind: 'pianoKey'; semitone: number }
  | { kind: 'octave'; delta: 1 | -1 };

export interface KeyLike {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

export interface Shortcut {
  scope: Scope;
  /** As shown in the help overlay. */
  keys: string;
  /** What it does, in words. */
  does: string;
  match(e: KeyLike, key: string, mod: boolean): Command | null;
}

/** The computer keys that play the on-screen keyboard, as a DAW lays them out: semitones from C. */
export const PIANO_KEYS = 'awsedftgyhujkolp;';

const plain = (e: KeyLike, mod: boolean) => !mod && !e.altKey;
const LETTERS = new Set(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
const TAKE_MOVES: Record<string, 'previous' | 'next' | 'first' | 'last'> = { ArrowUp: 'previous', ArrowDown: 'next', Home: 'first', End: 'last' };

export const SHORTCUTS: readonly Shortcut[] = [
  // Anywhere (unless the focused control wants the key itself)
  { scope: 'anywhere', keys: 'Space', does: 'Play or stop', match: (e, k, m) => (k === ' ' && plain(e, m) ? { kind: 'playStop' } : null) },
  { scope: 'anywhere', keys: 'Ctrl+Z', does: 'Undo an edit of the tune', match: (e, k, m) => (m && k === 'z' && !e.shiftKey ? { kind: 'undo' } : null) },
  { scope: 'anywhere', keys: 'Ctrl+Shift+Z, Ctrl+Y', does: 'Redo an undone edit', match: (e, k, m) => (m && ((k === 'z' && e.shiftKey) || k === 'y') ? { kind: 'redo' } : null) },
  { scope: 'anywhere', keys: '?', does: 'Show these shortcuts', match: (e, k, m) => (k === '?' && !m ? { kind: 'help' } : null) },
  { scope: 'anywhere', keys: 'R', does: 'Record a seed (again to stop)', match: (e, k, m) => (k === 'r' && plain(e, m) && !e.shiftKey ? { kind: 'record' } : null) },
  { scope: 'anywhere', keys: 'L', does: 'Loop on or off', match: (e, k, m) => (k === 'l' && plain(e, m) && !e.shiftKey ? { kind: 'loop' } : null) },
  { scope: 'anywhere', keys: '[', does: 'Collapse or expand the side panel', match: (e, k, m) => (k === '[' && plain(e, m) ? { kind: 'panel', which: 'side' } : null) },
  { scope: 'anywhere', keys: ']', does: 'Collapse or expand the takes', match: (e, k, m) => (k === ']' && plain(e, m) ? { kind: 'panel', which: 'takes' } : null) },

  // Note input (N in the piano roll or score): MuseScore's keys
  { scope: 'note-input', keys: 'A … G', does: 'Add that note at the cursor (in the key, nearest the note before)', match: (e, k, m) => (plain(e, m) && !e.shiftKey && LETTERS.has(k) ? { kind: 'enterNote', letter: k as Letter, chord: false } : null) },
  { scope: 'note-input', keys: 'Shift+A … G', does: 'Add that note to the chord just entered', match: (e, k, m) => (plain(e, m) && e.shiftKey && LETTERS.has(k) ? { kind: 'enterNote', letter: k as Letter, chord: true } : null) },
  { scope: 'note-input', keys: '1 … 7', does: 'Length: 64th, 32nd, 16th, eighth, quarter, half, whole', match: (e, k, m) => (plain(e, m) && /^[1-7]$/.test(k) ? { kind: 'length', digit: Number(k) } : null) },
  { scope: 'note-input', keys: '0', does: 'A rest: move the cursor on by the length', match: (e, k, m) => (plain(e, m) && k === '0' ? { kind: 'rest' } : null) },
  { scope: 'note-input', keys: '← →', does: 'Move the cursor by the length', match: (e, k, m) => (plain(e, m) && !e.shiftKey && (k === 'ArrowLeft' || k === 'ArrowRight') ? { kind: 'cursor', steps: k === 'ArrowLeft' ? -1 : 1 } : null) },
  { scope: 'note-input', keys: 'Esc, N', does: 'Leave note input', match: (e, k, m) => (plain(e, m) && (k === 'Escape' || k === 'n') ? { kind: 'leaveNoteInput' } : null) },

  // The piano roll and the score
  { scope: 'desk', keys: 'N', does: 'Note input: enter notes from the computer keyboard', match: (e, k, m) => (plain(e, m) && k === 'n' && !e.shiftKey ? { kind: 'noteInput' } : null) },
  { scope: 'desk', keys: 'Alt+← / Alt+→', does: 'Previous note / next note (select it, move the playhead there)', match: (e, k, m) => (!m && e.altKey && (k === 'ArrowLeft' || k === 'ArrowRight') ? { kind: 'pick', delta: k === 'ArrowLeft' ? -1 : 1 } : null) },
  { scope: 'desk', keys: '↑ ↓ (Shift: octave)', does: 'Transpose the selection', match: (e, k, m) => (plain(e, m) && (k === 'ArrowUp' || k === 'ArrowDown') ? { kind: 'transpose', semitones: (k === 'ArrowUp' ? 1 : -1) * (e.shiftKey ? 12 : 1) } : null) },
  { scope: 'desk', keys: '← →', does: 'Move the selection by a grid step', match: (e, k, m) => (plain(e, m) && (k === 'ArrowLeft' || k === 'ArrowRight') ? { kind: 'nudge', steps: k === 'ArrowLeft' ? -1 : 1 } : null) },
  { scope: 'desk', keys: 'Delete, Backspace', does: 'Delete the selection', match: (e, k, m) => (!m && (k === 'Delete' || k === 'Backspace') ? { kind: 'delete' } : null) },
  { scope: 'desk', keys: 'Ctrl+A', does: 'Select every note', match: (e, k, m) => (m && k === 'a' ? { kind: 'selectAll' } : null) },
  { scope: 'desk', keys: 'Ctrl+D', does: 'Duplicate the selection after itself', match: (e, k, m) => (m && k === 'd' ? { kind: 'duplicate' } : null) },
  { scope: 'desk', keys: 'Esc', does: 'Select nothing', match: (e, k, m) => (plain(e, m) && k === 'Escape' ? { kind: 'deselect' } : null) },
  { scope: 'desk', keys: 'Q', does: 'Quantize the selection (or everything) to the grid', match: (e, k, m) => (plain(e, m) && k === 'q' ? { kind: 'quantize' } : null) },
  { scope: 'desk', keys: 'S, V / D', does: 'Select tool / Pencil tool', match: (e, k, m) => (plain(e, m) && !e.shiftKey && (k === 's' || k === 'v' || k === 'd') ? { kind: 'tool', tool: k === 'd' ? 'draw' : 'select' } : null) },
  { scope: 'desk', keys: 'F', does: 'Show the whole tune', match: (e, k, m) => (plain(e, m) && k === 'f' ? { kind: 'fit' } : null) },

  // The takes list (one Tab stop)
  { scope: 'takes', keys: '↑ ↓, Home, End', does: 'Previous / next / first / last take', match: (e, k, m) => (plain(e, m) && k in TAKE_MOVES ? { kind: 'takeMove', to: TAKE_MOVES[k] } : null) },
  { scope: 'takes', keys: '← →', does: "Move between the take's buttons", match: (e, k, m) => (plain(e, m) && (k === 'ArrowLeft' || k === 'ArrowRight') ? { kind: 'takeControl', delta: k === 'ArrowLeft' ? -1 : 1 } : null) },
  { scope: 'takes', keys: 'Enter', does: 'Open the take on the desk', match: () => null },
  { scope: 'takes', keys: 'K', does: 'Keep the take (again to unkeep)', match: (e, k, m) => (plain(e, m) && k === 'k' ? { kind: 'keep' } : null) },
  { scope: 'takes', keys: 'Delete', does: 'Discard the take (kept takes stay)', match: (e, k, m) => (!m && (k === 'Delete' || k === 'Backspace') ? { kind: 'discard' } : null) },
  { scope: 'takes', keys: 'C', does: 'Compare the take (A/B)', match: (e, k, m) => (plain(e, m) && k === 'c' ? { kind: 'compare' } : null) },

  // The on-screen keyboard, when it has the focus
  { scope: 'piano', keys: 'A W S E D F T G Y H U J K O L P ;', does: 'Play the on-screen keyboard (C up to E an octave higher)', match: (e, k, m) => (plain(e, m) && !e.shiftKey && k.length === 1 && PIANO_KEYS.includes(k) ? { kind: 'pianoKey', semitone: PIANO_KEYS.indexOf(k) } : null) },
  { scope: 'piano', keys: 'Z / X', does: 'Octave down / up', match: (e, k, m) => (plain(e, m) && (k === 'z' || k === 'x') ? { kind: 'octave', delta: k === 'z' ? -1 : 1 } : null) },
];

export const SCOPE_NAMES: Record<Scope, string> = {
  anywhere: 'Anywhere',
  desk: 'Piano roll and score',
  'note-input': 'Note input (N in the piano roll or score)',
  takes: 'Takes list',
  piano: 'On-screen keyboard (Devices panel)',
  transport: 'Transport bar',
};

/**
 * The command for a key in a region: the region's own shortcuts first (note input before the
 * roll's), then the ones that work anywhere. The takes list and the piano handle only their own.
 */
export function commandFor(e: KeyLike, scope: Scope): Command | null {
  const mod = e.ctrlKey || e.metaKey;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  const order: Scope[] = scope === 'note-input' ? ['note-input', 'desk', 'anywhere'] : scope === 'desk' ? ['desk', 'anywhere'] : scope === 'anywhere' || scope === 'transport' ? ['anywhere'] : [scope];
  for (const s of order) {
    for (const shortcut of SHORTCUTS) {
      if (shortcut.scope !== s) continue;
      const command = shortcut.match(e, key, mod);
      if (command) return command;
    }
  }
  return null;
}

/** The element's own keys: what a focused control does itself and a shortcut must leave alone. */
const NAVIGATION = new Set([' ', 'Enter', 'ArrowUp', 'ArrowDown', 'ArrowLeft', 'ArrowRight', 'Home', 'End', 'PageUp', 'PageDown']);
const SMALL_INPUTS = new Set(['checkbox', 'radio', 'range', 'button', 'submit', 'reset', 'color', 'file']);
const CONTROL_ROLES = new Set(['button', 'tab', 'radio', 'checkbox', 'switch', 'slider', 'menuitem', 'option', 'link']);

export function ownsKey(target: EventTarget | null, e: KeyLike): boolean {
  if (!target || typeof (target as Element).tagName !== 'string') return false;
  const el = target as HTMLElement;
  if (el.isContentEditable) return true;
  const tag = el.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT' && !SMALL_INPUTS.has((el as HTMLInputElement).type)) return true;
  const control = tag === 'INPUT' || tag === 'BUTTON' || tag === 'A' || CONTROL_ROLES.has(el.getAttribute('role') ?? '');
  return control && NAVIGATION.has(e.key) && !e.ctrlKey && !e.metaKey;
}

/** The region the focus is in: the nearest element marked data-shortcuts, else anywhere. */
export function scopeOf(target: EventTarget | null, noteInput: boolean): Scope {
  const el = target && typeof (target as Element).closest === 'function' ? (target as Element).closest('[data-shortcuts]') : null;
  const scope = (el?.getAttribute('data-shortcuts') as Scope | null) ?? 'anywhere';
  return scope === 'desk' && noteInput ? 'note-input' : scope;
}
