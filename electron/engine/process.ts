/**
 * The engine process entry. Started by client.ts with child_process.fork (or Electron's
 * utilityProcess); talks only through process.send / 'message' with the messages in protocol.ts.
 * Training and sampling run here so that the studio's UI and MIDI timing never wait on them.
 */
import { bootEngine } from './boot';
import { serializeError } from './errors';
import { RunControl } from './control';
import { runGeneration, runTraining, releaseModelCache } from './jobs';
import { runEvaluation } from './evaluate';
import { PROGRESS_INTERVAL_MS, parseEngineRequest, type EngineEvent, type EngineRequest } from './protocol';
import { engineMemory } from './memory';

interface Port {
  send(msg: EngineEvent): void;
  /** Every message is checked against the protocol's schemas before it is used. */
  onMessage(handler: (msg: unknown) => void): void;
}

/** Node's child_process channel, or Electron's utilityProcess parentPort. */
function defaultPort(): Port {
  const electronPort = (process as unknown as { parentPort?: { postMessage(m: unknown): void; on(e: 'message', h: (ev: { data: unknown }) => void): void } }).parentPort;
  if (electronPort) {
    return { send: (m) => electronPort.postMessage(m), onMessage: (h) => electronPort.on('message', (ev) => h(ev.data)) };
  }
  if (!process.send) throw new Error('the engine process must be started with an IPC channel (child_process.fork or utilityProcess)');
  return { send: (m) => process.send!(m), onMessage: (h) => process.on('message', (m) => h(m)) };
}

export async function serveEngine(port: Port = defaultPort()): Promise<void> {
  const runs = new Map<string, RunControl>();
  const send = (m: EngineEvent) => port.send(m);
  let ready: Promise<unknown>;

  const run = async (runId: string, work: (control: RunControl) => Promise<unknown>) => {
    if (runs.has(runId)) return send({ type: 'error', runId, error: { code: 'invalid_request', message: `run ${runId} is already running` } });
    const control = new RunControl();
    runs.set(runId, control);
    try {
      await ready;
      send({ type: 'done', runId, result: (await work(control)) as never });
    } catch (e) {
      send({ type: 'error', runId, error: serializeError(e) });
    } finally {
      runs.delete(runId);
    }
  };

  port.onMessage((raw) => {
    const parsed = parseEngineRequest(raw);
    if (!parsed.ok) return send({ type: 'error', runId: parsed.runId ?? '', error: { code: 'invalid_request', message: parsed.message } });
    const msg: EngineRequest = parsed.value;
    switch (msg.type) {
      case 'train': {
        let last = 0;
        void run(msg.runId, (control) => {
          control.onPausedChange = (paused) => send({ type: 'paused', runId: msg.runId, paused });
          return runTraining(
            msg.request,
            {
              onStart: (info) => send({ type: 'started', runId: msg.runId, info: { out: info.out, parameters: info.parameters, batchesPerEpoch: info.batchesPerEpoch, preset: info.preset, problems: info.problems.slice(0, 50), resumedFrom: info.resumedFrom } }),
              onProgress: (p) => {
                const now = Date.now();
                if (now - last >= PROGRESS_INTERVAL_MS || p.batch === p.batchesPerEpoch) {
                  last = now;
                  send({ type: 'progress', runId: msg.runId, progress: p });
                }
              },
              onEpoch: (record) => send({ type: 'epoch', runId: msg.runId, record }),
              onCheckpoint: (checkpoint) => send({ type: 'checkpoint', runId: msg.runId, checkpoint }),
            },
            control,
          );
        });
        break;
      }
      case 'generate':
        void run(msg.runId, (control) =>
          runGeneration(
            msg.request,
            {
              onToken: (variation, token, text) => send({ type: 'token', runId: msg.runId, variation, token, text }),
              onNote: (variation, note) => send({ type: 'note', runId: msg.runId, variation, note }),
            },
            control,
          ),
        );
        break;
      case 'evaluate':
        void run(msg.runId, (control) => runEvaluation(msg.request, control));
        break;
      case 'import':
        // tfjs lives here, not in the studio: loading and checking the model's layers needs it.
        void run(msg.runId, async () => {
          const { importLayersModel } = await import('./import');
          const meta = await importLayersModel(msg.request.src, msg.request.dest, { name: msg.request.name, vocab: msg.request.vocab, encoding: msg.request.encoding });
          return { dest: msg.request.dest, name: meta.name };
        });
        break;
      case 'torch-job':
        // Encoding the corpus and building the initial weights is engine work, as for a local run.
        void run(msg.runId, async () => (await import('../../engine-torch/job')).writeTorchJob(msg.request));
        break;
      case 'memory':
        // Answered between two batches or tokens of a run in progress (both yield now and then).
        void run(msg.runId, async () => engineMemory());
        break;
      case 'pause':
        runs.get(msg.runId)?.pause();
        break;
      case 'resume':
        runs.get(msg.runId)?.resume();
        break;
      case 'cancel':
        runs.get(msg.runId)?.cancel();
        break;
      case 'shutdown':
        for (const c of runs.values()) c.cancel();
        releaseModelCache();
        // Let cancelled runs write their last checkpoint, then leave.
        void Promise.race([
          (async () => {
            while (runs.size) await new Promise((r) => setTimeout(r, 20));
          })(),
          new Promise((r) => setTimeout(r, 10_000)),
        ]).then(() => process.exit(0));
        break;
    }
  });

  // The backend comes from SEEDSONG_BACKEND (set by the studio) or is the best available.
  ready = bootEngine().then(
    ({ backend }) => send({ type: 'ready', backend, pid: process.pid }),
    (e) => {
      send({ type: 'backend-failed', error: serializeError(e) });
      throw e;
    },
  );
  await ready.catch(() => {});
}

// Started as a process (not imported by a test): serve at once.
const isEntry = !!process.send || !!(process as unknown as { parentPort?: unknown }).parentPort;
if (isEntry && process.env.SEEDSONG_ENGINE_PROCESS === '1') {
  // Without a parent there is no one to report to: leave (checkpoints already on disk stay).
  process.on('disconnect', () => process.exit(0));
  void serveEngine();
}
