/**
 * The one state machine of every long job (training, generation, import, export): where it is, and
 * which events move it on. The studio (electron/studio) runs it for training and generation and
 * sends each new state to the window; the window runs it for its own jobs (model import, export)
 * and derives every view (buttons, labels, the status line) from the state alone, so no two views
 * can disagree.
 *
 *   idle -start-> running -pause-> pausing -paused-> paused -resume-> running
 *   running | pausing | paused -cancel-> cancelling -cancelled-> cancelled
 *   any active state -finish-> done, -fail-> failed, -cancelled-> cancelled
 *   cancelled | failed | done -start-> running   (a new run: e.g. training resumed from its checkpoint)
 *
 * An event a state does not accept (a progress report after the run was cancelled, a second
 * Cancel) leaves the job as it is: late messages cannot bring a finished job back to life.
 */

export const JOB_STATES = ['idle', 'running', 'pausing', 'paused', 'cancelling', 'cancelled', 'failed', 'done'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const JOB_KINDS = ['train', 'generate', 'import', 'export'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

export type JobEvent = 'start' | 'pause' | 'paused' | 'resume' | 'cancel' | 'cancelled' | 'fail' | 'finish';

const ACTIVE = ['running', 'pausing', 'paused', 'cancelling'] as const;
const FINISHED = ['cancelled', 'failed', 'done'] as const;

const TABLE: Record<JobState, Partial<Record<JobEvent, JobState>>> = {
  idle: { start: 'running' },
  running: { pause: 'pausing', paused: 'paused', cancel: 'cancelling', cancelled: 'cancelled', fail: 'failed', finish: 'done' },
  // Resume before the run noticed the pause: it simply carries on.
  pausing: { paused: 'paused', resume: 'running', cancel: 'cancelling', cancelled: 'cancelled', fail: 'failed', finish: 'done' },
  paused: { resume: 'running', cancel: 'cancelling', cancelled: 'cancelled', fail: 'failed', finish: 'done' },
  // A run that ends on its own while the cancel is on its way ends as what it was.
  cancelling: { cancelled: 'cancelled', fail: 'failed', finish: 'done' },
  cancelled: { start: 'running' },
  failed: { start: 'running' },
  done: { start: 'running' },
};

/** The state after `event`, or null when `state` does not accept it. */
export function next(state: JobState, event: JobEvent): JobState | null {
  return TABLE[state][event] ?? null;
}

export function accepts(state: JobState, event: JobEvent): boolean {
  return next(state, event) !== null;
}

/** Started and not yet ended (it holds the engine, its Cancel means something). */
export function isActive(state: JobState): boolean {
  return (ACTIVE as readonly JobState[]).includes(state);
}

export function isFinished(state: JobState): boolean {
  return (FINISHED as readonly JobState[]).includes(state);
}

/** A job record: its kind and state, plus whatever the job carries (progress, checkpoints...). */
export interface Job {
  kind: JobKind;
  state: JobState;
  /** In words: why it stopped, what it made. Cleared when the job starts again. */
  message: string | null;
}

/**
 * Applies an event to a job record: a new record (with `patch` merged in) when the state accepts
 * the event, else the same record, untouched (patch ignored too: a late message changes nothing).
 */
export function step<J extends Job>(job: J, event: JobEvent, patch: Partial<J> = {}): J {
  const state = next(job.state, event);
  if (state === null) return job;
  return { ...job, ...(event === 'start' ? { message: null } : {}), ...patch, state };
}

/** What the buttons of a job may do in this state. */
export function controls(state: JobState, resumable = false): { start: boolean; pause: boolean; resume: boolean; cancel: boolean } {
  return {
    start: !isActive(state),
    pause: state === 'running',
    // A paused run resumes in place; a stopped one starts again from its checkpoint if it has one.
    resume: state === 'paused' || state === 'pausing' || (isFinished(state) && resumable),
    cancel: state === 'running' || state === 'pausing' || state === 'paused',
  };
}

/** Only a running job has a meaningful speed and time left. */
export function showsEta(state: JobState): boolean {
  return state === 'running';
}

export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}
