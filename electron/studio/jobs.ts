/**
 * The studio's long jobs (training runs and generations) as records in the states of
 * shared/jobs/machine.ts. Every change goes through apply(), which runs the machine and sends the
 * new record as a `job.state` event, so the window sees exactly the state the studio holds.
 */
import { isActive, step, type JobEvent } from '@shared/jobs/machine';
import type { CheckpointDto, JobDto } from '@shared/ipc/channels/jobs';
import type { EventBus } from './events';

/** Finished generations are kept this long in the list (a window reopened mid-run finds its job). */
const KEEP_FINISHED = 20;
/** Checkpoints listed per job: the newest ones, so a long run's record stays small. */
const MAX_CHECKPOINTS = 50;

export class JobBoard {
  private readonly jobs = new Map<string, JobDto>();

  constructor(
    private readonly events: EventBus,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get(id: string): JobDto | undefined {
    return this.jobs.get(id);
  }

  /** The job whose engine run is `runId`. */
  byRun(runId: string): JobDto | undefined {
    for (const job of this.jobs.values()) if (job.runId === runId) return job;
    return undefined;
  }

  /**
   * Moves job `id` (created from `fresh` when the board does not know it) by `event`. Sends the
   * new record and returns it, or returns null (and sends nothing) when its state refuses the event.
   */
  apply(id: string, event: JobEvent, patch: Partial<JobDto> = {}, fresh?: () => JobDto): JobDto | null {
    const job = this.jobs.get(id) ?? fresh?.();
    if (!job) return null;
    const moved = step(job, event, { ...patch, updatedAt: this.now().toISOString() });
    if (moved === job) return null;
    this.set(moved);
    return moved;
  }

  /** Changes what a job carries (progress, checkpoints) without changing its state; `send` tells the window. */
  patch(id: string, patch: Partial<Omit<JobDto, 'state' | 'kind' | 'id'>>, send = false): JobDto | null {
    const job = this.jobs.get(id);
    if (!job) return null;
    const changed = { ...job, ...patch, updatedAt: this.now().toISOString() };
    this.jobs.set(id, changed);
    if (send) this.send(changed);
    return changed;
  }

  /** Live and recent jobs, newest first. */
  list(): JobDto[] {
    return [...this.jobs.values()].sort((a, b) => b.updatedAt.localeCompare(a.updatedAt));
  }

  private set(job: JobDto): void {
    this.jobs.set(job.id, job);
    this.send(job);
    if (!isActive(job.state)) this.forgetOldGenerations();
  }

  private send(job: JobDto): void {
    // Per-epoch records stream as train.epoch; the event carries the state, not the history.
    const { history: _history, ...rest } = job;
    this.events.emit('job.state', rest);
  }

  private forgetOldGenerations(): void {
    const finished = this.list().filter((j) => j.kind === 'generate' && !isActive(j.state));
    for (const old of finished.slice(KEEP_FINISHED)) this.jobs.delete(old.id);
  }
}

/**
 * The checkpoint list after `added` was saved: each id once (a resumed run saves "epoch-0003"
 * again), in training order, the newest MAX_CHECKPOINTS. `exists` drops the ones the engine
 * removed (it keeps only the newest mid-epoch checkpoint). "best" is a copy of one of the others
 * (listed with the reason "best"), so it is not listed again.
 */
export function withCheckpoint(list: readonly CheckpointDto[], added: CheckpointDto, exists: (id: string) => boolean): CheckpointDto[] {
  if (added.id === 'best') return [...list];
  const rest = list.filter((c) => c.id !== added.id && (!c.id.startsWith('step-') || exists(c.id)));
  return [...rest, added].sort((a, b) => a.step - b.step || a.id.localeCompare(b.id)).slice(-MAX_CHECKPOINTS);
}
