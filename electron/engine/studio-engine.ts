/**
 * The engine as the studio services see it (electron/studio's StudioEngine and ModelStore): the
 * supervised engine process plus the model library, speaking the IPC contract's types.
 */
import type { BackendInfo, ModelSummary as ModelSummaryDto, NoteDto, Sampling, Seed, Take } from '../../shared/ipc/schemas';
import type { EngineClient, EngineStatus } from './client';
import type { ModelLibrary } from './library';
import type { GenerateSeed } from './jobs';
import { EngineError } from './errors';

export interface StudioEngineOptions {
  client: EngineClient;
  library: ModelLibrary;
  /** Model folder used when a request names no model (e.g. the bundled default model). */
  defaultModelDir?: string;
}

export function backendInfo(s: EngineStatus): BackendInfo {
  return {
    status: s.state === 'ready' ? 'ready' : s.state === 'failed' ? 'failed' : 'starting',
    active: s.state === 'ready' && s.backend ? s.backend.active : null,
    candidates: (s.backend?.candidates ?? []).map((c) => ({ name: c.name, available: c.available, ...(c.reason ? { reason: c.reason } : {}) })),
    ...(s.message ? { message: s.message } : {}),
  };
}

function seedOf(seed: Seed): GenerateSeed {
  if (seed.kind === 'abc') return { kind: 'abc', text: seed.text };
  if (seed.kind === 'notes') return { kind: 'notes', notes: seed.notes };
  return { kind: 'none' };
}

function noteDto(n: NoteDto): NoteDto {
  return { pitch: n.pitch, start: n.start, end: n.end, velocity: Math.min(127, Math.max(1, Math.round(n.velocity))), voice: Math.min(64, n.voice) };
}

export function createStudioEngine(opts: StudioEngineOptions) {
  const { client, library } = opts;
  // Start at once so the backend shows in the studio before the first Generate.
  void client.start().catch(() => {});

  const modelDir = async (modelId?: string): Promise<string> => {
    if (modelId) return library.dirOf(modelId);
    if (opts.defaultModelDir) return opts.defaultModelDir;
    const first = (await library.list())[0];
    if (!first) throw new EngineError('not-found', 'there is no model yet: train one or import one first');
    return first.dir;
  };

  return {
    status: (): BackendInfo => backendInfo(client.status()),
    onStatus: (listener: (info: BackendInfo) => void) => client.onStatus((s) => listener(backendInfo(s))),
    async generate(request: { modelId?: string; seed: Seed; sampling: Sampling }, onNote: (variation: number, note: NoteDto) => void, signal: AbortSignal): Promise<Take[]> {
      const s = request.sampling;
      const takes = await client.generate(
        {
          model: await modelDir(request.modelId),
          seed: seedOf(request.seed),
          temperature: s.temperature,
          topK: s.topK || undefined,
          topP: s.topP < 1 ? s.topP : undefined,
          length: s.length,
          count: s.count,
          rngSeed: s.rngSeed,
        },
        { onNote: (v, n) => onNote(v, noteDto(n)) },
        signal,
      );
      return takes.map((t) => ({ variation: t.variation, abc: t.abc, notes: t.sequence.notes.map(noteDto), warnings: t.warnings }));
    },
    dispose: () => client.dispose(),
  };
}

/** The model library as the studio's ModelStore. */
export function createModelStore(library: ModelLibrary, builtIn: Set<string> = new Set()) {
  return {
    async list(): Promise<ModelSummaryDto[]> {
      return (await library.list()).map((m) => ({
        id: m.id,
        name: m.name,
        encoding: m.encoding as ModelSummaryDto['encoding'],
        architecture: m.architecture,
        builtIn: builtIn.has(m.id),
        createdAt: m.createdAt,
        parameters: m.parameters || undefined,
        validationLoss: m.validationLoss ?? undefined,
      }));
    },
  };
}
