/**
 * The Export section's state: which takes, which format, the export as a job (the machine of
 * shared/jobs/machine.ts: running, then done or failed; busy, message and error derive from it),
 * the progress of a .wav render and the outcome in words. The bytes come from lib/export; they leave through the studio's save (Electron:
 * a save dialog) or, in serve mode, the browser's download (lib/export/save.ts).
 */
import type { NoteSequence } from '@shared/music/index';
import { exportAbc, exportMidi, exportWav, slug, type ExportFile, type ExportFormat, type ExportPiece, type ExportScope } from '../export/export';
import { describeSave } from '../export/save';
import type { StudioState } from './studio.svelte';
import { isActive, step, type Job } from '@shared/jobs/machine';

export class ExportState {
  scope = $state<ExportScope>('seed+take');
  job = $state.raw<Job & { format: ExportFormat | 'project' | null }>({ kind: 'export', state: 'idle', message: null, format: null });
  progress = $state(0);
  readonly busy = $derived(isActive(this.job.state) ? this.job.format : null);
  readonly message = $derived(this.job.state === 'done' ? this.job.message : null);
  readonly error = $derived(this.job.state === 'failed' ? this.job.message : null);

  constructor(
    private readonly studio: StudioState,
    private readonly soundFont: () => Promise<ArrayBuffer> = async () => (await import('../synth/builtin')).loadSoundFont(),
  ) {}

  /** The pieces the current scope covers, or why there are none. */
  pieces(): ExportPiece[] | string {
    const tune = this.studio.tune;
    const base = tune.sequence('all');
    if (this.scope === 'kept') {
      const kept = this.studio.takes.map((t, i) => ({ t, i })).filter(({ t }) => t.kept);
      if (!kept.length) return 'No kept takes yet: press Keep on the takes you like.';
      // Each take under its own title (the open one's as the desk has it, edits included).
      this.studio.saveEdits();
      return kept.map(({ t, i }) => {
        const notes = this.studio.takes[i].edited?.notes ?? t.notes;
        const sequence: NoteSequence = { ...base, title: this.studio.titleOf(i), notes, totalTime: notes.reduce((m, n) => Math.max(m, n.end), 0) };
        return { title: sequence.title!, sequence };
      });
    }
    const seq = this.scope === 'take' && tune.seedEnd > 0 ? tune.sequence('take') : base;
    if (!seq.notes.length) return 'Nothing to export yet: generate a take or write some notes.';
    // The whole desk as .abc is the text on the desk (repeats, chords, comments as written), when it plays the desk's notes.
    const abc = seq === base ? tune.writtenAbc() : null;
    return [{ title: tune.title, sequence: seq, ...(abc ? { abc } : {}) }];
  }

  async run(format: ExportFormat): Promise<void> {
    if (this.busy) return;
    const pieces = this.pieces();
    if (typeof pieces === 'string') {
      this.job = step(step(this.job, 'start', { format }), 'fail', { message: pieces });
      return;
    }
    // Files are named after the tune's own title: the open take's (its T:), never another take's.
    const base = this.scope === 'kept' ? 'kept-takes' : slug(this.studio.tune.title) + (this.scope === 'take' ? '-only' : '');
    this.job = step(this.job, 'start', { format });
    this.progress = 0;
    try {
      let file: ExportFile;
      if (format === 'abc') file = exportAbc(pieces, base);
      else if (format === 'mid') file = exportMidi(pieces, base);
      else
        file = await exportWav(pieces, base, await this.soundFont(), {
          onProgress: (f) => {
            this.progress = f;
          },
        });
      await this.deliver(file, format);
    } catch (e) {
      this.job = step(this.job, 'fail', { message: `Export failed: ${(e as Error)?.message ?? String(e)}` });
    } finally {
      this.progress = 0;
    }
  }

  /** The whole project (seed, takes, settings, model reference) as a .seedsong.json file. */
  async runProject(): Promise<void> {
    if (this.busy) return;
    this.job = step(this.job, 'start', { format: 'project' });
    try {
      await this.deliver(this.studio.projectFile(), 'project');
    } catch (e) {
      this.job = step(this.job, 'fail', { message: `Export failed: ${(e as Error)?.message ?? String(e)}` });
    }
  }

  private async deliver(file: ExportFile, kind: ExportFormat | 'project'): Promise<void> {
    const outcome = await this.studio.save(file, kind);
    this.job = step(this.job, 'finish', { message: describeSave(outcome, file.bytes.length) });
  }
}
