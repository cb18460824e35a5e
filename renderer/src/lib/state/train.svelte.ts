/**
 * The Train panel's state: corpora (imported as file contents), the preset and its
 * hyperparameters with validation, the training run shown (its job as the studio holds it, see
 * shared/jobs/machine.ts, with the live curves), earlier runs to overlay, and the CSV log.
 * Components read; these methods are the only writers. Every view of the run (its state, ETA,
 * buttons, the status line) derives from the job's state, so none can contradict another.
 */
import type { StudioApi } from '@shared/ipc/api';
import type { CorpusInfo, DistributedDto, EpochRecordDto, PresetDto } from '@shared/ipc/channels/training';
import type { CheckpointDto, JobDto } from '@shared/ipc/channels/jobs';
import { controls, isActive, isFinished, showsEta } from '@shared/jobs/machine';

export interface ProgressPoint {
  /** Epochs, fractional (epoch 2, half-way = 1.5). */
  x: number;
  loss: number;
  accuracy: number;
}

export interface RunView {
  /** The job as the studio last reported it: its state is the run's state. */
  job: JobDto;
  /** Per-batch points of the runs of this job seen live. */
  points: ProgressPoint[];
  history: EpochRecordDto[];
  tokensPerSecond: number;
  etaSeconds: number;
  parameters: number;
}

export interface TrainEvents {
  /** The model library changed (a run started or ended). */
  modelsChanged?(): void;
  /** A run started (the window's last message is history). */
  started?(): void;
  /** A run ended: how, in words. */
  ended?(message: string): void;
}

/** Curves keep at most this many points: past it every other one is dropped (a long run stays light to draw). */
export const MAX_POINTS = 4000;

export function addPoint(points: readonly ProgressPoint[], p: ProgressPoint): ProgressPoint[] {
  const kept = points.length >= MAX_POINTS ? points.filter((_, i) => i % 2 === 1) : points;
  return [...kept, p];
}

/** "epoch 3" for an epoch checkpoint, "epoch 4, step 170" for one taken inside an epoch. */
export function checkpointLabel(c: CheckpointDto): string {
  return c.id.startsWith('step-') ? `epoch ${c.epoch + 1}, step ${c.step}` : `epoch ${c.epoch}`;
}

/** The hyperparameters the form edits; every field has its limits and its explanation. */
export interface Form {
  epochs: number;
  batchSize: number;
  seqLength: number;
  learningRate: number;
  units: string;
  embeddingSize: number;
  dropout: number;
  patience: number;
  seed: number;
}

export const FIELDS: { key: keyof Form; label: string; help: string; min: number; max: number; step?: number }[] = [
  { key: 'epochs', label: 'Epochs', help: 'Passes over the corpus. More epochs fit better until validation loss starts rising.', min: 1, max: 10_000 },
  { key: 'batchSize', label: 'Batch size', help: 'Windows trained together. Larger is faster per token but needs more tunes.', min: 1, max: 4096 },
  { key: 'seqLength', label: 'Sequence length', help: 'Tokens per training window: how far back the model learns to look.', min: 2, max: 4096 },
  { key: 'learningRate', label: 'Learning rate', help: 'Step size of the optimizer. Too high diverges, too low crawls (1e-3..5e-3 is usual).', min: 1e-6, max: 1, step: 0.0001 },
  { key: 'embeddingSize', label: 'Embedding size', help: 'Size of each token\u2019s vector.', min: 1, max: 4096 },
  { key: 'dropout', label: 'Dropout', help: 'Fraction of activations dropped while training: fights overfitting on small corpora.', min: 0, max: 0.95, step: 0.05 },
  { key: 'patience', label: 'Early-stopping patience', help: 'Stop after this many epochs without a better validation loss (0 = never).', min: 0, max: 1000 },
  { key: 'seed', label: 'Random seed', help: 'The same seed, corpus and settings train the same model.', min: 0, max: 2 ** 32 - 1 },
];

const MAX_UPLOAD = 2_200_000; // bytes per file: base64 grows by 4/3 and the channel takes 3,000,000 characters

export class TrainState {
  presets = $state.raw<PresetDto[]>([]);
  corpora = $state.raw<CorpusInfo[]>([]);
  corpusId = $state<string | null>(null);
  presetName = $state('');
  modelName = $state('my-model');
  form = $state<Form>({ epochs: 10, batchSize: 16, seqLength: 64, learningRate: 0.002, units: '256', embeddingSize: 64, dropout: 0.2, patience: 3, seed: 1 });
  run = $state.raw<RunView | null>(null);
  /** Earlier runs (by model) whose curves are overlaid for comparison. */
  compared = $state.raw<{ modelId: string; history: EpochRecordDto[] }[]>([]);
  busy = $state<string | null>(null);
  /** Where runs train: null = this engine, else torchrun (chosen in TrainWhere.svelte). */
  distributed = $state<DistributedDto | null>(null);
  error = $state<string | null>(null);
  notice = $state<string | null>(null);

