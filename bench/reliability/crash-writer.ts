/**
 * The process the crash test kills. `init DIR` creates a library with two models; `write DIR SEED`
 * prints "ready" and then writes forever (a "wrote N" line after each write), the way training does and a little more: new checkpoints,
 * a checkpoint replaced under the same id, the live model's weights and seedsong.json updated in
 * place, and a whole model saved over itself. Every write goes through the engine's library
 * functions (electron/engine/library.ts), which is what is being tested.
 */
import * as tf from '@tensorflow/tfjs';
import path from 'node:path';
import { ModelLibrary, readMeta, saveCheckpoint, saveModel, updateModelWeights, writeMeta, type ModelMeta } from '../../electron/engine/library';
import type { TrainerState } from '../../electron/engine/train';
import type { OptimizerSnapshot } from '../../electron/engine/optimizer';
import { rng } from './mutate';

export const MODEL_IDS = ['jigs', 'reels'];
const VOCAB = 24;

export function tinyModel(seed: number): tf.LayersModel {
  const init = () => tf.initializers.randomUniform({ minval: -0.1, maxval: 0.1, seed });
  const model = tf.sequential();
  model.add(tf.layers.embedding({ inputDim: VOCAB, outputDim: 16, inputLength: 8, embeddingsInitializer: init() }));
  // Big enough (about 300 kB of weights) that a kill often lands inside a write.
  model.add(tf.layers.lstm({ units: 128, returnSequences: true, kernelInitializer: init(), recurrentInitializer: init() }));
  model.add(tf.layers.dense({ units: VOCAB, activation: 'softmax', kernelInitializer: init() }));
  return model;
}

export function tinyMeta(name: string): ModelMeta {
  const now = new Date().toISOString();
  return {
    format: 'seedsong-model',
    version: 1,
    name,
    createdAt: now,
    updatedAt: now,
    source: 'trained',
    encoding: { name: 'abc-token', tokens: Array.from({ length: VOCAB }, (_, i) => `t${i}`) } as unknown as ModelMeta['encoding'],
    model: null,
    history: [],
    metrics: { parameters: 0 },
    status: 'training',
  };
}

function state(step: number): TrainerState {
  return { epoch: Math.floor(step / 10), batchInEpoch: step % 10, step, history: [], bestValLoss: null, bestEpoch: null, epochsWithoutImprovement: 0, epochLossSum: 0 } as unknown as TrainerState;
}

function optimizerOf(model: tf.LayersModel, step: number): OptimizerSnapshot {
  const slots = model.getWeights().flatMap((w, i) => [
    { name: `m${i}`, shape: w.shape, data: new Float32Array(w.size).fill(step) },
    { name: `v${i}`, shape: w.shape, data: new Float32Array(w.size).fill(step / 2) },
  ]);
  return { optimizer: 'adam', step, slots } as OptimizerSnapshot;
}

async function init(root: string): Promise<void> {
  const lib = new ModelLibrary(root);
  for (const [i, id] of MODEL_IDS.entries()) {
    const model = tinyModel(i + 1);
    await lib.save(id, model, tinyMeta(id));
    await saveCheckpoint(lib.dirOf(id), 'step-0', model, state(0), optimizerOf(model, 0), ['start']);
    model.dispose();
  }
}

async function writeForever(root: string, seed: number): Promise<void> {
  const lib = new ModelLibrary(root);
  const r = rng(seed);
  const models = MODEL_IDS.map((_, i) => tinyModel(i + 1));
  process.stdout.write('ready\n');
  for (let step = 1; ; step++) {
    const k = Math.floor(r() * MODEL_IDS.length);
    const id = MODEL_IDS[k];
    const dir = lib.dirOf(id);
    const model = models[k];
    // Change the weights a little so every write is different.
    model.setWeights(model.getWeights().map((w) => tf.tidy(() => w.add(tf.scalar(0.001)))));
    const op = Math.floor(r() * 5);
    if (op === 0) await saveCheckpoint(dir, `step-${step}`, model, state(step), optimizerOf(model, step), ['every-steps']);
    else if (op === 1) await saveCheckpoint(dir, 'latest', model, state(step), optimizerOf(model, step), ['latest']);
    else if (op === 2) await updateModelWeights(dir, model);
    else if (op === 3) await writeMeta(dir, { ...(await readMeta(dir)), updatedAt: new Date().toISOString(), checkpoint: { id: `step-${step}`, epoch: 0, step } });
    else await saveModel(dir, model, { ...tinyMeta(id), updatedAt: new Date().toISOString() }, { overwrite: true });
    process.stdout.write(`wrote ${step}\n`);
  }
}

const [mode, dir, seed] = process.argv.slice(2);
if (mode === 'init') await init(path.resolve(dir));
else if (mode === 'write') await writeForever(path.resolve(dir), Number(seed ?? 1));
