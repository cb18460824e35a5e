/**
 * The tune on the desk: the notes the roll edits, their ABC text, meter, key and tempo, the
 * selection and the undo history. The roll and the ABC panel are two views of it: a roll edit
 * rewrites the ABC through the music core's writer, an ABC edit re-reads the notes through its
 * parser, and both go through the same history.
 */
import { describeTempoMap, parseAbc, spliceEdit, tempoMarks, writeAbc, writeTuneForm, type KeySignature, type NoteSequence, type TempoChange, type TimeSignature, type TuneForm } from '@shared/music/index';
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
  /** The ABC text of this state when it was spliced or typed (undo brings the musician's text back). */
  abc?: string;
}

export interface TuneSource {
  seed?: readonly { pitch: number; start: number; end: number; velocity: number; voice: number }[];
  take?: readonly { pitch: number; start: number; end: number; velocity: number; voice: number }[];
  abc?: string;
  title?: string;
  /** The ABC's notes are the seed (an opened tune), not a take. */
  abcIsSeed?: boolean;
  /** A tempo map (a .mid's; first entry at 0): kept in playback and export. */
  tempos?: readonly TempoChange[];
}

const EMPTY: Selection = new Set();
/** Above this many notes the ABC is rewritten after a pause in editing, not on every edit. */
const LARGE_TUNE = 2000;

