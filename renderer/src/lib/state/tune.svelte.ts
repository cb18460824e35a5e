/**
 * The tune on the desk: the notes the roll edits, their ABC text, meter, key and tempo, the
 * selection and the undo history. The roll and the ABC panel are two views of it: a roll edit
 * rewrites the ABC through the music core's writer, an ABC edit re-reads the notes through its
 * parser, and both go through the same history.
 */
import { parseAbc, writeAbc, writeTuneForm, type KeySignature, type NoteSequence, type TimeSignature, type TuneForm } from '@shared/music/index';
import { deleteNotes, duplicateNotes, moveNotes, quantizeNotes, setVelocity, type Selection } from '../roll/edit';
import { History } from '../roll/history';
import { NoteIndex, sortNotes, toNotes, toRollNotes, type RollNote } from '../roll/notes';
import { withTitle } from './takes';

export interface AbcProblem {
  /** 1-based line in the ABC text, when known. */
  line?: number;
  message: string;
  /** Errors stop the notes from updating; warnings do not. */
  severity: 'error' | 'warning';
}

interface Snapshot {
  notes: RollNote[];
  selection: Selection;
}

export interface TuneSource {
  seed?: readonly { pitch: number; start: number; end: number; velocity: number; voice: number }[];
  take?: readonly { pitch: number; start: number; end: number; velocity: number; voice: number }[];
  abc?: string;
  title?: string;
}

const EMPTY: Selection = new Set();
/** Above this many notes the ABC is rewritten after a pause in editing, not on every edit. */
const LARGE_TUNE = 2000;

export class TuneState {
  notes = $state.raw<RollNote[]>([]);
  selection = $state.raw<Selection>(EMPTY);
  title = $state('Untitled');
  qpm = $state(120);
  meter = $state<TimeSignature>({ time: 0, numerator: 4, denominator: 4 });
  key = $state<KeySignature | undefined>(undefined);
  /** Where the seed ends (quarters): notes before it are drawn and exported as the seed. */
  seedEnd = $state(0);
  abcText = $state('');
  abcProblems = $state.raw<AbcProblem[]>([]);
  private history = new History<Snapshot>({ notes: [], selection: EMPTY });
  /** Bumped by every load(), so that views can frame a newly opened tune. */
  loads = $state(0);
  /** Bumped on every history change, so that canUndo/canRedo are reactive. */
  private version = $state(0);

  readonly index = $derived(new NoteIndex(this.notes));
  readonly barQuarters = $derived((this.meter.numerator * 4) / this.meter.denominator);
  readonly beatQuarters = $derived(this.meter.denominator === 8 && this.meter.numerator % 3 === 0 ? 1.5 : 4 / this.meter.denominator);
  readonly canUndo = $derived(this.version >= 0 && this.history.canUndo);
  readonly canRedo = $derived(this.version >= 0 && this.history.canRedo);
  readonly undoLabel = $derived(this.version >= 0 ? this.history.undoLabel : undefined);
  readonly redoLabel = $derived(this.version >= 0 ? this.history.redoLabel : undefined);
  readonly selectedNotes = $derived(this.notes.filter((n) => this.selection.has(n.id)));
  readonly abcErrors = $derived(this.abcProblems.filter((p) => p.severity === 'error'));

  /**
   * Opens a seed and/or take: replaces the notes, clears the history and the problems of what was
   * open before. The title is the source's own (given, or its ABC's T:): never the last tune's.
   */
  load(source: TuneSource): void {
    const seed = toRollNotes(source.seed ?? [], true);
    const take = toRollNotes(source.take ?? [], false);
    this.seedEnd = seed.reduce((m, n) => Math.max(m, n.end), 0);
    this.abcProblems = [];
    this.title = source.title ?? 'Untitled';
    let abc = source.abc && source.title ? withTitle(source.abc, source.title) : source.abc;
    const parsed = abc ? this.parse(abc) : null;
    if (parsed) this.applyHeader(parsed);
    // Only ABC was given (a typed seed, an opened .abc): its notes come from the parser.
    // The notation the musician wrote is kept for roll edits only when the notes are its notes.
    if (!parsed || seed.length || take.length) this.textForm = null;
    if (parsed && !seed.length && !take.length) take.push(...toRollNotes(parsed.notes, false));
    this.notes = sortNotes([...seed, ...take]);
    this.selection = EMPTY;
    this.history.reset({ notes: this.notes, selection: EMPTY });
    this.version++;
    this.loads++;
    // With a seed on the desk, the ABC is written from all its notes when the take's own ABC lacks
    // the seed; an ABC model's take is the whole tune in the model's own notation (its pickup, bar
    // lines and repeats), kept as it is when it holds exactly the desk's notes.
    const whole = !!parsed && parsed.notes.length === this.notes.length && parsed.notes.every((n, i) => n.pitch === this.notes[i].pitch);
    if ((!abc || (seed.length && !whole)) && this.notes.length) abc = this.writeAbcText();
    this.abcText = abc ?? '';
  }

