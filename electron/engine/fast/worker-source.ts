/**
 * The training worker, as source text for `new Worker(code, { eval: true })`: plain JavaScript so it
 * runs the same under tsx, vitest, the bundled engine process and Electron's utilityProcess, with
 * no file to locate. It only moves bytes and calls train_step; all logic is in kernels.c and the
 * layout computed by trainer.ts.
 */
export const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
let ex, mem, L, weights, grads, version = -1;
parentPort.on('message', (msg) => {
  try {
    if (msg.type === 'init') {
      L = msg.layout;
      mem = new WebAssembly.Memory({ initial: Math.ceil(L.bytes / 65536) + 1, maximum: 65536 });
      ex = new WebAssembly.Instance(msg.module, { env: { memory: mem } }).exports;
      new Int32Array(mem.buffer, L.net, L.words.length).set(L.words);
      weights = new Float32Array(msg.weights);
      grads = new Float32Array(msg.grads);
      parentPort.postMessage({ type: 'ready' });
    } else if (msg.type === 'step') {
      if (msg.version !== version) {
        new Float32Array(mem.buffer, L.params, L.paramFloats).set(weights);
        version = msg.version;
      }
      const words = new Int32Array(mem.buffer, L.net, L.words.length);
      const f = new Float32Array(mem.buffer, L.net, L.words.length);
      words[4] = msg.T; words[5] = msg.B; words[7] = msg.forwardOnly ? 1 : 0; f[8] = msg.scale;
      new Int32Array(mem.buffer, L.x, msg.x.length).set(msg.x);
      new Int32Array(mem.buffer, L.y, msg.y.length).set(msg.y);
      if (!msg.forwardOnly) new Float32Array(mem.buffer, L.grads, L.paramFloats).fill(0);
      ex.train_step(L.net);
      if (!msg.forwardOnly) grads.set(new Float32Array(mem.buffer, L.grads, L.paramFloats));
      parentPort.postMessage({ type: 'done', loss: f[27], correct: f[28] });
    }
  } catch (e) {
    parentPort.postMessage({ type: 'error', message: String(e && e.message || e) });
  }
});
`;