  readonly corpus = $derived(this.corpora.find((c) => c.id === this.corpusId) ?? null);
  readonly preset = $derived(this.presets.find((p) => p.name === this.presetName) ?? null);
  readonly problems = $derived(validate(this.form, this.modelName));
  readonly state = $derived(this.run?.job.state ?? 'idle');
  readonly active = $derived(isActive(this.state));
  readonly buttons = $derived(controls(this.state, this.run?.job.resumable ?? false));
  readonly showsEta = $derived(showsEta(this.state));
  readonly progress = $derived(this.run?.job.progress && this.run.job.progress.totalSteps > 0 ? Math.min(1, this.run.job.progress.step / this.run.job.progress.totalSteps) : isFinished(this.state) && this.state === 'done' ? 1 : 0);
  /** The status line while the run is active. */
  readonly statusLine = $derived.by(() => {
    const run = this.run;
    if (!run) return '';
    const name = run.job.modelId ?? 'the model';
    const p = run.job.progress;
    const where = p ? `epoch ${p.epoch} of ${p.epochs}` : 'starting';
    switch (run.job.state) {
      case 'pausing':
        return `Training ${name}: pausing after this batch (${where})`;
      case 'paused':
        return `Training ${name}: paused at ${where}`;
      case 'cancelling':
        return `Training ${name}: cancelling, saving a checkpoint (${where})`;
      default:
        return `Training ${name}: ${where}${run.etaSeconds > 0 ? ` · ${formatEta(run.etaSeconds)} left` : ''}`;
    }
  });

  private off: (() => void)[] = [];

  constructor(
    private readonly api: StudioApi,
    private readonly on: TrainEvents = {},
  ) {}

  async start(): Promise<void> {
    this.off.push(
      this.api.on('job.state', (job) => {
        if (job.kind === 'train') this.jobChanged(job);
      }),
      this.api.on('train.started', (e) => {
        if (this.run?.job.runId === e.runId) this.run = { ...this.run, parameters: e.parameters };
      }),
      this.api.on('train.progress', (e) => {
        const run = this.run;
        if (!run || run.job.runId !== e.runId || !isActive(run.job.state)) return;
        const x = e.epoch - 1 + e.batch / Math.max(1, e.batchesPerEpoch);
        const progress = { epoch: e.epoch, epochs: e.epochs, step: e.step, totalSteps: e.totalSteps };
        this.run = { ...run, job: { ...run.job, progress }, tokensPerSecond: e.tokensPerSecond, etaSeconds: e.etaSeconds, points: addPoint(run.points, { x, loss: e.loss, accuracy: e.accuracy }) };
      }),
      this.api.on('train.epoch', (e) => {
        const run = this.run;
        if (run?.job.runId !== e.runId) return;
        this.run = { ...run, history: [...run.history.filter((h) => h.epoch < e.record.epoch), e.record] };
      }),
    );
    await Promise.all([this.refresh(), this.refreshRun()]);
  }

  /** The run to show when the window opens: the newest training job the studio knows (live or on disk). */
  async refreshRun(): Promise<void> {
    const r = await this.api.listJobs({});
    if (!r.ok) return void (this.error = r.error.message);
    const job = r.value.find((j) => j.kind === 'train');
    if (job && !this.run) this.run = { job, points: [], history: job.history ?? [], tokensPerSecond: 0, etaSeconds: 0, parameters: 0 };
  }

  /** The studio's word on a training job: the run shown follows it (a new job replaces the view). */
  private jobChanged(job: JobDto): void {
    const run = this.run;
    const before = run?.job.id === job.id ? run.job.state : null;
    if (run && run.job.id === job.id) {
      // The run's own progress (newer than the job's last checkpoint) stays while it runs.
      const progress = isActive(job.state) && run.job.runId === job.runId && run.job.progress ? run.job.progress : job.progress;
      this.run = { ...run, job: { ...job, progress }, etaSeconds: isActive(job.state) ? run.etaSeconds : 0, tokensPerSecond: isActive(job.state) ? run.tokensPerSecond : 0 };
    } else if (!run || isActive(job.state) || !isActive(run.job.state)) {
      this.run = { job, points: [], history: job.history ?? [], tokensPerSecond: 0, etaSeconds: 0, parameters: 0 };
    } else return;
    if (job.state === 'running' && before !== 'running' && before !== 'pausing' && before !== 'paused') this.on.started?.();
    if (isFinished(job.state) && before !== job.state) {
      this.on.modelsChanged?.();
      if (job.message) this.on.ended?.(job.message.replace(/^Training /, `Training ${job.modelId ?? ''} `).replace(/\s+/g, ' '));
    }
  }