  /** A NoteSequence of the tune (or only the seed / only the take). */
  sequence(which: 'all' | 'seed' | 'take' = 'all'): NoteSequence {
    const chosen = which === 'all' ? this.notes : this.notes.filter((n) => n.seed === (which === 'seed'));
    const notes = toNotes(chosen);
    return {
      title: this.title,
      notes,
      tempos: [{ time: 0, qpm: this.qpm }],
      timeSignatures: [{ ...this.meter, time: 0 }],
      keySignatures: this.key ? [{ ...this.key, time: 0 }] : [],
      totalTime: notes.reduce((m, n) => Math.max(m, n.end), 0),
    };
  }

  // ---- edits (every one is undoable) ----

  /** Applies an edit made elsewhere (a roll gesture): records it and rewrites the ABC. */
  apply(notes: RollNote[], label: string, selection: Selection = this.selection): void {
    this.notes = notes;
    this.selection = selection;
    this.history.push({ notes, selection }, label);
    this.version++;
    this.refreshAbc();
    this.abcProblems = [];
  }

  /** Meter and tempo from the transport bar: the notes stay, the ABC is rewritten with the new bars. */
  setMeter(numerator: number, denominator: number): void {
    this.meter = { time: 0, numerator, denominator };
    this.textForm = null;
    if (this.notes.length) this.refreshAbc();
  }

  setKey(key: KeySignature | undefined): void {
    this.key = key;
    this.textForm = null;
    if (this.notes.length) this.refreshAbc();
  }

  setTempo(qpm: number): void {
    if (!(qpm >= 20 && qpm <= 400)) return;
    this.qpm = qpm;
    this.textForm = null;
    if (this.notes.length) this.refreshAbc();
  }

  select(selection: Selection): void {
    this.selection = selection;
  }

  selectAll(): void {
    this.selection = new Set(this.notes.map((n) => n.id));
  }

  deleteSelection(): void {
    if (!this.selection.size) return;
    this.apply(deleteNotes(this.notes, this.selection), `Delete ${count(this.selection.size)}`, EMPTY);
  }

  /** Arrow keys: left/right by grid steps, up/down by semitones (octaves with Shift). */
  nudge(dt: number, dp: number): void {
    if (!this.selection.size) return;
    const moved = moveNotes(this.notes, this.selection, dt, dp);
    this.apply(moved, dp && !dt ? `Transpose ${count(this.selection.size)}` : `Move ${count(this.selection.size)}`);
  }

  transposeSelection(semitones: number): void {
    this.nudge(0, semitones);
  }

  quantizeSelection(stepsPerQuarter: number): void {
    const ids = this.selection.size ? this.selection : new Set(this.notes.map((n) => n.id));
    if (!ids.size) return;
    this.apply(quantizeNotes(this.notes, ids, stepsPerQuarter), `Quantize ${count(ids.size)}`);
  }

  setSelectionVelocity(velocity: number): void {
    if (!this.selection.size) return;
    this.apply(setVelocity(this.notes, this.selection, velocity), `Velocity of ${count(this.selection.size)}`);
  }

  duplicateSelection(): void {
    if (!this.selection.size) return;
    const end = this.selectedNotes.reduce((m, n) => Math.max(m, n.end), 0);
    const start = this.selectedNotes.reduce((m, n) => Math.min(m, n.start), Infinity);
    const barEnd = Math.ceil((end - start) / this.barQuarters) * this.barQuarters;
    const { notes, ids } = duplicateNotes(this.notes, this.selection, start + barEnd);
    this.apply(notes, `Duplicate ${count(ids.length)}`, new Set(ids));
  }

  undo(): void {
    const s = this.history.undo();
    if (s) this.restore(s);
  }

  redo(): void {
    const s = this.history.redo();
    if (s) this.restore(s);
  }

  /**
   * The ABC panel's edit. Parse errors are shown at their line and the notes stay as they were;
   * a text that reads replaces the notes as one undoable step.
   */
  editAbc(text: string): boolean {
    if (this.abcTimer) clearTimeout(this.abcTimer);
    this.abcTimer = null;
    this.abcText = text;
    const parsed = this.parse(text, true);
    if (!parsed) return false;
    this.applyHeader(parsed);
    const notes = sortNotes(toRollNotes(parsed.notes, false).map((n) => ({ ...n, seed: n.start < this.seedEnd - 1e-9 })));
    this.notes = notes;
    this.selection = EMPTY;
    this.history.push({ notes, selection: EMPTY }, 'Edit ABC');
    this.version++;
    return true;
  }

