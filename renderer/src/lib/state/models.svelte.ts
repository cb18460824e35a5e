/**
 * The Models panel's actions on the library: rename, duplicate and delete (with a confirmation
 * step held here, so a stray click never deletes), import of a converted Keras / TensorFlow.js
 * model folder, each answered in words.
 */
import type { StudioApi } from '@shared/ipc/api';
import type { ModelSummary } from '@shared/ipc/schemas';
import { importModelFolder, relativeToFolder, type FolderFile } from '@shared/ipc/files';
import { isActive, step, type Job } from '@shared/jobs/machine';

/** What a file chooser gives (a File, or a test's stand-in). */
export interface ChosenFile {
  name: string;
  /** "folder/model.json" when chosen through a folder picker. */
  webkitRelativePath?: string;
  size: number;
  arrayBuffer(): Promise<ArrayBuffer>;
}

export interface PendingImport {
  folder: string;
  files: FolderFile[];
  bytes: number;
  /** Files in the folder that are not part of a model (skipped). */
  skipped: number;
}

const NAME = /^[A-Za-z0-9._-]{1,128}$/;

export class ModelsState {
  /** The model waiting for "Delete" to be confirmed. */
  confirming = $state<string | null>(null);
  renaming = $state<string | null>(null);
  message = $state<string | null>(null);
  error = $state<string | null>(null);
  /** Which part of the panel the message is about (shown beside it). */
  about = $state<'library' | 'import'>('library');
  /** A chosen folder waiting for its name and the Import button. */
  pending = $state.raw<PendingImport | null>(null);
  importName = $state('');
  /** The import as a job (shared/jobs/machine.ts): running while the folder uploads and converts. */
  importJob = $state.raw<Job>({ kind: 'import', state: 'idle', message: null });
  private sent = $state(0);
  /** Upload progress 0..1 while an import runs, else null. */
  readonly importing = $derived(isActive(this.importJob.state) ? this.sent : null);
  /** The engine process's memory in words, or why it is not known. */
  engineMemory = $state<string | null>(null);

  constructor(
    private readonly api: StudioApi,
    private readonly refresh: () => Promise<void>,
  ) {}

  nameProblem(name: string, models: readonly ModelSummary[], except?: string): string | null {
    if (!NAME.test(name)) return 'Use letters, digits, dot, dash or underscore (no spaces).';
    if (models.some((m) => m.id === name && m.id !== except)) return `There is already a model called ${name}.`;
    return null;
  }

  async rename(model: ModelSummary, to: string, models: readonly ModelSummary[]): Promise<boolean> {
    const problem = this.nameProblem(to, models, model.id);
    if (problem) return this.fail(problem);
    if (to === model.id) {
      this.renaming = null;
      return true;
    }
    const r = await this.api.renameModel({ modelId: model.id, to });
    if (!r.ok) return this.fail(r.error.message);
    this.renaming = null;
    return this.done(`Renamed ${model.name} to ${r.value.name}.`);
  }

  async duplicate(model: ModelSummary, models: readonly ModelSummary[]): Promise<boolean> {
    let to = `${model.id}-copy`;
    for (let i = 2; models.some((m) => m.id === to); i++) to = `${model.id}-copy-${i}`;
    const r = await this.api.duplicateModel({ modelId: model.id, to });
    if (!r.ok) return this.fail(r.error.message);
    return this.done(`Copied ${model.name} to ${r.value.name}.`);
  }

  /** First call asks; the second (for the same model) deletes. */
  async remove(model: ModelSummary): Promise<boolean> {
    if (this.confirming !== model.id) {
      this.confirming = model.id;
      return false;
    }
    this.confirming = null;
    const r = await this.api.deleteModel({ modelId: model.id });
    if (!r.ok) return this.fail(r.error.message);
    return this.done(`Deleted ${model.name}.`);
  }

