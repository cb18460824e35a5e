/**
 * The training worker, as source text for `new Worker(code, { eval: true })`: plain JavaScript so it
 * runs the same under tsx, vitest, the bundled engine process and Electron's utilityProcess, with
 * no file to locate. It only moves bytes and calls train_step; the logic is in kernels.c and the
 * layout in layout.ts.
 *
 * Work is shared by stealing: the batch is cut into chunks of rows and every thread (the main one
 * included) takes the next chunk with Atomics.add until none is left, accumulating gradients in its
 * own memory. A thread the OS leaves waiting simply takes fewer chunks, so a busy machine never makes
 * two threads slower than one. Synchronisation is by Atomics on shared memory, not messages, so the
 * main thread can block for the result and the engine's BatchStepper stays synchronous.
 *
 * job (Int32, shared by all): [0] step sequence number (-1: exit), [1] next chunk, [2] chunks,
 * [3] T, [4] B, [5] forward only, [6] weights version, [7] rows per chunk, [8] dropout seed of the
 * step (GPT). jobF: [0] loss scale. The layout names the kernel (entry) and the net's word indices (fields).
 * ctrl (Int32, per worker): [1] last finished step, [2] 1 ready / -1 failed at start, [3] chunks
 * done, [7] 1 when a step failed. Each chunk's gradients and [loss, correct] go to its own slot
 * (chunkGrads, chunkStats) and are summed in chunk order, so results do not depend on which thread
 * took which chunk (a resumed run must reproduce an uninterrupted one exactly).
 */
export const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.once('message', (msg) => {
  const ctrl = new Int32Array(msg.ctrl);
  const L = msg.layout;
  let ex, mem;
  try {
    mem = new WebAssembly.Memory({ initial: Math.ceil(L.bytes / 65536) + 1, maximum: 65536 });
    ex = new WebAssembly.Instance(msg.module, { env: { memory: mem } }).exports;
    new Int32Array(mem.buffer, L.net, L.words.length).set(L.words);
  } catch (e) {
    parentPort.postMessage(String((e && e.message) || e));
    Atomics.store(ctrl, 2, -1);
    Atomics.notify(ctrl, 2);
    return;
  }
  const F = L.fields;
  const run = ex[L.entry];
  const job = new Int32Array(msg.job);
  const jobF = new Float32Array(msg.jobF);
  const weights = new Float32Array(msg.weights);
  const chunkGrads = new Float32Array(msg.chunkGrads);
  const chunkStats = new Float32Array(msg.chunkStats);
  const xs = new Int32Array(msg.xs);
  const ys = new Int32Array(msg.ys);
  const masks = new Float32Array(msg.masks);
  const maskAt = msg.maskAt;
  Atomics.store(ctrl, 2, 1);
  Atomics.notify(ctrl, 2);
  let seen = 0, version = -1;
  for (;;) {
    Atomics.wait(job, 0, seen);
    const seq = Atomics.load(job, 0);
    if (seq < 0) break;
    if (seq === seen) continue;
    seen = seq;
    let chunks = 0;
    try {
      const T = job[3], B = job[4], fwd = job[5], per = job[7], n = job[2];
      if (job[6] !== version) {
        new Float32Array(mem.buffer, L.params, L.paramFloats).set(weights);
        version = job[6];
      }
      const g = new Float32Array(mem.buffer, L.grads, L.paramFloats);
      const words = new Int32Array(mem.buffer, L.net, L.words.length);
      const f = new Float32Array(mem.buffer, L.net, L.words.length);
      for (;;) {
        const i = Atomics.add(job, 1, 1);
        if (i >= n) break;
        const b0 = i * per, b1 = Math.min(B, b0 + per);
        words[F.T] = T; words[F.B] = b1 - b0; words[F.forwardOnly] = fwd; f[F.scale] = jobF[0];
        if (F.row0 !== undefined) words[F.row0] = b0;
        if (F.dseed !== undefined) words[F.dseed] = job[8];
        new Int32Array(mem.buffer, L.x, (b1 - b0) * T).set(xs.subarray(b0 * T, b1 * T));
        new Int32Array(mem.buffer, L.y, (b1 - b0) * T).set(ys.subarray(b0 * T, b1 * T));
        if (!fwd) for (let l = 0; l < L.masks.length; l++) {
          if (!L.masks[l]) continue;
          const k = L.inputs[l];
          new Float32Array(mem.buffer, L.masks[l], (b1 - b0) * k).set(masks.subarray(maskAt[l] + b0 * k, maskAt[l] + b1 * k));
        }
        if (!fwd) g.fill(0);
        run(L.net);
        // per chunk, so the main thread sums in chunk order whoever took which chunk
        if (!fwd) chunkGrads.set(g, i * L.paramFloats);
        chunkStats[2 * i] = f[F.loss]; chunkStats[2 * i + 1] = f[F.correct];
        chunks++;
      }
    } catch (e) {
      ctrl[7] = 1;
      parentPort.postMessage(String((e && e.message) || e));
    }
    ctrl[3] = chunks;
    Atomics.store(ctrl, 1, seq);
    Atomics.notify(ctrl, 1);
  }
  parentPort.close();
});
`;
