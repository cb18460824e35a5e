/**
 * Imports a TensorFlow.js LayersModel produced by the TensorFlow.js converter from Keras, so a model
 * trained elsewhere (on larger hardware) can be used in the studio. The model must take token ids
 * and predict the next token; its vocabulary must come with it, because the ids mean nothing
 * without it.
 */
import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { EngineError } from './errors';
import { readMeta, readModelFiles, saveModel, MODEL_FILE, META_FILE, type ModelMeta } from './library';
import { createStepModel } from './step';
import { encodingFromSpec, isEncodingName, type EncodingSpec } from '../../shared/music/encodings/index';

export interface ImportOptions {
  /** A JSON file: {name, tokens} (an encoding spec) or an array of tokens (then give encoding). */
  vocab?: string;
  encoding?: string;
  name?: string;
}

async function readVocab(file: string, encoding: string | undefined): Promise<EncodingSpec> {
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    throw new EngineError('bad-model', `${file}: cannot read the vocabulary (${(e as Error).message})`);
  }
  if (Array.isArray(raw)) {
    if (!encoding || !isEncodingName(encoding)) throw new EngineError('bad-model', `${file}: a plain token list needs the encoding it belongs to (abc-char, abc-token, melody-event or midi-event)`);
    return { name: encoding, tokens: raw as string[] };
  }
  const r = raw as { encoding?: EncodingSpec; name?: string; tokens?: unknown };
  if (r.encoding?.tokens) return r.encoding; // a seedsong.json
  if (Array.isArray(r.tokens) && typeof r.name === 'string') return r as EncodingSpec;
  throw new EngineError('bad-model', `${file}: expected {"name": ..., "tokens": [...]} or a JSON array of tokens in id order`);
}

async function findVocab(dir: string, opts: ImportOptions): Promise<EncodingSpec> {
  if (opts.vocab) return readVocab(opts.vocab, opts.encoding);
  for (const f of [META_FILE, 'vocab.json', 'vocabulary.json', 'tokens.json']) {
    const file = path.join(dir, f);
    try {
      await fs.access(file);
    } catch {
      continue;
    }
    return readVocab(file, opts.encoding);
  }
  throw new EngineError(
    'bad-model',
    `${dir}: the model has no vocabulary, so its token ids cannot be turned into music. Put a vocab.json next to ${MODEL_FILE} ({"name": "abc-char", "tokens": [...]} in id order)`,
  );
}

function checkShapes(model: tf.LayersModel, tokens: number, where: string): void {
  const input = model.inputs[0];
  if (model.inputs.length !== 1 || input.shape.length !== 2) {
    throw new EngineError('bad-model', `${where}: wrong input shape: the model takes ${JSON.stringify(model.inputs.map((i) => i.shape))}, expected token ids [batch, time]`);
  }
  const first = model.layers.find((l) => l.getClassName() !== 'InputLayer');
  if (first?.getClassName() !== 'Embedding') {
    throw new EngineError('bad-model', `${where}: wrong input shape: the model takes ${JSON.stringify(input.shape)} into a ${first?.getClassName() ?? 'missing'} layer, expected token ids [batch, time] into an Embedding`);
  }
  const embedding = first;
  const inputDim = embedding ? (embedding.getConfig() as { inputDim: number }).inputDim : undefined;
  if (inputDim !== undefined && inputDim !== tokens) {
    throw new EngineError('bad-model', `${where}: the embedding takes ${inputDim} token ids but the vocabulary has ${tokens} tokens`);
  }
  const out = model.outputs[0].shape;
  if (out.length !== 3 || out[2] !== tokens) {
    throw new EngineError('bad-model', `${where}: wrong output shape ${JSON.stringify(out)}: expected [batch, time, ${tokens}] (a prediction for every step over the vocabulary)`);
  }
}

/** src: a folder holding model.json, or the path of the .json itself. */
export async function importLayersModel(src: string, dest: string, opts: ImportOptions = {}): Promise<ModelMeta> {
  const isJson = src.toLowerCase().endsWith('.json');
  const dir = isJson ? path.dirname(src) : src;
  const file = isJson ? path.basename(src) : MODEL_FILE;
  const spec = await findVocab(dir, opts);
  try {
    encodingFromSpec(spec);
  } catch (e) {
    throw new EngineError('bad-model', `${dir}: the vocabulary is not usable: ${(e as Error).message}`);
  }
  const model = await readModelFiles(dir, file);
  try {
    checkShapes(model, spec.tokens.length, path.join(dir, file));
    const probe = createStepModel(model, { tfjsOnly: true }); // rejects layers we cannot step
    probe.dispose();
    const now = new Date().toISOString();
    // A Seedsong model trained elsewhere (e.g. by torchrun on a cluster) keeps its description:
    // architecture, hyperparameters, corpus, history (the curves), how it was trained.
    const own = await readMeta(dir).catch(() => null);
    const trained = own?.source === 'trained' && own.model ? { model: own.model, training: own.training, preset: own.preset, corpus: own.corpus, history: own.history ?? [], metrics: own.metrics, trainedWith: own.trainedWith, createdAt: own.createdAt } : {};
    const meta: ModelMeta = {
      format: 'seedsong-model',
      version: 1,
      name: opts.name ?? path.basename(dest),
      createdAt: now,
      updatedAt: now,
      source: 'imported',
      encoding: spec,
      model: null,
      history: [],
      metrics: { parameters: 0 },
      status: 'complete',
      ...trained,
    };
    await saveModel(dest, model, meta);
    return meta;
  } catch (e) {
    if (e instanceof EngineError && e.code === 'bad-model' && !e.message.startsWith(dir)) throw new EngineError('bad-model', `${path.join(dir, file)}: ${e.message}`);
    throw e;
  } finally {
    model.dispose();
  }
}