export class TuneState {
  notes = $state.raw<RollNote[]>([]);
  selection = $state.raw<Selection>(EMPTY);
  title = $state('Untitled');
  qpm = $state(120);
  /** The tempo map when the tune has tempo changes (first entry at 0, its tempo = qpm), else empty. */
  tempos = $state.raw<TempoChange[]>([]);
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
  /** The tempo map in words, when there is one ("tempo map: starts at 96 bpm, 3 changes (80-96 bpm)"). */
  readonly tempoLine = $derived(this.tempos.length > 1 ? describeTempoMap(this.tempos) : null);
  /** The same, short enough for the transport bar ("348 tempo changes"). */
  readonly tempoShort = $derived.by(() => {
    const changes = this.tempos.filter((t, i) => i > 0 && Math.abs(t.qpm - this.tempos[i - 1].qpm) > 1e-6).length;
    return changes ? `${changes} tempo change${changes === 1 ? '' : 's'}` : null;
  });

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
    this.tempos = [];
    if (source.tempos?.length) {
      this.qpm = source.tempos[0].qpm;
      this.tempos = source.tempos.length > 1 ? source.tempos.map((t) => ({ time: t.time, qpm: t.qpm })) : [];
    }
    let abc = source.abc && source.title ? withTitle(source.abc, source.title) : source.abc;
    const parsed = abc ? this.parse(abc) : null;
    if (parsed) this.applyHeader(parsed);
    // Only ABC was given (a typed seed, an opened .abc): its notes come from the parser.
    // The notation the musician wrote is kept for roll edits only when the notes are its notes.
    if (!parsed || seed.length || take.length) this.textForm = null;
    if (parsed && !seed.length && !take.length) (source.abcIsSeed ? seed : take).push(...toRollNotes(parsed.notes, !!source.abcIsSeed));
    if (source.abcIsSeed) this.seedEnd = seed.reduce((m, n) => Math.max(m, n.end), 0);
    this.notes = sortNotes([...seed, ...take]);
    this.selection = EMPTY;
    this.version++;
    this.loads++;
    // With a seed on the desk, the ABC is written from all its notes when the take's own ABC lacks
    // the seed; an ABC model's take is the whole tune in the model's own notation (its pickup, bar
    // lines and repeats), kept as it is when it holds exactly the desk's notes.
    const whole = !!parsed && parsed.notes.length === this.notes.length && parsed.notes.every((n, i) => n.pitch === this.notes[i].pitch);
    if ((!abc || (seed.length && !whole)) && this.notes.length) abc = this.writeAbcText();
    this.abcText = abc ?? '';
    this.history.reset({ notes: this.notes, selection: EMPTY, abc: this.textForm ? this.abcText : undefined });
  }

  /** A NoteSequence of the tune (or only the seed / only the take). */
  sequence(which: 'all' | 'seed' | 'take' = 'all'): NoteSequence {
    const chosen = which === 'all' ? this.notes : this.notes.filter((n) => n.seed === (which === 'seed'));
    const notes = toNotes(chosen);
    return {
      title: this.title,
      notes,
      tempos: this.tempos.length > 1 ? this.tempos.map((t) => ({ ...t })) : [{ time: 0, qpm: this.qpm }],
      timeSignatures: [{ ...this.meter, time: 0 }],
      keySignatures: this.key ? [{ ...this.key, time: 0 }] : [],
      totalTime: notes.reduce((m, n) => Math.max(m, n.end), 0),
    };
  }

  // ---- edits (every one is undoable) ----

  /**
   * Applies an edit made elsewhere (a roll gesture): records it and writes it into the ABC. When
   * the notes came from the text, only the bars the edit touched are rewritten (spliceEdit): the
   * rest of what the musician wrote stays as written; an edit to one pass of a repeated bar changes
   * the written bar, so the desk then plays it in every pass. Otherwise the ABC is written afresh.
   */
  apply(notes: RollNote[], label: string, selection: Selection = this.selection): void {
    const spliced = this.splice(notes);
    if (spliced) ({ notes, selection } = spliced.desk ?? { notes, selection });
    this.notes = notes;
    this.selection = selection;
    this.history.push({ notes, selection, abc: spliced?.text }, label);
    this.version++;
    if (spliced) {
      if (this.abcTimer) clearTimeout(this.abcTimer);
      this.abcTimer = null;
      this.abcText = spliced.text;
      this.textForm = spliced.form;
    } else this.refreshAbc();
    this.abcProblems = [];
  }

  /** The edit spliced into the musician's text, or null (see apply). */
  private splice(notes: RollNote[]): { text: string; form: TuneForm; desk?: { notes: RollNote[]; selection: Selection } } | null {
    if (!this.textForm || !this.abcText.trim() || this.abcTimer) return null;
    let r: ReturnType<typeof spliceEdit>;
    try {
      r = spliceEdit(this.abcText, toNotes(this.notes), toNotes(notes));
    } catch {
      return null;
    }
    if (!r || !r.bars.length) return null;
    const key = (n: { pitch: number; start: number; end: number }) => `${n.pitch}@${Math.round(n.start * 1e6)}-${Math.round(n.end * 1e6)}`;
    const mine = new Set(notes.map(key));
    if (r.notes.length === notes.length && r.notes.every((n) => mine.has(key(n)))) return { text: r.text, form: r.form };
    // The text plays the edit in every pass of the bar: the desk follows the text.
    const selected = new Set(notes.filter((n) => this.selection.has(n.id)).map(key));
    const desk = sortNotes(toRollNotes(r.notes, false).map((n) => ({ ...n, seed: n.start < this.seedEnd - 1e-9 })));
    return { text: r.text, form: r.form, desk: { notes: desk, selection: new Set(desk.filter((n) => selected.has(key(n))).map((n) => n.id)) } };
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
    // A tempo map keeps its shape: every tempo in it scales with the first.
    if (this.tempos.length > 1) this.tempos = this.tempos.map((t) => ({ time: t.time, qpm: (t.qpm * qpm) / this.qpm }));
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
    const before = { title: this.title, extent: this.index.extent(), count: this.notes.length };
    const parsed = this.parse(text, true);
    if (!parsed) return false;
    this.applyHeader(parsed);
    const notes = sortNotes(toRollNotes(parsed.notes, false).map((n) => ({ ...n, seed: n.start < this.seedEnd - 1e-9 })));
    this.notes = notes;
    this.selection = EMPTY;
    this.history.push({ notes, selection: EMPTY, abc: text }, 'Edit ABC');
    this.version++;
    // A new tune typed or pasted (another title, or notes well outside the ones shown): frame it.
    const now = this.index.extent();
    const bar = this.barQuarters;
    const outside = !before.extent || (now && (now.low < before.extent.low - 3 || now.high > before.extent.high + 3 || now.end > before.extent.end + 2 * bar || now.end < before.extent.end / 2));
    if (notes.length && (!before.count || this.title !== before.title || outside)) this.loads++;
    return true;
  }

  private restore(s: Snapshot): void {
    this.notes = s.notes;
    this.selection = s.selection;
    this.version++;
    if (s.abc !== undefined) {
      // The text as it was at that step (the musician's, or a splice of it), and its form again.
      if (this.abcTimer) clearTimeout(this.abcTimer);
      this.abcTimer = null;
      this.abcText = s.abc;
      this.parse(s.abc);
    } else this.refreshAbc();
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

  /**
   * The ABC text on the desk when it plays exactly the desk's notes (pitches and times), else null
   * (then an export writes the notes afresh).
   */
  writtenAbc(): string | null {
    this.flushAbc();
    const text = this.abcText;
    if (!text.trim() || !this.notes.length) return null;
    const tune = parseAbc(text.includes('X:') ? text : `X:1\n${text}`).tunes[0];
    if (!tune) return null;
    const key = (n: { pitch: number; start: number; end: number }) => `${n.pitch}@${Math.round(n.start * 1e4)}-${Math.round(n.end * 1e4)}`;
    const desk = this.notes.map(key).sort();
    const read = tune.sequence.notes.map(key).sort();
    if (read.length !== desk.length || read.some((k, i) => k !== desk[i])) return null;
    return text.includes('X:') ? text : `X:1\n${text}`;
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
      // A played tempo map (rubato) is written as the marks a musician would write; the desk keeps the map.
      const seq = this.sequence();
      if (seq.tempos.length > 1) seq.tempos = tempoMarks(seq.tempos, this.barQuarters);
      return writeAbc(seq, { title: this.title });
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
    this.tempos = seq.tempos.length > 1 ? seq.tempos.map((t) => ({ time: t.time, qpm: t.qpm })) : [];
  }
}

const count = (n: number): string => `${n} note${n === 1 ? '' : 's'}`;