  /**
   * Reads the files of a chosen folder (model.json, weight shards, an optional vocabulary JSON).
   * Other files are skipped, a folder without model.json is refused here with what to choose.
   */
  async chooseFolder(chosen: readonly ChosenFile[], models: readonly ModelSummary[]): Promise<boolean> {
    this.pending = null;
    if (!chosen.length) return false;
    const first = chosen[0].webkitRelativePath || chosen[0].name;
    const folder = first.includes('/') ? first.split('/')[0] : 'model';
    const wanted = chosen
      .map((f) => ({ f, path: relativeToFolder(f.webkitRelativePath || f.name) }))
      .filter(({ path }) => /\.(json|bin)$/i.test(path) && !path.split('/').some((part) => part.startsWith('.')));
    if (!wanted.some(({ path }) => /(^|\/)model\.json$/i.test(path))) {
      return this.fail(`${folder} has no model.json: choose the folder tensorflowjs_converter wrote (model.json and its .bin weight files).`, 'import');
    }
    try {
      const files = await Promise.all(wanted.map(async ({ f, path }) => ({ path, bytes: new Uint8Array(await f.arrayBuffer()) })));
      this.pending = { folder, files, bytes: files.reduce((n, f) => n + f.bytes.length, 0), skipped: chosen.length - files.length };
    } catch (e) {
      return this.fail(`${folder} could not be read: ${(e as Error)?.message ?? String(e)}`, 'import');
    }
    const base = folder.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 100) || 'imported';
    let name = base;
    for (let i = 2; models.some((m) => m.id === name); i++) name = `${base}-${i}`;
    this.importName = name;
    this.error = null;
    this.message = null;
    this.about = 'import';
    return true;
  }

  /** Uploads the pending folder and imports it under `name`; the new model is then in the library. */
  async importPending(name: string, models: readonly ModelSummary[]): Promise<ModelSummary | null> {
    const pending = this.pending;
    if (!pending || this.importing !== null) return null;
    const problem = this.nameProblem(name, models);
    if (problem) return (this.fail(problem, 'import'), null);
    this.sent = 0;
    this.importJob = step(this.importJob, 'start');
    try {
      const r = await importModelFolder(this.api, name, pending.files, (sent, total) => {
        this.sent = total ? sent / total : 1;
      });
      if (!r.ok) {
        this.importJob = step(this.importJob, 'fail', { message: r.error.message });
        return (this.fail(`${pending.folder} was not imported: ${r.error.message}`, 'import'), null);
      }
      this.importJob = step(this.importJob, 'finish', { message: r.value.name });
      this.pending = null;
      await this.done(`Imported ${pending.folder} as ${r.value.name} (${r.value.architecture} · ${r.value.encoding}${r.value.parameters ? ` · ${r.value.parameters.toLocaleString()} parameters` : ''}).`, 'import');
      return r.value;
    } catch (e) {
      this.importJob = step(this.importJob, 'fail', { message: (e as Error)?.message ?? String(e) });
      throw e;
    }
  }

  private fail(message: string, about: 'library' | 'import' = 'library'): false {
    this.error = message;
    this.message = null;
    this.about = about;
    return false;
  }

  /** Reads the engine process's memory (tf.memory() and resident set) for the panel. */
  async refreshEngineMemory(): Promise<void> {
    const r = await this.api.engineMemory({});
    if (!r.ok) {
      this.engineMemory = `not known (${r.error.message})`;
      return;
    }
    const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
    const m = r.value;
    this.engineMemory = `${m.tensors} tensors (${mb(m.tensorBytes)}), process ${mb(m.rss)}, heap ${mb(m.heapUsed)}`;
  }

  /** Says what was done once the library (and the model chosen) shows it. */
  private async done(message: string, about: 'library' | 'import' = 'library'): Promise<true> {
    await this.refresh();
    this.error = null;
    this.message = message;
    this.about = about;
    return true;
  }
}
