/**
 * The studio's top-level state: connection, app info, the model library, the Generate form, the
 * takes (each its own title, model, settings, RNG seed and seed), the tune on the desk (TuneState),
 * the transport (PlayerState), note input, the side panels and the status line (derived from the
 * jobs running now, else the last message). Methods are the only writers; components read.
 */
import type { StudioApi } from '@shared/ipc/api';
import type { AppInfo, ModelSummary, NoteDto, Seed, Take } from '@shared/ipc/schemas';
import type { JobDto } from '@shared/ipc/channels/jobs';
import { isActive, isFinished } from '@shared/jobs/machine';
import { LENGTH_DIGITS, LENGTH_NAMES, enterNote, inputStart, neighbour, type Letter } from '../roll/note-input';
import { nextTakeNumber, takeSettings, takeTitle, titleOfAbc, type SeedSource, type TakeSampling, type TakeView } from './takes';
import { beamByBeat, keyName, parseAbc, writeAbc, writeSeedAbc, type KeySignature, type Note, type NoteSequence, type TimeSignature } from '@shared/music/index';
import type { Tool } from '../roll/gestures/pick';
import { toNotes } from '../roll/notes';
import { DevicesState, type SynthSink } from './devices.svelte';
import { PlayerState, type OutputFactory, type RemotePlayback } from './player.svelte';
import { collectSeeds, readProject, type ProjectDto } from '@shared/ipc/channels/project';
import { MAX_OPEN_BASE64, type OpenedFile, type OpenedTune } from '@shared/ipc/channels/music';
import { toBase64 } from '@shared/ipc/files';
import { saveProjectInParts } from '@shared/ipc/project-save';
import { makeSaver, type SaveFn } from '../export/save';
import { slug } from '../export/export';
import { TrainState } from './train.svelte';
import { TuneState } from './tune.svelte';

export type Panel = 'generate' | 'train' | 'models' | 'devices';
export type Theme = 'dark' | 'light';
export type { SeedSource, TakeView };
/** The side panels: open, collapsed to a rail, or (null) as the window's width suggests. */
export type Collapsed = { side: boolean | null; takes: boolean | null };

export interface StudioOptions {
  createOutput?: OutputFactory;
  /** The window's synth for the studio's synth.midi bytes (default: the built-in SoundFont synth). */
  synth?: () => Promise<SynthSink>;
  storage?: Pick<Storage, 'getItem' | 'setItem'> | null;
  /** Where exports go (default: the studio's saveFile, else a browser download). */
  save?: SaveFn;
  /** Draws a fresh RNG seed for a Generate without a locked one (default: crypto; tests pass their own). */
  random?: () => number;
  /** Waits between autosave attempts (default: 500 ms, then 1 s; tests pass one that does not wait). */
  autosaveRetryWait?: (attempt: number) => Promise<void>;
}

const cryptoSeed = (): number => crypto.getRandomValues(new Uint32Array(1))[0];
/** Below these widths the takes (then the side panel) fold to a rail unless the musician opened them. */
const NARROW_TAKES = 1200;
const NARROW_SIDE = 860;

const defaultOutput: OutputFactory = async () => (await import('../synth/builtin')).builtInSynth();
const defaultSynth = async (): Promise<SynthSink> => (await import('../synth/builtin')).builtInSynth();

export class StudioState {
  /** Saves an export: Electron's save dialog, or the browser's download in serve mode. */
  readonly save: SaveFn;
  connected = $state(false);
  info = $state<AppInfo | null>(null);
  models = $state.raw<ModelSummary[]>([]);
  panel = $state<Panel>('generate');
  status = $state('Connecting to the studio…');
  error = $state<string | null>(null);
  theme = $state<Theme>('dark');

  modelId = $state<string | undefined>(undefined);
  seedSource = $state<SeedSource>('abc');
  seedAbc = $state('');
  /** A seed recorded from a keyboard (the on-screen one or a MIDI input). */
  seedKeyboard = $state.raw<NoteDto[] | null>(null);
  /** A seed opened from a file (.abc or .mid). */
  seedFile = $state.raw<{ name: string; title: string; notes: NoteDto[]; meter: TimeSignature; key?: KeySignature; abc?: string } | null>(null);
  temperature = $state(1);
  topK = $state(0);
  topP = $state(1);
  length = $state(256);
  count = $state(4);
  rngSeed = $state<number | null>(null);
  /**
   * The seed's pickup in quarter notes (0: it starts on a downbeat), or null: as recorded (bar
   * lines from the click's downbeat) or, for a phrase the model cannot read that way, as found
   * from the playing by the engine.
   */
  seedPickup = $state<number | null>(null);
  /** Ask the model for the key and meter of the top bar (ABC models: the tune's header; event models: the scale). */
  keepKeyAndMeter = $state(false);
  /** ABC models: sample with the tune constraints (bar fill, sections, tonic ending). */
  tuneConstraints = $state(true);

  runId = $state<string | null>(null);
  /** The studio's record of this window's generation (shared/jobs/machine.ts): what `generating` is. */
  genJob = $state.raw<JobDto | null>(null);
  /** Notes of the take being generated, as they arrive (variation 0 is drawn live). */
  liveNotes = $state.raw<NoteDto[]>([]);
  takes = $state.raw<TakeView[]>([]);
  selectedTake = $state<number | null>(null);
  /** Takes marked for A/B comparison (indices into takes). */
  compare = $state.raw<number[]>([]);

  /** The roll's view, kept while the roll is hidden (plain data: it changes every frame while panning). */
  readonly rollView: { viewport?: import('../roll/viewport').Viewport; framedLoad?: number } = {};
  /** Piano roll tool and snap grid (steps per quarter). */
  tool = $state<Tool>('select');
  grid = $state(4);
  /** Note input (N): letters enter notes at the playhead, digits choose the length (MuseScore's digits). */
  noteInput = $state(false);
  inputDigit = $state(5);
  /** The keyboard shortcuts overlay. */
  helpOpen = $state(false);
  collapsed = $state<Collapsed>({ side: null, takes: null });
  width = $state(1440);