  async refresh(): Promise<void> {
    const [presets, corpora] = await Promise.all([this.api.listPresets({}), this.api.listCorpora({})]);
    if (presets.ok) {
      this.presets = presets.value;
      if (!this.presetName && presets.value[0]) this.choosePreset(presets.value[0].name);
    } else this.error = presets.error.message;
    if (corpora.ok) {
      this.corpora = corpora.value;
      this.corpusId ??= corpora.value[0]?.id ?? null;
    } else this.error = corpora.error.message;
  }

  /** Train on this machine (null) or with torchrun. */
  trainWith(distributed: DistributedDto | null): void {
    this.distributed = distributed;
  }

  /** Fills the form from a preset's recipe. */
  choosePreset(name: string): void {
    const p = this.presets.find((x) => x.name === name);
    if (!p) return;
    this.presetName = name;
    const t = p.training;
    this.form = {
      epochs: t.epochs,
      batchSize: t.batchSize,
      seqLength: t.seqLength,
      learningRate: t.learningRate,
      units: p.model.units.join(', '),
      embeddingSize: p.model.embeddingSize,
      dropout: p.model.dropout,
      patience: t.patience,
      seed: t.seed,
    };
  }

  /** Adds dropped or picked files (and folders' files) to the chosen corpus, creating one if needed. */
  async addFiles(files: readonly { name: string; size: number; arrayBuffer(): Promise<ArrayBuffer> }[]): Promise<void> {
    this.error = null;
    const music = files.filter((f) => /\.(abc|mid|midi)$/i.test(f.name));
    const skipped = files.length - music.length;
    if (!music.length) {
      this.error = files.length ? `None of these is an .abc or .mid file (${files.slice(0, 3).map((f) => f.name).join(', ')}).` : 'No files.';
      return;
    }
    const tooBig = music.filter((f) => f.size > MAX_UPLOAD);
    const ok = music.filter((f) => f.size <= MAX_UPLOAD);
    this.busy = `Reading ${ok.length} file${ok.length === 1 ? '' : 's'}…`;
    try {
      if (!this.corpusId) {
        const created = await this.api.createCorpus({ name: this.modelName || 'corpus' });
        if (!created.ok) throw new Error(created.error.message);
        this.corpora = [...this.corpora, created.value];
        this.corpusId = created.value.id;
      }
      for (let i = 0; i < ok.length; i += 32) {
        const chunk = ok.slice(i, i + 32);
        const uploads = await Promise.all(chunk.map(async (f) => ({ name: f.name, base64: toBase64(new Uint8Array(await f.arrayBuffer())) })));
        this.busy = `Adding files ${i + 1}-${i + chunk.length} of ${ok.length}…`;
        const r = await this.api.addCorpusFiles({ corpusId: this.corpusId!, files: uploads });
        if (!r.ok) throw new Error(r.error.message);
        this.corpora = this.corpora.map((c) => (c.id === r.value.id ? r.value : c));
      }
      const notes = [skipped ? `${skipped} non-music file${skipped === 1 ? '' : 's'} skipped` : '', tooBig.length ? `${tooBig.map((f) => f.name).join(', ')} too large (over 2 MB)` : ''].filter(Boolean);
      this.notice = notes.length ? notes.join('; ') : null;
    } catch (e) {
      this.error = (e as Error).message;
    } finally {
      this.busy = null;
    }
  }

  async newCorpus(name: string): Promise<void> {
    const r = await this.api.createCorpus({ name });
    if (!r.ok) return void (this.error = r.error.message);
    this.corpora = [...this.corpora, r.value];
    this.corpusId = r.value.id;
  }

  async deleteCorpus(): Promise<void> {
    if (!this.corpusId) return;
    const r = await this.api.deleteCorpus({ corpusId: this.corpusId });
    if (!r.ok) return void (this.error = r.error.message);
    this.corpora = this.corpora.filter((c) => c.id !== this.corpusId);
    this.corpusId = this.corpora[0]?.id ?? null;
  }

