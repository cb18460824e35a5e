/**
 * torchrun in the Train panel (TrainWhere.svelte): whether the studio found PyTorch, sensible
 * settings for this machine, and what a torchrun run in progress reports (its processes, tokens/s
 * of each). The choice itself lives in TrainState.distributed, which starts and resumes runs.
 */
import type { StudioApi } from '@shared/ipc/api';
import type { DistributedDto, TrainingEnginesDto } from '@shared/ipc/channels/training';

export interface TorchrunLive {
  runId: string;
  worldSize: number;
  nodes: number;
  device: string;
  backend: string;
  jobDir: string;
  tokensPerSecondPerProcess: number;
}

export class TorchrunState {
  engines = $state.raw<TrainingEnginesDto['torchrun'] | null>(null);
  checking = $state(false);
  error = $state<string | null>(null);
  live = $state.raw<TorchrunLive | null>(null);
  private off: (() => void)[] = [];

  constructor(private readonly api: StudioApi) {}

  start(): void {
    this.off.push(
      this.api.on('train.started', (e) => (this.live = e.distributed ? { runId: e.runId, ...e.distributed, tokensPerSecondPerProcess: 0 } : null)),
      this.api.on('train.progress', (e) => {
        if (this.live?.runId === e.runId && e.tokensPerSecondPerProcess !== undefined) this.live = { ...this.live, tokensPerSecondPerProcess: e.tokensPerSecondPerProcess };
      }),
    );
    void this.refresh();
  }

  /** Asks the studio (it runs `python3 -c 'import torch'` once; `again` looks again, e.g. after installing). */
  async refresh(again = false): Promise<void> {
    this.checking = true;
    this.error = null;
    const r = await this.api.trainingEngines(again ? { refresh: true } : {});
    this.checking = false;
    if (r.ok) this.engines = r.value.torchrun;
    else this.error = r.error.message;
  }

  /** One process per GPU; on CPUs up to 4 processes (each one thread), sharing every batch. */
  defaults(): DistributedDto {
    const e = this.engines;
    if (e?.cuda && e.gpus > 0) return { launcher: 'torchrun', nprocPerNode: e.gpus, device: 'cuda' };
    return { launcher: 'torchrun', nprocPerNode: Math.max(1, Math.min(4, e?.cpus ?? 1)), device: 'cpu' };
  }

  dispose(): void {
    for (const f of this.off.splice(0)) f();
  }
}