  readonly tune = new TuneState();
  readonly player: PlayerState;
  readonly devices: DevicesState;
  readonly train: TrainState;

  /** True once the autosaved project has been read (or there was none): autosave starts then. */
  restored = $state(false);
  savedAt = $state<string | null>(null);
  /** Why the last autosave failed after its retries (null once a save works again). */
  autosaveProblem = $state<string | null>(null);

  readonly generating = $derived(this.genJob !== null && isActive(this.genJob.state));
  readonly sideCollapsed = $derived(this.collapsed.side ?? this.width < NARROW_SIDE);
  readonly takesCollapsed = $derived(this.collapsed.takes ?? this.width < NARROW_TAKES);
  readonly inputLength = $derived(LENGTH_DIGITS[this.inputDigit] ?? 1);
  readonly inputLengthName = $derived(LENGTH_NAMES[this.inputDigit] ?? '1/4');
  /** The take on the desk. */
  readonly currentTake = $derived(this.selectedTake !== null ? (this.takes[this.selectedTake] ?? null) : null);
  /**
   * The status line: what is going on now (training, generating, recording), else the last
   * message or error. A message is about the past, so a job running now always shows instead.
   */
  readonly statusLine = $derived.by((): { text: string; error: boolean } => {
    const run = this.train.run;
    if (run && isActive(run.job.state)) return { text: this.train.statusLine, error: false };
    if (this.generating) return { text: this.genJob?.state === 'cancelling' ? 'Stopping the generation…' : `Generating… ${this.liveNotes.length} notes so far`, error: false };
    const rec = this.devices.recordingLine;
    if (rec) return { text: rec, error: false };
    if (this.noteInput) {
      const bar = this.tune.barQuarters;
      const at = this.player.position;
      return { text: `Note input: ${this.inputLengthName} notes at bar ${Math.floor(at / bar + 1e-9) + 1}, beat ${+((at % bar) / this.tune.beatQuarters + 1).toFixed(2)} · A-G add a note, 1-7 the length, 0 a rest, Esc leaves`, error: false };
    }
    return this.error ? { text: this.error, error: true } : { text: this.status, error: false };
  });
  readonly backendLabel = $derived(this.info?.backend.active ?? this.info?.backend.status ?? '…');
  readonly keptTakes = $derived(this.takes.filter((t) => t.kept));

  private unsubscribers: (() => void)[] = [];
  /** What the takes of the generation under way will be: their seed, model and settings. */
  private pending: Pick<TakeView, 'seedLabel' | 'seedNotes' | 'source' | 'model' | 'sampling'> & { seedTitle: string | null } = {
    seedLabel: 'no seed',
    seedNotes: [],
    source: 'none',
    model: { id: null, name: '' },
    sampling: { temperature: 1, topK: 0, topP: 1, length: 256, count: 1, rngSeed: null },
    seedTitle: null,
  };
  /** job.state events that arrived before generate()'s answer named the run. */
  private earlyJobs = new Map<string, JobDto>();
  /** The RNG seed of the last Generate (what "Lock RNG seed" locks when no take is open). */
  private lastRngSeed: number | null = null;
  /** Overrides the seed's name and source (Continue names the tune it continues). */
  private continuing: { label: string; title: string | null; abc: string | null } | null = null;
  private readonly storage: Pick<Storage, 'getItem' | 'setItem'> | null;
  private readonly random: () => number;
  private readonly autosaveRetryWait: (attempt: number) => Promise<void>;

  constructor(
    readonly api: StudioApi,
    options: StudioOptions = {},
  ) {
    this.save = options.save ?? makeSaver(api, 'serve');
    this.random = options.random ?? cryptoSeed;
    this.autosaveRetryWait = options.autosaveRetryWait ?? ((attempt) => new Promise((resolve) => setTimeout(resolve, 500 * attempt)));
    this.player = new PlayerState(options.createOutput ?? defaultOutput);
    this.train = new TrainState(api, {
      modelsChanged: () => void this.refreshModels(),
      // A run that starts makes the last message history; one that ends says how it ended.
      started: () => this.clearMessage(),
      ended: (message) => this.say(message),
    });
    this.devices = new DevicesState(api, options.synth ?? defaultSynth, (notes, qpm, dropped, countedIn) => this.keyboardSeed(notes, qpm, dropped, countedIn));
    this.storage = options.storage === undefined ? (typeof localStorage === 'undefined' ? null : localStorage) : options.storage;
    const theme = this.storage?.getItem('seedsong.theme');
    if (theme === 'light' || theme === 'dark') this.theme = theme;
    try {
      const panels = JSON.parse(this.storage?.getItem('seedsong.panels') ?? 'null') as Collapsed | null;
      if (panels) this.collapsed = { side: typeof panels.side === 'boolean' ? panels.side : null, takes: typeof panels.takes === 'boolean' ? panels.takes : null };
    } catch {
      /* a damaged preference: the defaults */
    }
  }

  async start(): Promise<void> {
    this.unsubscribers.push(
      this.api.on('engine.status', (backend) => {
        if (!this.info) return;
        this.info = { ...this.info, backend };
        // Keep the status line's engine state current (starting -> wasm), unless it shows something newer.
        if (this.status.startsWith('Engine: ')) this.status = this.engineLine();
      }),
      this.api.on('take.note', ({ runId, variation, note }) => {
        if (runId !== this.runId || variation !== 0) return;
        this.showDeskSeed();
        this.liveNotes = [...this.liveNotes, note];
      }),
      this.api.on('take.done', ({ runId, takes }) => this.takesArrived(runId, takes)),
      this.api.on('job.state', (job) => {
        if (job.kind !== 'generate') return;
        if (job.id === this.runId) this.generationState(job);
        else if (this.runId === null) {
          this.earlyJobs.set(job.id, job);
          if (this.earlyJobs.size > 8) this.earlyJobs.delete(this.earlyJobs.keys().next().value!);
        }
      }),
      this.api.on('playback.state', ({ runId, playing, beat }) => this.player.remoteState(runId, playing, beat)),
      this.api.on('devices.changed', (state) => this.player.setRemote(state.output && state.output !== 'Built-in synth' ? this.remotePlayback : null)),
    );
    await this.refresh();
    await Promise.all([this.devices.start(), this.train.start(), this.restoreProject()]);
    const output = this.devices.state?.output;
    this.player.setRemote(output && output !== 'Built-in synth' ? this.remotePlayback : null);
  }