  async startTraining(): Promise<void> {
    this.error = null;
    if (this.active) return;
    if (!this.corpus) return void (this.error = 'Add a corpus first: drop .abc or .mid files (or a folder of them) here.');
    if (!this.corpus.stats?.train) return void (this.error = 'This corpus has no tunes to train on yet.');
    if (!this.preset) return void (this.error = 'Pick a preset.');
    if (this.problems.length) return void (this.error = this.problems[0]);
    const f = this.form;
    const r = await this.api.startTraining({
      corpusId: this.corpus.id,
      preset: this.preset.name,
      modelId: this.modelName,
      overrides: {
        model: { units: parseUnits(f.units)!, embeddingSize: f.embeddingSize, dropout: f.dropout },
        training: { epochs: f.epochs, batchSize: f.batchSize, seqLength: f.seqLength, learningRate: f.learningRate, patience: f.patience, seed: f.seed },
      },
      distributed: this.distributed ? $state.snapshot(this.distributed) : undefined,
    });
    // The run appears through its job.state (the studio's word, whichever arrives first).
    if (!r.ok) return void (this.error = r.error.message);
  }

  async pause(): Promise<void> {
    const runId = this.run?.job.runId;
    if (!runId || !this.buttons.pause) return;
    const r = await this.api.pauseRun({ runId });
    if (!r.ok) this.error = r.error.message;
  }

  /** The epochs a resumed run trains up to: its own plan, or the form's when it had finished it. */
  readonly resumeEpochs = $derived(this.state === 'done' ? Math.max(this.form.epochs, (this.run?.job.progress?.epochs ?? 0) + 1) : (this.run?.job.progress?.epochs ?? this.form.epochs));

  async resume(): Promise<void> {
    const run = this.run;
    if (!run || !this.buttons.resume) return;
    this.error = null;
    if (run.job.state === 'paused' || run.job.state === 'pausing') {
      const r = await this.api.resumeRun({ runId: run.job.runId! });
      if (!r.ok) this.error = r.error.message;
      return;
    }
    // A stopped run continues from its latest checkpoint as a new run of the same job, on the
    // corpus it was trained on (recorded with the model), up to the epochs it was going for, here
    // or with torchrun as the Train panel says (checkpoints are one format).
    const r = await this.api.resumeTraining({ modelId: run.job.modelId!, epochs: this.resumeEpochs, distributed: this.distributed ? $state.snapshot(this.distributed) : undefined });
    if (!r.ok) this.error = r.error.message;
  }

  async cancel(): Promise<void> {
    const runId = this.run?.job.runId;
    if (!runId || !this.buttons.cancel) return;
    const r = await this.api.cancelRun({ runId });
    if (!r.ok) this.error = r.error.message;
  }

  /** Overlays another model's validation curve (or removes it). */
  async toggleCompare(modelId: string): Promise<void> {
    if (this.compared.some((c) => c.modelId === modelId)) {
      this.compared = this.compared.filter((c) => c.modelId !== modelId);
      return;
    }
    const r = await this.api.trainingLog({ modelId });
    if (!r.ok) return void (this.error = r.error.message);
    this.compared = [...this.compared, { modelId, history: r.value.history }];
  }

  /** The CSV log of a model (epoch, loss, accuracy, val_loss, val_accuracy), or an error. */
  async csv(modelId: string): Promise<string | null> {
    const r = await this.api.trainingLog({ modelId });
    if (!r.ok) {
      this.error = r.error.message;
      return null;
    }
    return r.value.csv;
  }

  dispose(): void {
    for (const f of this.off.splice(0)) f();
  }
}

export function parseUnits(text: string): number[] | null {
  const parts = text.split(/[\s,]+/).filter(Boolean).map(Number);
  if (!parts.length || parts.length > 8 || parts.some((n) => !Number.isInteger(n) || n < 1 || n > 4096)) return null;
  return parts;
}

/** Readable problems with the form, in the order of the fields. */
export function validate(form: Form, modelName: string): string[] {
  const problems: string[] = [];
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(modelName)) problems.push('Model name: use letters, digits, dot, dash or underscore (no spaces).');
  for (const f of FIELDS) {
    const v = form[f.key] as number;
    if (typeof v !== 'number' || !Number.isFinite(v)) problems.push(`${f.label}: enter a number.`);
    else if (v < f.min || v > f.max) problems.push(`${f.label}: between ${f.min} and ${f.max}.`);
    else if (!f.step && !Number.isInteger(v)) problems.push(`${f.label}: a whole number.`);
  }
  if (!parseUnits(form.units)) problems.push('Layer sizes: one to eight whole numbers, e.g. "256, 256".');
  return problems;
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds <= 0) return '—';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h} h ${m} min` : m ? `${m} min ${s % 60} s` : `${s} s`;
}
