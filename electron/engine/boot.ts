/**
 * The engine's start-up, once: the compute backend (best available, or the one asked for), then the
 * fast kernels in front of tfjs where they apply, and a RunControl tied to the caller's stop signal.
 * The engine process and every CLI command that trains, samples, evaluates or imports start here,
 * so a model behaves the same whether the studio or the command line runs it.
 */
import { initBackend, type BackendName, type BackendReport } from './backend';
import { enableFastPath, type FastPathState } from './accelerate';
import { RunControl } from './control';

export interface BootOptions {
  /** Use exactly this backend (else SEEDSONG_BACKEND, else the best available). */
  backend?: BackendName;
  /** Where SEEDSONG_FAST is read (the CLI passes its io.env). */
  env?: NodeJS.ProcessEnv;
  /** Cancels the returned control (Ctrl+C in the CLI). */
  signal?: AbortSignal;
}

export interface EngineBoot {
  backend: BackendReport;
  fastPath: FastPathState;
  /** Pause/resume/cancel for one run, cancelled by `signal`. */
  control: RunControl;
}

export async function bootEngine(opts: BootOptions = {}): Promise<EngineBoot> {
  const backend = await initBackend({ force: opts.backend });
  const fastPath = await enableFastPath(opts.env ?? process.env);
  return { backend, fastPath, control: RunControl.fromSignal(opts.signal) };
}