  private readonly remotePlayback: RemotePlayback = {
    play: async (notes, qpm, fromBeat, loop, clicks) => {
      const r = await this.api.play({ notes: notes.slice(0, 100_000), qpm, fromBeat, loop, ...(clicks?.length ? { clicks: clicks.slice(0, 100_000) } : {}) });
      return r.ok ? { runId: r.value.runId } : { error: r.error.message };
    },
    stop: async () => {
      await this.api.stopPlayback({});
    },
  };

  /** A seed recorded from a keyboard arrives: it goes on the desk and becomes the Generate seed. */
  private keyboardSeed(notes: NoteDto[], qpm: number, dropped: number, countedIn: boolean): void {
    if (!notes.length) {
      this.status = 'Nothing was recorded: no notes arrived from the input.';
      return;
    }
    // Without a count-in there is no downbeat to keep: the first note is the downbeat, and the
    // silence before it was only the time it took to start playing.
    if (!countedIn && notes[0].start > 0) {
      const shift = notes[0].start;
      notes = notes.map((n) => ({ ...n, start: n.start - shift, end: n.end - shift }));
    }
    this.clearMessage();
    this.seedKeyboard = notes;
    this.seedSource = 'keyboard';
    this.selectedTake = null;
    this.tune.load({ seed: notes, title: 'Keyboard seed' });
    this.tune.setTempo(qpm);
    this.status = `Recorded a seed of ${notes.length} notes${dropped ? ` (${dropped} too short or overlapping were dropped)` : ''}. Press Generate to continue it.`;
  }

  async refresh(): Promise<void> {
    const info = await this.api.appInfo({});
    if (!info.ok) return this.showError(info.error.message);
    this.info = info.value;
    this.connected = true;
    const models = await this.api.listModels({});
    if (models.ok) {
      this.models = models.value;
      this.modelId ??= this.defaultModelId();
    } else this.showError(models.error.message);
    this.status = this.engineLine();
  }

  private engineLine(): string {
    const { backend, midi } = this.info!;
    return `Engine: ${backend.active ?? backend.message ?? backend.status} · MIDI: ${midi.message}`;
  }

  async refreshModels(): Promise<void> {
    const models = await this.api.listModels({});
    if (!models.ok) return this.showError(models.error.message);
    this.models = models.value;
    if (!this.models.some((m) => m.id === this.modelId)) this.modelId = this.defaultModelId();
  }

  /** The built-in default model (what a fresh install generates with), else the first there is. */
  defaultModelId(): string | undefined {
    return (this.models.find((m) => m.builtIn && m.id === 'builtin.default') ?? this.models.find((m) => m.builtIn) ?? this.models[0])?.id;
  }

  /** Collapses a side panel to a rail, or opens it; remembered for the next start. */
  togglePanel(which: 'side' | 'takes'): void {
    const now = which === 'side' ? this.sideCollapsed : this.takesCollapsed;
    this.collapsed = { ...this.collapsed, [which]: !now };
    this.storage?.setItem('seedsong.panels', JSON.stringify(this.collapsed));
  }

  setWidth(width: number): void {
    this.width = width;
  }

  setConnected(connected: boolean): void {
    this.connected = connected;
    if (!connected) this.status = 'Lost the connection to the studio; reconnecting…';
    else void this.refresh();
  }

  setTheme(theme: Theme): void {
    this.theme = theme;
    this.storage?.setItem('seedsong.theme', theme);
  }

  // ---- seeds ----

  /** The seed the Generate button would send, or an explanation of why it cannot. */
  seed(): { seed: Seed; label: string; notes: NoteDto[] } | { error: string } {
    switch (this.seedSource) {
      case 'none':
        return { seed: { kind: 'none' }, label: 'no seed', notes: [] };
      case 'abc': {
        if (!this.seedAbc.trim()) return { seed: { kind: 'none' }, label: 'no seed', notes: [] };
        const text = this.seedAbc.includes('X:') ? this.seedAbc : `X:1\n${this.seedAbc}`;
        const parsed = parseAbc(text);
        const tune = parsed.tunes[0];
        if (!tune) return { error: `The ABC seed does not read: ${parsed.errors[0]?.message ?? 'no tune found'}` };
        return { seed: { kind: 'abc', text: this.seedAbc }, label: `ABC: ${firstMusicLine(this.seedAbc)}`, notes: tune.sequence.notes };
      }
      case 'selection': {
        // Continue this tune: the notation on the desk as written (pickup, bars, repeats, chords),
        // when its ABC holds exactly the desk's notes; the engine respells what the model lacks.
        if (this.continuing?.abc) return { seed: { kind: 'abc', text: this.continuing.abc }, label: this.continuing.label, notes: toNotes(this.tune.notes) };
        const chosen = this.tune.selectedNotes;
        if (!chosen.length) return { error: 'Select some notes in the piano roll to use them as the seed.' };
        const from = Math.floor(chosen[0].start / this.tune.barQuarters) * this.tune.barQuarters;
        const notes = toNotes(chosen).map((n) => ({ ...n, start: n.start - from, end: n.end - from }));
        return { seed: this.abcSeed(notes, this.tune.meter, this.tune.key), label: `${notes.length} selected notes`, notes };
      }
      case 'file':
        if (!this.seedFile) return { error: 'Open an .abc or .mid file to use it as the seed.' };
        // An opened ABC tune goes as its author wrote it (pickup, bars, repeats); MIDI notes are written afresh.
        if (this.seedFile.abc) return { seed: { kind: 'abc', text: this.seedFile.abc }, label: `${this.seedFile.title} (${this.seedFile.name})`, notes: this.seedFile.notes };
        return { seed: this.abcSeed(this.seedFile.notes, this.seedFile.meter, this.seedFile.key), label: this.seedFile.name, notes: this.seedFile.notes };
      case 'keyboard':
        if (!this.seedKeyboard?.length) return { error: 'Record a seed first: choose an input in Devices (or the on-screen keyboard), press Rec and play.' };
        return { seed: this.abcSeed(this.seedKeyboard, this.tune.meter, this.tune.key), label: `keyboard (${this.seedKeyboard.length} notes)`, notes: this.seedKeyboard };
    }
  }

