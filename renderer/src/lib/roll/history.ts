/**
 * Undo/redo as a stack of whole states. Edits never mutate notes, so a state is an array of
 * references: keeping 200 of them for 10,000 notes costs a few megabytes and makes every edit,
 * including an ABC re-parse that replaces all notes, undoable the same way.
 */
export interface HistoryEntry<S> {
  state: S;
  /** What the edit did, in words ("Move 3 notes"), for the Undo button's tooltip. */
  label: string;
}

export class History<S> {
  private past: HistoryEntry<S>[] = [];
  private future: HistoryEntry<S>[] = [];

  constructor(private present: S, private readonly limit = 200) {}

  get current(): S {
    return this.present;
  }
  get canUndo(): boolean {
    return this.past.length > 0;
  }
  get canRedo(): boolean {
    return this.future.length > 0;
  }
  get undoLabel(): string | undefined {
    return this.past.at(-1)?.label;
  }
  get redoLabel(): string | undefined {
    return this.future.at(-1)?.label;
  }

  /** Records a new state; the redo branch is dropped. */
  push(state: S, label: string): void {
    this.past.push({ state: this.present, label });
    if (this.past.length > this.limit) this.past.shift();
    this.future = [];
    this.present = state;
  }

  undo(): S | undefined {
    const entry = this.past.pop();
    if (!entry) return undefined;
    this.future.push({ state: this.present, label: entry.label });
    this.present = entry.state;
    return this.present;
  }

  redo(): S | undefined {
    const entry = this.future.pop();
    if (!entry) return undefined;
    this.past.push({ state: this.present, label: entry.label });
    this.present = entry.state;
    return this.present;
  }

  /** Starts over from a state (a different take was opened): nothing to undo. */
  reset(state: S): void {
    this.past = [];
    this.future = [];
    this.present = state;
  }
}
