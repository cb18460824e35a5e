/**
 * Kernels TensorFlow.js lacks on some backends. The wasm backend has no UnsortedSegmentSum, which
 * the gradient of gather (and so of every Embedding layer) needs; without it training fails on the
 * first batch. This JS version runs on the wasm heap's data directly; it is only used in the
 * backward pass of the embedding, whose cost is small next to the LSTM's.
 */
import * as tf from '@tensorflow/tfjs';

interface WasmLikeBackend {
  readSync(dataId: unknown): ArrayLike<number>;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: ArrayLike<number>): tf.TensorInfo;
}

function unsortedSegmentSum(args: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs: tf.NamedAttrMap }): tf.TensorInfo {
  const backend = args.backend as WasmLikeBackend;
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = args.attrs.numSegments as number;
  const xs = backend.readSync(x.dataId);
  const ids = backend.readSync(segmentIds.dataId);
  // segmentIds covers the leading dimensions of x; the rest is the row that gets summed.
  const idCount = segmentIds.shape.reduce((a, b) => a * b, 1);
  const rowShape = x.shape.slice(segmentIds.shape.length);
  const rowSize = rowShape.reduce((a, b) => a * b, 1);
  const out = x.dtype === 'int32' ? new Int32Array(numSegments * rowSize) : new Float32Array(numSegments * rowSize);
  for (let i = 0; i < idCount; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue; // TensorFlow drops out-of-range ids too.
    const src = i * rowSize;
    const dst = s * rowSize;
    for (let j = 0; j < rowSize; j++) out[dst + j] += xs[src + j];
  }
  return backend.makeOutput([numSegments, ...rowShape], x.dtype, undefined, out);
}

export function registerMissingKernels(backendName: string): void {
  if (backendName === 'wasm' && !tf.getKernel('UnsortedSegmentSum', 'wasm')) {
    tf.registerKernel({ kernelName: 'UnsortedSegmentSum', backendName: 'wasm', kernelFunc: unsortedSegmentSum as unknown as tf.KernelFunc });
  }
}
