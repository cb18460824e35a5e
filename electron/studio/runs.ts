/** Run ids and their abort controllers, for generation and training runs alike. */
import { randomBytes } from 'node:crypto';
import type { Handlers } from '@shared/ipc/dispatch';

export class RunRegistry {
  private runs = new Map<string, { kind: string; controller: AbortController }>();

  start(kind: string): { runId: string; signal: AbortSignal } {
    const runId = `${kind}-${randomBytes(6).toString('hex')}`;
    const controller = new AbortController();
    this.runs.set(runId, { kind, controller });
    return { runId, signal: controller.signal };
  }

  cancel(runId: string): boolean {
    const run = this.runs.get(runId);
    if (!run) return false;
    run.controller.abort(new Error('cancelled'));
    this.runs.delete(runId);
    return true;
  }

  finish(runId: string): void {
    this.runs.delete(runId);
  }

  active(kind?: string): string[] {
    return [...this.runs].filter(([, r]) => !kind || r.kind === kind).map(([id]) => id);
  }

  cancelAll(): void {
    for (const id of [...this.runs.keys()]) this.cancel(id);
  }
}

/** `cancelRun`: stops a run the registry holds, by its id. */
export function setupRuns(runs: RunRegistry): Pick<Handlers, 'cancelRun'> {
  return { cancelRun: ({ runId }) => ({ cancelled: runs.cancel(runId) }) };
}
