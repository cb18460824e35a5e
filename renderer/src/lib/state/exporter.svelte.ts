/**
 * The Export section's state: which takes, which format, the progress of a .wav render and the
 * outcome in words. The bytes come from lib/export; they leave through the studio's save (Electron:
 * a save dialog) or, in serve mode, the browser's download (lib/export/save.ts).
 */
import type { NoteSequence } from '../../../../shared/music/index';
import { exportAbc, exportMidi, exportWav, slug, type ExportFile, type ExportFormat, type ExportPiece, type ExportScope } from '../export/export';
import { describeSave } from '../export/save';
import type { StudioState } from './studio.svelte';

export class ExportState {
  scope = $state<ExportScope>('seed+take');
  busy = $state<ExportFormat | 'project' | null>(null);
  progress = $state(0);
  message = $state<string | null>(null);
  error = $state<string | null>(null);

  constructor(
    private readonly studio: StudioState,
    private readonly soundFont: () => Promise<ArrayBuffer> = async () => (await import('../synth/builtin')).loadSoundFont(),
  ) {}

  /** The pieces the current scope covers, or why there are none. */
  pieces(): ExportPiece[] | string {
    const tune = this.studio.tune;
    const base = tune.sequence('all');
    if (this.scope === 'kept') {
      const kept = this.studio.keptTakes;
      if (!kept.length) return 'No kept takes yet: press Keep on the takes you like.';
      return kept.map((t) => {
        const notes = t.edited?.notes ?? t.notes;
        const sequence: NoteSequence = { ...base, title: `${tune.title} take ${t.number}`, notes, totalTime: notes.reduce((m, n) => Math.max(m, n.end), 0) };
        return { title: sequence.title!, sequence };
      });
    }
    const seq = this.scope === 'take' && tune.seedEnd > 0 ? tune.sequence('take') : base;
    if (!seq.notes.length) return 'Nothing to export yet: generate a take or write some notes.';
    return [{ title: tune.title, sequence: seq }];
  }

  async run(format: ExportFormat): Promise<void> {
    if (this.busy) return;
    this.error = null;
    this.message = null;
    const pieces = this.pieces();
    if (typeof pieces === 'string') {
      this.error = pieces;
      return;
    }
    const take = this.studio.selectedTake !== null ? this.studio.takes[this.studio.selectedTake] : undefined;
    const base = slug(this.studio.tune.title) + (this.scope === 'kept' ? '-kept' : take ? `-take-${take.number}` : '') + (this.scope === 'take' ? '-only' : '');
    this.busy = format;
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
      this.error = `Export failed: ${(e as Error)?.message ?? String(e)}`;
    } finally {
      this.busy = null;
      this.progress = 0;
    }
  }

  /** The whole project (seed, takes, settings, model reference) as a .seedsong.json file. */
  async runProject(): Promise<void> {
    if (this.busy) return;
    this.error = null;
    this.message = null;
    this.busy = 'project';
    try {
      await this.deliver(this.studio.projectFile(), 'project');
    } catch (e) {
      this.error = `Export failed: ${(e as Error)?.message ?? String(e)}`;
    } finally {
      this.busy = null;
    }
  }

  private async deliver(file: ExportFile, kind: ExportFormat | 'project'): Promise<void> {
    const outcome = await this.studio.save(file, kind);
    this.message = describeSave(outcome, file.bytes.length);
  }
}