  private restore(s: Snapshot): void {
    this.notes = s.notes;
    this.selection = s.selection;
    this.version++;
    this.refreshAbc();
    this.abcProblems = [];
  }

  private abcTimer: ReturnType<typeof setTimeout> | null = null;

  /**
   * The tune form of the ABC text the notes came from (typed, opened or loaded), so that a roll
   * edit rewrites the notes in the bars the musician wrote (their L:, header fields, bar lines,
   * pickup and chord symbols stay) instead of a fresh text. Null when the notes did not come from
   * the text, or when the meter, key or tempo was changed from the transport bar.
   */
  private textForm: TuneForm | null = null;

  /**
   * Rewrites the ABC after an edit. Writing is linear in the notes (about 13 ms per 1,000), so a
   * big tune is rewritten a moment after the last edit instead of on every one: the roll stays
   * immediate, the text follows.
   */
  private refreshAbc(): void {
    if (this.abcTimer) clearTimeout(this.abcTimer);
    this.abcTimer = null;
    if (this.notes.length <= LARGE_TUNE) {
      this.abcText = this.writeAbcText();
      return;
    }
    this.abcTimer = setTimeout(() => {
      this.abcTimer = null;
      this.abcText = this.writeAbcText();
    }, 250);
  }

  /** Writes any pending ABC now (before export, or before reading the text). */
  flushAbc(): void {
    if (!this.abcTimer) return;
    clearTimeout(this.abcTimer);
    this.abcTimer = null;
    this.abcText = this.writeAbcText();
  }

  private writeAbcText(): string {
    if (!this.notes.length) return '';
    try {
      const form = this.editedForm();
      if (form) return writeTuneForm(form, { title: this.title });
      return writeAbc(this.sequence(), { title: this.title });
    } catch (e) {
      this.abcProblems = [{ severity: 'error', message: `Could not write ABC: ${(e as Error).message}` }];
      return this.abcText;
    }
  }

  /**
   * The written tune form with the roll's notes in it, when the text can take them as written: one
   * voice, played once through (no repeats, endings or part order, so the roll's times are the
   * written times). Otherwise null and the tune is written afresh.
   */
  private editedForm(): TuneForm | null {
    const form = this.textForm;
    if (!form) return null;
    const voices = form.voices.filter((v) => v.notes.length > 0);
    if (voices.length !== 1 || form.parts) return null;
    const v = voices[0];
    if (v.opening || v.bars.some((b) => b.ending || b.line === '|:' || b.line === ':|' || b.line === '::')) return null;
    const notes = toNotes(this.notes).map((n) => ({ ...n, voice: 0 }));
    return { ...form, title: this.title, voices: [{ ...v, notes, broken: [] }] };
  }

  private parse(text: string, strict = false): NoteSequence | null {
    if (!text.trim()) {
      this.abcProblems = [];
      return { ...this.sequence(), notes: [] };
    }
    const result = parseAbc(text.includes('X:') ? text : `X:1\n${text}`);
    const shift = text.includes('X:') ? 0 : 1;
    const problems: AbcProblem[] = result.errors.map((e) => ({ severity: 'error', line: e.line !== undefined ? e.line - shift : undefined, message: e.detail }));
    const tune = result.tunes[0];
    // abcjs reads almost anything and warns about what it skipped; while the musician edits, a
    // skipped character means the notes would silently differ from the text, so it blocks.
    const severity = strict ? ('error' as const) : ('warning' as const);
    if (tune) problems.push(...tune.warnings.map((w) => ({ severity, line: w.line !== undefined ? w.line - shift : undefined, message: w.message })));
    this.abcProblems = problems;
    if (!tune || (strict && problems.length)) {
      if (!tune && !problems.length) this.abcProblems = [{ severity: 'error', message: 'No tune found: start with X:1 and a K: line.' }];
      return null;
    }
    this.textForm = tune.form;
    return tune.sequence;
  }

  /** Title, meter, key and tempo from the ABC header (the writer keeps them on the way back). */
  private applyHeader(seq: NoteSequence): void {
    if (seq.title) this.title = seq.title;
    if (seq.timeSignatures[0]) this.meter = seq.timeSignatures[0];
    this.key = seq.keySignatures[0];
    if (seq.tempos[0]) this.qpm = seq.tempos[0].qpm;
  }
}

const count = (n: number): string => `${n} note${n === 1 ? '' : 's'}`;
