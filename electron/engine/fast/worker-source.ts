/**
 * The training worker, as source text for `new Worker(code, { eval: true })`: plain JavaScript so it
 * runs the same under tsx, vitest, the bundled engine process and Electron's utilityProcess, with
 * no file to locate. It only moves bytes and calls train_step; the logic is in kernels.c and the
 * layout in layout.ts.
 *
 * Synchronisation is by Atomics on shared memory, not messages, so the main thread can block for
 * the result and the engine's BatchStepper interface stays synchronous. ctrl (Int32):
 * [0] step sequence number to run (-1: exit), [1] last finished, [2] 1 ready / -1 failed at start,
 * [3] T, [4] B, [5] forward only, [6] weights version, [7] 1 when a step failed.
 * floats: [0] loss scale, [1] loss sum out, [2] correct count out. masks: this shard's dropout
 * masks, one [capacity][input] section per LSTM layer that has dropout.
 */
export const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.once('message', (msg) => {
  const ctrl = new Int32Array(msg.ctrl);
  const fl = new Float32Array(msg.floats);
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
  const weights = new Float32Array(msg.weights);
  const grads = new Float32Array(msg.grads);
  const xs = new Int32Array(msg.xs);
  const ys = new Int32Array(msg.ys);
  const masks = new Float32Array(msg.masks);
  Atomics.store(ctrl, 2, 1);
  Atomics.notify(ctrl, 2);
  let seen = 0, version = -1;
  for (;;) {
    Atomics.wait(ctrl, 0, seen);
    const seq = Atomics.load(ctrl, 0);
    if (seq < 0) break;
    if (seq === seen) continue;
    seen = seq;
    try {
      if (ctrl[6] !== version) {
        new Float32Array(mem.buffer, L.params, L.paramFloats).set(weights);
        version = ctrl[6];
      }
      const T = ctrl[3], B = ctrl[4], fwd = ctrl[5];
      const words = new Int32Array(mem.buffer, L.net, L.words.length);
      const f = new Float32Array(mem.buffer, L.net, L.words.length);
      words[4] = T; words[5] = B; words[7] = fwd; f[8] = fl[0];
      new Int32Array(mem.buffer, L.x, B * T).set(xs.subarray(0, B * T));
      new Int32Array(mem.buffer, L.y, B * T).set(ys.subarray(0, B * T));
      if (!fwd) {
        new Float32Array(mem.buffer, L.grads, L.paramFloats).fill(0);
        let at = 0;
        for (let l = 0; l < L.masks.length; l++) {
          if (!L.masks[l]) continue;
          const n = B * L.inputs[l];
          new Float32Array(mem.buffer, L.masks[l], n).set(masks.subarray(at, at + n));
          at += L.batch * L.inputs[l];
        }
      }
      ex.train_step(L.net);
      if (!fwd) grads.set(new Float32Array(mem.buffer, L.grads, L.paramFloats));
      fl[1] = f[29]; fl[2] = f[30];
    } catch (e) {
      ctrl[7] = 1;
      parentPort.postMessage(String((e && e.message) || e));
    }
    Atomics.store(ctrl, 1, seq);
    Atomics.notify(ctrl, 1);
  }
  parentPort.close();
});
`;
