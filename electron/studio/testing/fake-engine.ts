/**
 * A deterministic engine for tests of the studio, server and UI plumbing (not a model): it emits a
 * scale as the take, note by note, honouring cancellation. Tests of real sampling live in
 * electron/engine.
 */
import type { StudioEngine } from '../index';
import type { BackendInfo, NoteDto, Take } from '@shared/ipc/schemas';

export function createFakeEngine(options: { noteDelayMs?: number; fail?: string } = {}): StudioEngine & { generated: number; requests: Parameters<StudioEngine['generate']>[0][] } {
  const status: BackendInfo = { status: 'ready', active: 'cpu', candidates: [{ name: 'cpu', available: true }] };
  const engine = {
    generated: 0,
    requests: [] as Parameters<StudioEngine['generate']>[0][],
    status: () => status,
    onStatus: () => () => {},
    async generate(request: Parameters<StudioEngine['generate']>[0], onNote: (v: number, n: NoteDto) => void, signal: AbortSignal): Promise<Take[]> {
      engine.requests.push(request);
      if (options.fail) throw new Error(options.fail);
      const takes: Take[] = [];
      for (let variation = 0; variation < request.sampling.count; variation++) {
        const notes: NoteDto[] = [];
        for (let i = 0; i < 8; i++) {
          if (signal.aborted) throw new Error('cancelled');
          const note = { pitch: 62 + i + variation, start: i * 0.5, end: i * 0.5 + 0.5, velocity: 80, voice: 0 };
          notes.push(note);
          onNote(variation, note);
          if (options.noteDelayMs) await new Promise((r) => setTimeout(r, options.noteDelayMs));
        }
        takes.push({ variation, abc: `X:1\nT:Scale ${variation}\nM:4/4\nL:1/8\nK:D\nDEFGABcd|]\n`, notes, warnings: [] });
      }
      engine.generated++;
      return takes;
    },
    dispose: async () => {},
  };
  return engine;
}
