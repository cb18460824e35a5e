/**
 * The engine process's own memory, on request (the studio shows it; the soak test watches it for
 * leaks): TensorFlow.js's count of live tensors and their bytes, and the process's resident set and
 * JavaScript heap. With the wasm backend tensor data lives in the WebAssembly heap, which is part
 * of the resident set, not of the JavaScript heap.
 */
import * as tf from '@tensorflow/tfjs';

export interface EngineMemory {
  pid: number;
  /** Active TensorFlow.js backend ('' before one is ready). */
  backend: string;
  /** tf.memory().numTensors: tensors not yet disposed (a number that keeps growing is a leak). */
  tensors: number;
  /** tf.memory().numDataBuffers. */
  dataBuffers: number;
  /** tf.memory().numBytes: bytes held by those tensors. */
  tensorBytes: number;
  /** tfjs cannot count exactly on this backend (tf.memory().unreliable). */
  unreliable: boolean;
  /** process.memoryUsage(), bytes. */
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
  /** When measured (ISO time). */
  at: string;
}

export function engineMemory(): EngineMemory {
  let backend = '';
  try {
    backend = tf.getBackend() ?? '';
  } catch {
    /* no backend yet */
  }
  const m = tf.memory() as tf.MemoryInfo & { numDataBuffers?: number };
  const p = process.memoryUsage();
  return {
    pid: process.pid,
    backend,
    tensors: m.numTensors,
    dataBuffers: m.numDataBuffers ?? 0,
    tensorBytes: m.numBytes,
    unreliable: !!m.unreliable,
    rss: p.rss,
    heapUsed: p.heapUsed,
    heapTotal: p.heapTotal,
    external: p.external,
    arrayBuffers: p.arrayBuffers,
    at: new Date().toISOString(),
  };
}