  /**
   * Notes become an open-ended ABC seed with the meter and key the musician chose, so that models
   * that read ABC headers (most of ours) continue in the right metre and key.
   */
  private abcSeed(notes: Note[], meter: TimeSignature, key: KeySignature | undefined): Seed {
    const seq: NoteSequence = {
      notes,
      tempos: [],
      timeSignatures: [{ ...meter, time: 0 }],
      keySignatures: key ? [{ ...key, time: 0 }] : [],
      totalTime: notes.reduce((m, n) => Math.max(m, n.end), 0),
    };
    try {
      if (this.seedPickup !== null && notes.length) {
        // The musician's pickup: the seed from its first note, the first bar line after the pickup.
        const first = Math.min(...notes.map((n) => n.start));
        const from = { ...seq, notes: notes.map((n) => ({ ...n, start: n.start - first, end: n.end - first })) };
        return { kind: 'abc', text: writeSeedAbc({ sequence: from, meter, pickup: this.seedPickup }, { title: 'Seed' }) };
      }
      return { kind: 'abc', text: writeAbc(seq, { pickup: 0, repeats: false, finalBar: false, tempo: false, title: 'Seed' }) };
    } catch {
      return { kind: 'notes', notes };
    }
  }

  /**
   * A file being opened that needs the musician's choice: a book's tune (the tune picker) or a
   * MIDI file's tracks (the track chooser). Null when nothing waits.
   */
  opening = $state.raw<OpenedFile | null>(null);

  /**
   * Reads a dropped or opened file as a seed, through the studio (openFile): a book with several
   * tunes opens the tune picker, a MIDI file with several tracks the track chooser; one tune opens
   * right away. Never throws: a bad file becomes a readable error.
   */
  async openSeedFile(file: { name: string; arrayBuffer(): Promise<ArrayBuffer>; text(): Promise<string> }): Promise<void> {
    const name = file.name;
    try {
      if (/\.json$/i.test(name)) {
        this.openProjectText(name, await file.text());
        return;
      }
      if (!/\.(mid|midi|kar|abc|txt)$/i.test(name)) throw new Error(`${name} is not a music file: open an .abc or .mid file (or a .seedsong.json project).`);
      const bytes = new Uint8Array(await file.arrayBuffer());
      if (bytes.length > (MAX_OPEN_BASE64 / 4) * 3) throw new Error(`${name} is ${(bytes.length / 1e6).toFixed(1)} MB; a music file may be up to ${((MAX_OPEN_BASE64 / 4) * 3) / 1e6} MB.`);
      const r = await this.api.openFile({ name: name.slice(0, 200), base64: toBase64(bytes) });
      if (!r.ok) throw new Error(r.error.message);
      const opened = r.value;
      if (opened.kind === 'abc' && opened.tunes.length === 1) return this.pickTune(opened, opened.tunes[0].index);
      const melodic = opened.kind === 'midi' ? opened.tracks.filter((t) => !t.drums) : [];
      if (opened.kind === 'midi' && opened.tracks.length <= 1) return this.pickTracks(opened, 'melody');
      if (opened.kind === 'midi' && !melodic.length) throw new Error(`${name} holds only drums: there is no tune in it.`);
      this.opening = opened;
      this.say(opened.kind === 'abc' ? `${name}: ${opened.tunes.length} tunes. Choose one.` : `${name}: ${opened.tracks.length} tracks. Choose the tune's track.`);
    } catch (e) {
      this.showError((e as Error)?.message ?? String(e));
    }
  }

  /** Closes the tune picker / track chooser without opening anything. */
  cancelOpening(): void {
    this.opening = null;
    this.clearMessage();
  }

  /** Opens one tune of the book in `opening` (by its index in the file). */
  async pickTune(opened: OpenedFile, index: number): Promise<void> {
    const r = await this.api.openTune({ fileId: opened.fileId, tune: index });
    if (!r.ok) return this.showError(r.error.message);
    this.opening = null;
    this.useOpenedTune(r.value);
  }

  /** Opens a MIDI file's melody guess, one track, or all tracks merged. */
  async pickTracks(opened: OpenedFile, tracks: 'melody' | 'all' | number): Promise<void> {
    const r = await this.api.openTune({ fileId: opened.fileId, tracks });
    if (!r.ok) return this.showError(r.error.message);
    this.opening = null;
    this.useOpenedTune(r.value);
  }

  private useOpenedTune(t: OpenedTune): void {
    if (!t.notes.length) return this.showError(`${t.name}: ${t.title} has no notes.`);
    const meter: TimeSignature = { time: 0, ...t.meter };
    const key: KeySignature | undefined = t.key ? { time: 0, ...t.key } : undefined;
    this.seedFile = { name: t.name, title: t.title, notes: t.notes.slice(0, 20_000), meter, key, abc: t.abc };
    this.tune.setMeter(meter.numerator, meter.denominator);
    this.tune.setKey(key);
    this.seedSource = 'file';
    this.selectedTake = null;
    this.player.stop();
    this.player.seek(0);
    if (t.abc) this.tune.load({ abc: t.abc, abcIsSeed: true, title: t.title });
    else this.tune.load({ seed: this.seedFile.notes, title: t.title, tempos: t.tempos });
    const count = `${t.notes.length} note${t.notes.length === 1 ? '' : 's'}`;
    const tempo = t.tempos.length > 1 ? `; ${t.tempo}` : '';
    const left = t.leftOut.length ? `. Left out: ${t.leftOut.join('; ')}` : '';
    this.say(`Seed: ${t.title} (${t.name}, ${count}${tempo})${left}`);
  }

