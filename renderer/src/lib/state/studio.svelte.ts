/**
 * The studio's top-level state: connection, app info, the model library, the Generate form and
 * the takes of the current seed. Methods are the only writers; components read.
 */
import type { StudioApi } from '../../../../shared/ipc/api';
import type { AppInfo, ModelSummary, NoteDto, Take } from '../../../../shared/ipc/schemas';

export type Panel = 'generate' | 'train' | 'models' | 'devices';

export interface TakeView extends Take {
  runId: string;
  kept: boolean;
}

export class StudioState {
  connected = $state(false);
  info = $state<AppInfo | null>(null);
  models = $state.raw<ModelSummary[]>([]);
  panel = $state<Panel>('generate');
  status = $state('Connecting to the studio…');
  error = $state<string | null>(null);

  modelId = $state<string | undefined>(undefined);
  seedAbc = $state('');
  temperature = $state(1);
  topK = $state(0);
  topP = $state(1);
  length = $state(256);
  count = $state(4);
  rngSeed = $state<number | null>(null);

  runId = $state<string | null>(null);
  /** Notes of the take being generated, as they arrive (variation 0 is drawn live). */
  liveNotes = $state.raw<NoteDto[]>([]);
  takes = $state.raw<TakeView[]>([]);
  selectedTake = $state<number | null>(null);

  readonly generating = $derived(this.runId !== null);
  readonly backendLabel = $derived(this.info?.backend.active ?? this.info?.backend.status ?? '…');

  private unsubscribers: (() => void)[] = [];

  constructor(readonly api: StudioApi) {}

  async start(): Promise<void> {
    this.unsubscribers.push(
      this.api.on('engine.status', (backend) => {
        if (this.info) this.info = { ...this.info, backend };
      }),
      this.api.on('take.note', ({ runId, variation, note }) => {
        if (runId === this.runId && variation === 0) this.liveNotes = [...this.liveNotes, note];
      }),
      this.api.on('take.done', ({ runId, takes }) => {
        if (runId !== this.runId) return;
        this.takes = [...takes.map((t) => ({ ...t, runId, kept: false })), ...this.takes];
        this.selectedTake = 0;
        this.runId = null;
        this.status = `${takes.length} new take${takes.length === 1 ? '' : 's'}`;
      }),
      this.api.on('run.failed', ({ runId, error }) => {
        if (runId !== this.runId) return;
        this.runId = null;
        if (error.code === 'cancelled') this.status = 'Generation stopped';
        else this.showError(error.message);
      }),
    );
    await this.refresh();
  }

  async refresh(): Promise<void> {
    const info = await this.api.appInfo({});
    if (!info.ok) return this.showError(info.error.message);
    this.info = info.value;
    this.connected = true;
    const models = await this.api.listModels({});
    if (models.ok) {
      this.models = models.value;
      this.modelId ??= models.value[0]?.id;
    } else this.showError(models.error.message);
    this.status = `Engine: ${this.info.backend.active ?? this.info.backend.message ?? this.info.backend.status} · MIDI: ${this.info.midi.message}`;
  }

  setConnected(connected: boolean): void {
    this.connected = connected;
    if (!connected) this.status = 'Lost the connection to the studio; reconnecting…';
    else void this.refresh();
  }

  async generate(): Promise<void> {
    if (this.generating) return;
    this.error = null;
    this.liveNotes = [];
    const seed = this.seedAbc.trim() ? { kind: 'abc' as const, text: this.seedAbc } : { kind: 'none' as const };
    const result = await this.api.generate({
      modelId: this.modelId,
      seed,
      sampling: {
        temperature: this.temperature,
        topK: this.topK,
        topP: this.topP,
        length: this.length,
        count: this.count,
        rngSeed: this.rngSeed ?? undefined,
      },
    });
    if (!result.ok) return this.showError(result.error.message);
    this.runId = result.value.runId;
    this.status = 'Generating…';
  }

  async stop(): Promise<void> {
    if (!this.runId) return;
    await this.api.cancelRun({ runId: this.runId });
  }

  keep(index: number): void {
    this.takes = this.takes.map((t, i) => (i === index ? { ...t, kept: !t.kept } : t));
  }

  showError(message: string): void {
    this.error = message;
    this.status = message;
  }

  dispose(): void {
    for (const off of this.unsubscribers.splice(0)) off();
  }
}
