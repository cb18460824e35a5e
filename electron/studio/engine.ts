/**
 * The studio's side of the engine: the engine process (through EngineClient, which restarts it if
 * it dies) and the model library, seen through the contract's shapes. Built-in models (the
 * default model shipped in resources/models) are listed first and cannot be changed.
 */
import fs from 'node:fs';
import path from 'node:path';
import { EngineClient, type EngineStatus } from './engine-client';
import { EngineError } from '../engine/protocol';
import { ModelCatalog, csvLog, readMeta, summarize, writeMeta, type ModelSummary as LibrarySummary } from '../node/catalog';
import { StudioError } from '@shared/ipc/result';
import { toNoteDto, type BackendInfo, type ModelSummary, type Take } from '@shared/ipc/schemas';
import type { ModelStore, StudioEngine } from './ports';
import { hidePaths } from './paths';

const BUILT_IN_PREFIX = 'builtin.';


export function toStudioError(e: unknown): StudioError {
  if (e instanceof StudioError) return e;
  // The engine throws the contract's own codes.
  if (e instanceof EngineError) return new StudioError(e.code, e.message);
  return new StudioError('engine_failed', (e as Error)?.message ?? String(e));
}

export function backendInfo(status: EngineStatus): BackendInfo {
  const state = status.state === 'stopped' ? 'starting' : status.state;
  return {
    status: state,
    active: state === 'ready' ? (status.backend?.active ?? null) : null,
    candidates: (status.backend?.candidates ?? []).map((c) => ({ name: c.name, available: c.available, reason: c.reason || undefined })),
    message: status.message,
  };
}


function toContractSummary(s: LibrarySummary, builtIn: boolean): ModelSummary {
  return {
    id: builtIn ? BUILT_IN_PREFIX + s.id : s.id,
    name: s.name,
    encoding: s.encoding as ModelSummary['encoding'],
    architecture: s.architecture,
    builtIn,
    createdAt: s.createdAt,
    parameters: s.parameters,
    validationLoss: s.validationLoss,
  };
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.promises.access(p);
    return true;
  } catch {
    return false;
  }
}

export interface StudioEngineOptions {
  client: EngineClient;
  /** The user's models (<user data>/models). */
  library: ModelCatalog;
  /** Read-only models shipped with the app (resources/models); may not exist. */
  builtInDir: string;
}

