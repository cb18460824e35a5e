/**
 * The engine under Electron: a utilityProcess (a Node process Electron manages), speaking the
 * same messages as the child_process used by serve and the CLI.
 */
import { utilityProcess } from 'electron';
import type { SpawnEngine } from '../engine/client';
import type { EngineEvent } from '../engine/protocol';

export function utilityEngine(entry: string): SpawnEngine {
  return (env) => {
    const child = utilityProcess.fork(entry, [], { env, serviceName: 'Seedsong engine', stdio: 'inherit' });
    return {
      get pid() {
        return child.pid;
      },
      send: (m) => child.postMessage(m),
      onMessage: (h) => child.on('message', (m: unknown) => h(m as EngineEvent)),
      onExit: (h) => child.on('exit', (code: number) => h(code, null)),
      kill: () => void child.kill(),
    };
  };
}
