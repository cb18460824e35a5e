import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { initBackend } from './backend';
import { engineMemory } from './memory';

beforeAll(async () => {
  await initBackend();
});

describe('engineMemory', () => {
  it('counts live tensors and their bytes, and the process memory', () => {
    const before = engineMemory();
    const t = tf.zeros([1000], 'float32');
    const during = engineMemory();
    t.dispose();
    const after = engineMemory();
    expect(during.tensors).toBe(before.tensors + 1);
    expect(during.tensorBytes).toBe(before.tensorBytes + 4000);
    expect(after.tensors).toBe(before.tensors);
    expect(before.pid).toBe(process.pid);
    expect(['wasm', 'cpu']).toContain(before.backend);
    expect(before.rss).toBeGreaterThan(before.heapUsed / 4);
    expect(before.heapUsed).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(before))).toEqual(before); // crosses the process boundary as JSON
  });
});
