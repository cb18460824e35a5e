import { describe, expect, it } from 'vitest';
import { JOB_STATES, accepts, controls, isActive, isFinished, next, plural, showsEta, step, type Job, type JobEvent, type JobState } from './machine';

const EVENTS: JobEvent[] = ['start', 'pause', 'paused', 'resume', 'cancel', 'cancelled', 'fail', 'finish'];

/** Runs events from idle; refused events leave the state as it was. */
function run(...events: JobEvent[]): JobState {
  let job: Job = { kind: 'train', state: 'idle', message: null };
  for (const e of events) job = step(job, e);
  return job.state;
}

describe('the job state machine', () => {
  it('walks a training run through pause, resume, cancel and a resume from its checkpoint', () => {
    expect(run('start')).toBe('running');
    expect(run('start', 'pause')).toBe('pausing');
    expect(run('start', 'pause', 'paused')).toBe('paused');
    expect(run('start', 'pause', 'paused', 'resume')).toBe('running');
    expect(run('start', 'cancel')).toBe('cancelling');
    expect(run('start', 'cancel', 'cancelled')).toBe('cancelled');
    expect(run('start', 'cancel', 'cancelled', 'start')).toBe('running');
    expect(run('start', 'cancel', 'cancelled', 'start', 'cancel', 'cancelled')).toBe('cancelled');
    expect(run('start', 'finish')).toBe('done');
    expect(run('start', 'fail', 'start', 'finish')).toBe('done');
  });

  it('ignores late and repeated events: a cancelled run stays cancelled', () => {
    // The report of the last batch arriving after the cancel was handled (the defect of #16).
    expect(run('start', 'cancel', 'cancelled', 'resume')).toBe('cancelled');
    expect(run('start', 'cancel', 'cancelled', 'paused')).toBe('cancelled');
    expect(run('start', 'cancel', 'cancelled', 'finish')).toBe('cancelled');
    expect(run('start', 'cancel', 'cancel')).toBe('cancelling');
    expect(run('start', 'start')).toBe('running');
    expect(run('pause', 'resume', 'cancel', 'finish')).toBe('idle');
    // A run that finishes on its own while the cancel is on its way ends done; a resume before
    // the pause took effect carries on.
    expect(run('start', 'cancel', 'finish')).toBe('done');
    expect(run('start', 'pause', 'resume')).toBe('running');
  });

  it('every state has a defined answer to every event, and only finished states start again', () => {
    for (const s of JOB_STATES) {
      for (const e of EVENTS) {
        const to = next(s, e);
        expect(to === null || JOB_STATES.includes(to), `${s} -${e}->`).toBe(true);
        expect(accepts(s, e)).toBe(to !== null);
      }
      expect(accepts(s, 'start')).toBe(!isActive(s));
      expect(isActive(s) && isFinished(s)).toBe(false);
    }
    expect(JOB_STATES.filter((s) => !isActive(s) && !isFinished(s))).toEqual(['idle']);
  });

  it('step merges the patch only when the event is accepted, and a new start clears the message', () => {
    const job = { kind: 'train' as const, state: 'cancelled' as JobState, message: 'Training was cancelled after 2 epochs.', epoch: 2 };
    expect(step(job, 'resume', { epoch: 9 })).toBe(job);
    const again = step(job, 'start', { epoch: 3 });
    expect(again).toEqual({ kind: 'train', state: 'running', message: null, epoch: 3 });
    expect(step(again, 'cancelled', { message: 'stopped' }).message).toBe('stopped');
  });

  it('derives the buttons and the ETA from the state alone', () => {
    expect(controls('idle')).toEqual({ start: true, pause: false, resume: false, cancel: false });
    expect(controls('running')).toEqual({ start: false, pause: true, resume: false, cancel: true });
    expect(controls('paused')).toEqual({ start: false, pause: false, resume: true, cancel: true });
    expect(controls('cancelling')).toEqual({ start: false, pause: false, resume: false, cancel: false });
    expect(controls('cancelled', false).resume).toBe(false);
    expect(controls('cancelled', true).resume).toBe(true);
    expect(JOB_STATES.filter(showsEta)).toEqual(['running']);
  });

  it('counts in words', () => {
    expect(plural(1, 'epoch')).toBe('1 epoch');
    expect(plural(3, 'epoch')).toBe('3 epochs');
    expect(plural(0, 'take')).toBe('0 takes');
  });
});