export function createStudioEngine({ client, library, builtInDir }: StudioEngineOptions): StudioEngine & ModelStore {
  const listBuiltIn = async (): Promise<LibrarySummary[]> => {
    let names: string[];
    try {
      names = fs.readdirSync(builtInDir).sort();
    } catch {
      return [];
    }
    const out: LibrarySummary[] = [];
    for (const id of names) {
      const dir = path.join(builtInDir, id);
      try {
        out.push(summarize(id, dir, await readMeta(dir)));
      } catch {
        /* a damaged built-in model is reported when it is used, not listed */
      }
    }
    // The model called "default" comes first: it is the one used when none is chosen.
    return out.sort((a, b) => Number(b.id === 'default') - Number(a.id === 'default'));
  };

  // Engine and file-system messages name folders; the user knows "the model library", not our paths.
  const studioError = (e: unknown): StudioError => {
    const err = toStudioError(e);
    return new StudioError(err.code, hidePaths(err.message, [[library.root, 'the model library'], [builtInDir, 'the built-in models']]));
  };

  /** The folder of a built-in model: a direct child of builtInDir holding a model, or not_found. */
  const builtInModelDir = (id: string): string => {
    const dir = path.resolve(builtInDir, id);
    if (!/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/.test(id) || path.dirname(dir) !== path.resolve(builtInDir) || !fs.existsSync(path.join(dir, 'seedsong.json'))) {
      throw new StudioError('not_found', `there is no built-in model "${id.slice(0, 128)}"`);
    }
    return dir;
  };

  const refuseBuiltIn = (modelId: string, what: string) => {
    if (modelId.startsWith(BUILT_IN_PREFIX)) {
      throw new StudioError('unsupported', `built-in models cannot be ${what}; duplicate it to get your own copy`);
    }
  };
  const summaryOf = async (id: string): Promise<ModelSummary> => toContractSummary(summarize(id, library.dirOf(id), await readMeta(library.dirOf(id))), false);

  const modelDir = async (modelId: string | undefined): Promise<string> => {
    if (modelId?.startsWith(BUILT_IN_PREFIX)) return builtInModelDir(modelId.slice(BUILT_IN_PREFIX.length));
    if (modelId) {
      let dir: string;
      try {
        dir = library.dirOf(modelId);
      } catch {
        throw new StudioError('not_found', `there is no model "${modelId.slice(0, 128)}" in the library`);
      }
      if (!fs.existsSync(path.join(dir, 'seedsong.json'))) throw new StudioError('not_found', `there is no model "${modelId}" in the library`);
      return dir;
    }
    const first = (await listBuiltIn())[0] ?? (await library.list())[0];
    if (!first) throw new StudioError('not_found', 'no model yet: train one in the Train panel (or with `seedsong train`), or import one in the Models panel');
    return first.dir;
  };

  return {
    status: () => backendInfo(client.status()),
    onStatus: (listener) => client.onStatus((s) => listener(backendInfo(s))),

    async list() {
      const builtIn = (await listBuiltIn()).map((s) => toContractSummary(s, true));
      const own = (await library.list()).map((s) => toContractSummary(s, false));
      return [...builtIn, ...own];
    },

    async generate(request, onNote, signal): Promise<Take[]> {
      const dir = await modelDir(request.modelId);
      try {
        const takes = await client.generate(
          {
            model: dir,
            seed: request.seed,
            temperature: request.sampling.temperature,
            topK: request.sampling.topK,
            topP: request.sampling.topP,
            length: request.sampling.length,
            count: request.sampling.count,
            rngSeed: request.sampling.rngSeed,
            header: request.constraints,
            tuneConstraints: request.tuneConstraints,
          },
          { onNote: (variation, note) => onNote(variation, toNoteDto(note)) },
          signal,
        );
        return takes.map((t) => ({ variation: t.variation, abc: t.abc, ...(t.seedChars !== undefined ? { seedChars: t.seedChars } : {}), notes: t.sequence.notes.filter((n) => n.end > n.start).map(toNoteDto), warnings: t.warnings }));
      } catch (e) {
        throw studioError(e);
      }
    },

    async rename(modelId, to) {
      refuseBuiltIn(modelId, 'renamed');
      try {
        await library.rename(modelId, to);
        return await summaryOf(to);
      } catch (e) {
        throw studioError(e);
      }
    },

    async delete(modelId) {
      refuseBuiltIn(modelId, 'deleted');
      try {
        await library.delete(modelId);
      } catch (e) {
        throw studioError(e);
      }
    },

    async duplicate(modelId, to) {
      if (to.startsWith(BUILT_IN_PREFIX) || to.startsWith('.')) throw new StudioError('invalid_request', `"${to.slice(0, 128)}" cannot name a model: "builtin." and "." are reserved`);
      const from = await modelDir(modelId);
      const target = library.dirOf(to);
      if (await exists(target)) throw new StudioError('busy', `a model named "${to}" already exists`);
      // Copy beside the target, then rename: the library never shows a half-copied model.
      const tmp = path.join(library.root, `.copying-${to}-${Date.now()}`);
      try {
        await fs.promises.mkdir(library.root, { recursive: true });
        await fs.promises.cp(from, tmp, { recursive: true, errorOnExist: true });
        const meta = await readMeta(tmp);
        await writeMeta(tmp, { ...meta, name: to, updatedAt: new Date().toISOString() });
        await fs.promises.rename(tmp, target);
      } catch (e) {
        await fs.promises.rm(tmp, { recursive: true, force: true });
        throw studioError(e);
      }
      return summaryOf(to);
    },

    async trainingLog(modelId) {
      try {
        const meta = await readMeta(await modelDir(modelId));
        return { history: meta.history, csv: csvLog(meta.history) };
      } catch (e) {
        throw studioError(e);
      }
    },

    async import(folder, name) {
      const dest = library.dirOf(name);
      if (await exists(dest)) throw new StudioError('busy', `a model named "${name}" already exists`);
      try {
        await client.importModel({ src: folder, dest, name });
      } catch (e) {
        // The engine names the staged file; the user knows the folder they chose, not our copy.
        const err = studioError(e);
        const message = err.message.split(folder + path.sep).join('').split(folder).join('the chosen folder');
        throw new StudioError(err.code, message);
      }
      return summaryOf(name);
    },

    async memory() {
      try {
        const m = await client.memory();
        return { tensors: m.tensors, tensorBytes: m.tensorBytes, rss: m.rss, heapUsed: m.heapUsed, backend: m.backend };
      } catch (e) {
        throw studioError(e);
      }
    },

    dispose: () => client.dispose(),
  };
}
