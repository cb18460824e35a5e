/**
 * The Models panel's actions on the library: rename, duplicate and delete (with a confirmation
 * step held here, so a stray click never deletes), each answered in words.
 */
import type { StudioApi } from '../../../../shared/ipc/api';
import type { ModelSummary } from '../../../../shared/ipc/schemas';

const NAME = /^[A-Za-z0-9._-]{1,128}$/;

export class ModelsState {
  /** The model waiting for "Delete" to be confirmed. */
  confirming = $state<string | null>(null);
  renaming = $state<string | null>(null);
  message = $state<string | null>(null);
  error = $state<string | null>(null);

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

  private fail(message: string): false {
    this.error = message;
    this.message = null;
    return false;
  }

  private async done(message: string): Promise<true> {
    this.error = null;
    this.message = message;
    await this.refresh();
    return true;
  }
}