  // ---- generating ----

  async generate(): Promise<void> {
    if (this.generating) return;
    this.clearMessage();
    this.seedFix = null;
    const chosen = this.seed();
    if ('error' in chosen) return this.showError(chosen.error);
    this.player.stop();
    // The seed replaces the desk while sampling: edits made on the open take stay with it.
    this.saveEdits();
    this.liveNotes = [];
    // A fresh RNG seed for every Generate unless one is locked: the take records the one it used.
    const rngSeed = this.rngSeed ?? this.random();
    const model = this.models.find((m) => m.id === this.modelId);
    const seedTitle = this.continuing ? this.continuing.title : this.seedTitle();
    this.pending = {
      seedLabel: this.continuing?.label ?? chosen.label,
      seedNotes: chosen.notes,
      source: this.continuing ? 'selection' : this.seedSource,
      model: { id: model?.id ?? null, name: model?.name ?? 'default' },
      sampling: { temperature: this.temperature, topK: this.topK, topP: this.topP, length: this.length, count: this.count, rngSeed },
      seedTitle,
    };
    // The seed goes on the desk when the model answers with its first note: a seed the model
    // cannot take leaves the desk (and the recording) as they were, with the reason and the fix.
    this.deskSeed = chosen.notes.length ? { seed: chosen.notes, title: seedTitle ?? undefined } : null;
    const result = await this.api.generate({
      modelId: this.modelId,
      seed: chosen.seed,
      sampling: { temperature: this.temperature, topK: this.topK, topP: this.topP, length: this.length, count: this.count, rngSeed },
      constraints: this.keepKeyAndMeter ? { key: keyName(this.tune.key), meter: `${this.tune.meter.numerator}/${this.tune.meter.denominator}` } : undefined,
      tuneConstraints: this.tuneConstraints,
    });
    if (!result.ok) return this.showError(result.error.message);
    const { runId } = result.value;
    this.pending = { ...this.pending, sampling: { ...this.pending.sampling, rngSeed: result.value.rngSeed } };
    this.lastRngSeed = result.value.rngSeed;
    this.runId = runId;
    const early = this.earlyJobs.get(runId);
    this.earlyJobs.clear();
    this.genJob = { id: runId, kind: 'generate', state: 'running', runId, message: null, progress: null, checkpoints: [], resumable: false, updatedAt: '' };
    if (early) this.generationState(early);
  }

  /**
   * The fix the engine offered for a seed it could not take ("To continue it: ..."), as a button:
   * applied to the recorded or opened seed only when the musician accepts it.
   */
  seedFix = $state<{ kind: 'quantize' | 'drop-chords' | 'transpose'; label: string } | null>(null);

  /** Applies the offered fix to the seed (the recording or the opened file) and generates again. */
  async applySeedFix(): Promise<void> {
    const fix = this.seedFix;
    if (!fix) return;
    this.seedFix = null;
    const change = (notes: NoteDto[]): NoteDto[] => {
      if (fix.kind === 'quantize') {
        const snap = (t: number) => Math.round(t * 2) / 2;
        return notes.map((n) => ({ ...n, start: snap(n.start), end: Math.max(snap(n.end), snap(n.start) + 0.5) }));
      }
      if (fix.kind === 'drop-chords') {
        const top = new Map<number, NoteDto>();
        for (const n of notes) {
          const k = Math.round(n.start * 48);
          if (!top.has(k) || top.get(k)!.pitch < n.pitch) top.set(k, n);
        }
        return [...top.values()].sort((a, b) => a.start - b.start);
      }
      const middle = [...notes].sort((a, b) => a.pitch - b.pitch)[notes.length >> 1]?.pitch ?? 67;
      const shift = middle > 71 ? -12 : 12;
      return notes.map((n) => ({ ...n, pitch: Math.max(0, Math.min(127, n.pitch + shift)) }));
    };
    if (this.seedSource === 'keyboard' && this.seedKeyboard) this.seedKeyboard = change(this.seedKeyboard);
    else if (this.seedSource === 'file' && this.seedFile) this.seedFile = { ...this.seedFile, notes: change(this.seedFile.notes), abc: undefined };
    else return;
    await this.generate();
  }

  /** The seed of the generation under way, put on the desk once the model answers (see generate). */
  private deskSeed: { seed: NoteDto[]; title?: string } | null = null;

  private showDeskSeed(): void {
    if (!this.deskSeed) return;
    this.selectedTake = null;
    this.tune.load(this.deskSeed);
    this.deskSeed = null;
  }

  /** The studio's word on this window's generation: running, stopping, or how it ended. */
  private generationState(job: JobDto): void {
    this.genJob = job;
    if (!isFinished(job.state)) return;
    this.runId = null;
    this.liveNotes = [];
    this.deskSeed = null;
    if (job.state === 'failed') {
      this.showError(job.message ?? 'Generation failed.');
      // The engine names its fix at the end of the message: offer it for a seed we can change.
      const fix = /To continue it: (quantize|keep only the top note|transpose)/.exec(job.message ?? '')?.[1];
      const kind = fix === 'quantize' ? 'quantize' : fix === 'transpose' ? 'transpose' : fix ? 'drop-chords' : null;
      if (kind && (this.seedSource === 'keyboard' || this.seedSource === 'file')) {
        this.seedFix = { kind, label: kind === 'quantize' ? 'Quantize the seed to eighths and try again' : kind === 'transpose' ? 'Transpose the seed an octave and try again' : 'Keep the top note of each chord and try again' };
      }
    }
    else if (job.state === 'cancelled') this.say('Generation stopped.');
  }

  /** Where the seed of the next Generate gets its title (the takes are named after it). */
  private seedTitle(): string | null {
    switch (this.seedSource) {
      case 'abc':
        return titleOfAbc(this.seedAbc);
      case 'file':
        return this.seedFile?.title ?? null;
      case 'keyboard':
        return this.seedKeyboard?.length ? 'Keyboard seed' : null;
      case 'selection':
        return this.tune.title !== 'Untitled' ? this.tune.title : null;
      case 'none':
        return null;
    }
  }

  /**
   * The desk's ABC as an open seed, or null when it does not hold exactly the desk's notes (then
   * the notes are written afresh). Its closing bar line is opened so the model goes on from there.
   */
  private deskAbcSeed(): string | null {
    const text = this.tune.abcText;
    if (!text.trim()) return null;
    const tune = parseAbc(text.includes('X:') ? text : `X:1\n${text}`).tunes[0];
    if (!tune) return null;
    const desk = [...this.tune.notes].sort((a, b) => a.start - b.start || a.pitch - b.pitch);
    const read = [...tune.sequence.notes].sort((a, b) => a.start - b.start || a.pitch - b.pitch);
    if (read.length !== desk.length || read.some((n, i) => n.pitch !== desk[i].pitch || Math.abs(n.start - desk[i].start) > 1e-6)) return null;
    return text.replace(/\|\]\s*$/, '|').replace(/\s+$/, '');
  }

  /** Continue: the whole tune on the desk (seed and take, with your edits) becomes the seed. */
  async continueTune(): Promise<void> {
    if (!this.tune.notes.length) return this.showError('Nothing to continue yet: generate a take or write some notes first.');
    const previous = this.seedSource;
    this.seedSource = 'selection';
    const saved = this.tune.selection;
    this.tune.selectAll();
    this.continuing = { label: `${this.tune.title} (${this.tune.notes.length} notes)`, title: this.tune.title !== 'Untitled' ? this.tune.title : null, abc: this.deskAbcSeed() };
    try {
      await this.generate();
    } finally {
      this.continuing = null;
      this.tune.select(saved);
      this.seedSource = previous;
    }
  }

  async stop(): Promise<void> {
    if (!this.runId || !this.generating) return;
    await this.api.cancelRun({ runId: this.runId });
  }

  private takesArrived(runId: string, takes: Take[]): void {
    if (runId !== this.runId) return;
    this.deskSeed = null;
    const p = this.pending;
    const first = nextTakeNumber(this.takes);
    const views: TakeView[] = takes.map((t, i) => ({
      ...t,
      runId,
      kept: false,
      number: first + i,
      title: takeTitle(p.seedTitle, first + i),
      model: p.model,
      sampling: p.sampling,
      source: p.source,
      seedLabel: p.seedLabel,
      seedNotes: p.seedNotes,
    }));
    this.takes = [...views, ...this.takes];
    this.liveNotes = [];
    this.compare = [];
    this.error = null;
    this.selectedTake = null; // the desk shows the seed now, not an older take: nothing to save into one
    this.openTake(0);
    this.say(`${takes.length} new take${takes.length === 1 ? '' : 's'}${takes.some((t) => t.warnings.length) ? ` (${takes.flatMap((t) => t.warnings)[0]})` : ''}`);
  }

  // ---- the RNG seed ----

  /**
   * Locks the RNG seed (the open take's, else the last Generate's, else a new one), so the next
   * Generate with the same settings makes that take again; or unlocks it (every Generate new).
   */
  lockSeed(locked: boolean): void {
    this.rngSeed = locked ? (this.currentTake?.sampling.rngSeed ?? this.lastRngSeed ?? this.random()) : null;
  }

  // ---- takes ----

  /** Puts a take on the desk: its seed in the seed colour, then the take. */
  openTake(index: number): void {
    this.saveEdits();
    const take = this.takes[index];
    if (!take) return;
    this.player.stop();
    this.player.seek(0);
    this.selectedTake = index;
    const notes = take.edited?.notes ?? take.notes;
    const seedEnd = take.seedNotes.reduce((m, n) => Math.max(m, n.end), 0);
    // A model's take is shown grouped by beat as a musician writes it (abc-token takes have no
    // spaces); a typed seed at its start keeps the musician's own spacing.
    const abc = take.edited?.abc ?? (take.abc ? beamByBeat(take.abc, { from: take.seedChars ?? 0 }) : take.abc);
    const title = take.edited?.title ?? take.title;
    if (!take.edited && take.seedNotes.length) {
      // The engine returns either the continuation alone or the whole tune starting with the seed:
      // either way the seed is drawn in the seed colour.
      if ((notes[0]?.start ?? 0) >= seedEnd - 1e-6) return this.tune.load({ seed: take.seedNotes, take: notes, abc, title });
      const k = startsWith(notes, take.seedNotes);
      if (k > 0) return this.tune.load({ seed: notes.slice(0, k), take: notes.slice(k), abc, title });
    }
    this.tune.load({ take: notes, abc, title });
  }

  /** A take's title as shown: the open one's is the desk's (a T: typed there renames it at once). */
  titleOf(index: number): string {
    const take = this.takes[index];
    if (!take) return '';
    return index === this.selectedTake ? this.tune.title : (take.edited?.title ?? take.title);
  }

  settingsOf(take: TakeView): string {
    return takeSettings(take);
  }

  /** Keeps the desk's edits with the take they were made on. */
  saveEdits(): void {
    const i = this.selectedTake;
    if (i === null || !this.takes[i] || !this.tune.canUndo) return;
    this.tune.flushAbc();
    const notes = toNotes(this.tune.notes);
    this.takes = this.takes.map((t, k) => (k === i ? { ...t, edited: { notes, abc: this.tune.abcText, title: this.tune.title } } : t));
  }

  keep(index: number): void {
    this.takes = this.takes.map((t, i) => (i === index ? { ...t, kept: !t.kept } : t));
  }

  discard(index: number): void {
    if (this.takes[index]?.kept) return;
    this.takes = this.takes.filter((_, i) => i !== index);
    this.compare = [];
    if (this.selectedTake === null) return;
    if (this.selectedTake === index) {
      this.selectedTake = null;
      if (this.takes.length) this.openTake(Math.min(index, this.takes.length - 1));
      else this.tune.load({});
    } else if (this.selectedTake > index) this.selectedTake--;
  }

  toggleCompare(index: number): void {
    this.compare = this.compare.includes(index) ? this.compare.filter((i) => i !== index) : [...this.compare.slice(-1), index];
  }

  // ---- the desk from the computer keyboard ----

  /** Note input on or off; on, the cursor (the playhead) goes where the next note belongs. */
  toggleNoteInput(on = !this.noteInput): void {
    if (on === this.noteInput) return;
    this.noteInput = on;
    if (!on) return;
    this.player.stop();
    this.player.seek(inputStart(this.tune.notes, this.tune.selection, this.player.position));
  }

  setInputLength(digit: number): void {
    if (LENGTH_DIGITS[digit] !== undefined) this.inputDigit = digit;
  }

  /** A letter in note input: the note at the cursor (or on the chord), selected; the cursor moves on. */
  enterNote(letter: Letter, chord = false): void {
    const tune = this.tune;
    const r = enterNote(tune.notes, tune.selection, { letter, cursor: this.player.position, length: this.inputLength, key: tune.key, chord });
    const added = r.notes.find((n) => n.id === r.id)!;
    tune.apply(r.notes, `Add ${letter.toUpperCase()}`, new Set([r.id]));
    this.player.seek(r.cursor);
    void this.player.audition(added.pitch, added.velocity);
  }

  /** Note input's rest, and its arrows: the cursor moves by the length. */
  moveCursor(steps: number): void {
    this.tune.select(new Set());
    this.player.seek(Math.max(0, this.player.position + steps * this.inputLength));
  }

  /** Alt+arrows: select the previous or next note and move the playhead to it (after it, in note input). */
  pickNote(delta: 1 | -1): void {
    const note = neighbour(this.tune.notes, this.tune.selection, this.player.position, delta);
    if (!note) return;
    this.tune.select(new Set([note.id]));
    this.player.stop();
    this.player.seek(this.noteInput ? note.end : note.start);
    void this.player.audition(note.pitch, note.velocity);
  }

  /** A note clicked in the score: the notes starting there are selected in the roll, the playhead moves there. */
  selectAt(quarters: number): void {
    // The score's times come from abcjs's milliseconds: within a hundredth of a quarter is the same onset.
    const notes = this.tune.notes.filter((n) => Math.abs(n.start - quarters) < 0.01);
    this.tune.select(new Set(notes.map((n) => n.id)));
    this.seek(notes.length ? Math.min(...notes.map((n) => n.start)) : quarters);
  }

  // ---- transport ----

  playStop(): void {
    this.player.beat = { beat: this.tune.beatQuarters, bar: this.tune.barQuarters };
    this.player.toggle(toNotes(this.tune.notes), this.tune.qpm, this.tune.tempos);
  }

  seek(quarters: number): void {
    const wasPlaying = this.player.playing;
    this.player.stop();
    this.player.seek(quarters);
    if (wasPlaying) void this.player.play(toNotes(this.tune.notes), this.tune.qpm, quarters, this.tune.tempos);
  }

  panic(): void {
    this.player.panic();
    void this.api.panic({});
  }

  // ---- the project (autosaved by the studio, reopened on start) ----

  /** Everything worth keeping, as plain data (no $state proxies cross the API). */
  projectSnapshot(): ProjectDto {
    const tune = this.tune;
    // Kept takes always; of the others the most recent, so the file stays small.
    const takes = this.takes.filter((t, i) => t.kept || i < 40).slice(0, 100);
    const strip = (notes: readonly NoteDto[]) => notes.slice(0, 50_000).map(({ pitch, start, end, velocity, voice }) => ({ pitch, start, end, velocity, voice }));
    // Each seed once: the takes of one Generate share theirs (version 1 copied it into every take).
    const { seeds, indices } = collectSeeds(takes);
    return {
      version: 2,
      seeds: seeds.map(strip),
      modelId: this.modelId,
      sampling: { temperature: this.temperature, topK: this.topK, topP: this.topP, length: this.length, count: this.count, rngSeed: this.rngSeed },
      seed: { source: this.seedSource, abc: this.seedAbc.slice(0, 200_000), keyboard: this.seedKeyboard ? strip(this.seedKeyboard) : null },
      desk: {
        title: tune.title.slice(0, 200),
        qpm: tune.qpm,
        meter: { numerator: tune.meter.numerator, denominator: tune.meter.denominator },
        key: tune.key ? { tonic: tune.key.tonic, mode: tune.key.mode, accidentals: tune.key.accidentals } : null,
        seedEnd: tune.seedEnd,
        notes: strip(tune.notes),
        selectedTake: this.selectedTake !== null && this.selectedTake < takes.length ? this.selectedTake : null,
        grid: this.grid,
      },
      takes: takes.map((t, i) => ({
        runId: t.runId.slice(0, 64),
        variation: t.variation,
        number: t.number,
        seedLabel: t.seedLabel.slice(0, 200),
        settings: takeSettings(t).slice(0, 200),
        kept: t.kept,
        abc: t.abc.slice(0, 200_000),
        ...(t.seedChars !== undefined && t.seedChars <= 200_000 ? { seedChars: t.seedChars } : {}),
        notes: strip(t.notes),
        seed: indices[i]!,
        warnings: t.warnings.slice(0, 20).map((w) => w.slice(0, 500)),
        edited: t.edited ? { notes: strip(t.edited.notes), abc: t.edited.abc.slice(0, 200_000), title: t.edited.title?.slice(0, 200) } : undefined,
        title: t.title.slice(0, 200),
        model: { id: t.model.id, name: t.model.name.slice(0, 200) },
        sampling: { ...t.sampling },
        source: t.source,
      })),
    };
  }

  /**
   * Autosaves in parts (a project may be larger than one WebSocket frame), retrying a failed save
   * twice; if it still fails the user is told, with what to do, and the next change tries again.
   */
  async saveProject(project: ProjectDto = this.projectSnapshot()): Promise<boolean> {
    const attempts = 3;
    let message = '';
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const r = await saveProjectInParts((part) => this.api.saveProject(part), project);
      if (r.ok) {
        this.savedAt = r.value.savedAt;
        if (this.autosaveProblem) {
          this.autosaveProblem = null;
          this.say('Autosave works again: your project is saved.');
        }
        return true;
      }
      message = r.error.message;
      // A project the studio refuses will be refused again: no point retrying.
      if (r.error.code === 'invalid_request') break;
      if (attempt < attempts) await this.autosaveRetryWait(attempt);
    }
    this.autosaveProblem = message;
    this.showError(`Autosave failed: ${message}. Your work is still open here; use Export project to keep a copy.`);
    return false;
  }

  async restoreProject(): Promise<void> {
    try {
      const r = await this.api.loadProject({});
      if (!r.ok) return this.showError(`The last project could not be opened: ${r.error.message}`);
      if (r.value.problem) this.status = r.value.problem;
      const p = r.value.project;
      if (!p) return;
      this.applyProject(p);
      if (p.takes.length || p.desk.notes.length) this.status = `Reopened your last session: ${p.takes.length} take${p.takes.length === 1 ? '' : 's'}, ${p.desk.notes.length} notes on the desk.`;
    } finally {
      this.restored = true;
    }
  }

  /** The project as a file of its own (Export project), to keep or to open on another machine. */
  projectFile(): { name: string; mime: string; bytes: Uint8Array } {
    return { name: `${slug(this.tune.title)}.seedsong.json`, mime: 'application/json', bytes: new TextEncoder().encode(JSON.stringify(this.projectSnapshot(), null, 1) + '\n') };
  }

  /**
   * Opens a project file written by Export project: it replaces the desk and the takes, as opening
   * a document does. A file that is not a valid project changes nothing and says why.
   */
  openProjectText(name: string, text: string): boolean {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (e) {
      this.showError(`${name} is not a Seedsong project: it is not JSON (${(e as Error).message}).`);
      return false;
    }
    const parsed = readProject(data);
    if (!parsed.ok) {
      this.showError(`${name} is not a Seedsong project: ${parsed.message}.`);
      return false;
    }
    this.applyProject(parsed.project);
    this.error = null;
    this.status = `Opened ${name}: ${parsed.project.takes.length} take${parsed.project.takes.length === 1 ? '' : 's'}, ${parsed.project.desk.notes.length} notes on the desk.`;
    return true;
  }

  private applyProject(p: ProjectDto): void {
    if (p.modelId && this.models.some((m) => m.id === p.modelId)) this.modelId = p.modelId;
    Object.assign(this, { temperature: p.sampling.temperature, topK: p.sampling.topK, topP: p.sampling.topP, length: p.sampling.length, count: p.sampling.count, rngSeed: p.sampling.rngSeed });
    this.seedSource = p.seed.source;
    this.seedAbc = p.seed.abc;
    this.seedKeyboard = p.seed.keyboard;
    this.grid = p.desk.grid;
    // Projects saved before takes knew their title, model and settings still open.
    // Takes of one seed share its notes (the next autosave stores them once again).
    this.takes = p.takes.map(({ seed, ...t }) => ({
      ...t,
      seedNotes: p.seeds[seed] ?? [],
      title: t.title ?? `Take ${t.number}`,
      model: t.model ?? { id: null, name: '' },
      sampling: t.sampling ?? { ...p.sampling, rngSeed: null },
      source: t.source ?? 'none',
    }));
    const d = p.desk;
    this.tune.setMeter(d.meter.numerator, d.meter.denominator);
    this.tune.setKey(d.key ? { time: 0, tonic: d.key.tonic, mode: d.key.mode as KeySignature['mode'], accidentals: d.key.accidentals } : undefined);
    this.tune.setTempo(d.qpm);
    this.tune.load({ seed: d.notes.filter((n) => n.start < d.seedEnd - 1e-9), take: d.notes.filter((n) => n.start >= d.seedEnd - 1e-9), title: d.title || undefined });
    this.selectedTake = d.selectedTake !== null && d.selectedTake < this.takes.length ? d.selectedTake : null;
  }

  showError(message: string): void {
    this.error = message;
    this.status = message;
  }

  /** A message for the status line (it stays until the next one, or a job running shows instead). */
  say(message: string): void {
    this.error = null;
    this.status = message;
  }

  /** Something new starts: the last message and error are history. */
  clearMessage(): void {
    this.error = null;
    if (this.info) this.status = this.engineLine();
  }

  dispose(): void {
    this.player.stop();
    this.devices.dispose();
    this.train.dispose();
    for (const off of this.unsubscribers.splice(0)) off();
  }
}

/** How many notes of `notes` (sorted) are the seed's notes, when the take begins with the whole seed; else 0. */
function startsWith(notes: readonly NoteDto[], seed: readonly NoteDto[]): number {
  const sorted = seed.slice().sort((a, b) => a.start - b.start || a.pitch - b.pitch);
  if (sorted.length > notes.length) return 0;
  for (let i = 0; i < sorted.length; i++) {
    if (notes[i].pitch !== sorted[i].pitch || Math.abs(notes[i].start - sorted[i].start) > 1e-6) return 0;
  }
  return sorted.length;
}

function firstMusicLine(abc: string): string {
  const line = abc.split('\n').find((l) => l.trim() && !/^[A-Za-z]:/.test(l.trim())) ?? abc.split('\n')[0] ?? '';
  return line.trim().slice(0, 24);
}
