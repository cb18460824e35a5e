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
import { BOS, EOS, encodingFromSpec, isEncodingName, type EncodingSpec } from '@shared/music/encodings/index';

/** abc-char tokens that are characters from id 0 on, without Seedsong's <s> and </s> in front. */
function isPlainCharVocabulary(spec: EncodingSpec): boolean {
  return spec.name === 'abc-char' && spec.tokens[0] !== BOS && !spec.tokens.includes(BOS) && !spec.tokens.includes(EOS) && spec.tokens.every((t) => Array.from(t).length === 1);
}

/**
 * A character model trained on one joined text (a Keras char-RNN: ids 0..V-1 are characters) gets
 * Seedsong's <s> = 0 and </s> = 1 in front, every character id moving up by 2: the Embedding gains
 * two rows (<s> reads as a newline, the character that starts a tune in joined text, or as zeros
 * when there is none; </s> is never read) and the output layer two columns that the model never
 * predicts (weights 0, bias -1e4: a take ends at its length, and a char take running on into a
 * second tune keeps the first). A Keras stateful model's fixed batch shape and stateful flags are
 * dropped: sampling keeps its own state.
 */
async function widenPlainVocabulary(model: tf.LayersModel, chars: readonly string[]): Promise<tf.LayersModel> {
  const V = chars.length;
  const topology = JSON.parse(JSON.stringify(model.toJSON(null, false))) as { config: { layers: { class_name: string; config: Record<string, unknown> }[] } };
  const unfixBatch = (cfg: Record<string, unknown>) => {
    for (const k of ['batch_input_shape', 'batch_shape']) {
      const shape = cfg[k] as (number | null)[] | undefined;
      if (Array.isArray(shape)) cfg[k] = shape.map((d, i) => (i < 2 ? null : d)); // [batch, time] free
    }
  };
  let outputLayer: string | null = null;
  for (const layer of topology.config.layers) {
    const cfg = layer.config;
    unfixBatch(cfg);
    if (cfg.stateful) cfg.stateful = false;
    if (layer.class_name === 'Embedding') cfg.input_dim = V + 2;
    const dense = layer.class_name === 'TimeDistributed' ? ((cfg.layer as { config: Record<string, unknown> }).config) : layer.class_name === 'Dense' ? cfg : null;
    if (dense && dense.units === V) {
      dense.units = V + 2;
      outputLayer = cfg.name as string;
    }
  }
  if (!outputLayer) throw new EngineError('bad_input', `no Dense layer with ${V} units (one per character) to widen for <s> and </s>`);
  const wider = await tf.models.modelFromJSON({ modelTopology: topology } as unknown as tf.io.ModelJSON);
  const newline = chars.indexOf('\n');
  for (const layer of model.layers) {
    const target = wider.getLayer(layer.name);
    const old = layer.getWeights();
    if (!old.length) continue;
    const cls = layer.getClassName();
    const next = tf.tidy(() => {
      if (cls === 'Embedding') {
        const table = old[0];
        const start = newline >= 0 ? tf.slice(table, [newline, 0], [1, table.shape[1]!]) : tf.zeros([1, table.shape[1]!]);
        return [tf.concat([start, tf.zeros([1, table.shape[1]!]), table], 0)];
      }
      if (layer.name === outputLayer) {
        const [kernel, bias] = old;
        const k = tf.concat([tf.zeros([kernel.shape[0]!, 2]), kernel], 1);
        return bias ? [k, tf.concat([tf.fill([2], -1e4), bias], 0)] : [k];
      }
      return old.map((w) => tf.clone(w));
    });
    target.setWeights(next);
    tf.dispose(next);
  }
  return wider;
}

export interface ImportOptions {
  /**
   * A JSON file: {name, tokens} (an encoding spec), an array of tokens in id order (then give the
   * encoding; an array of single characters is read as abc-char), or an object from character to id
   * (a Keras char_to_index). A plain character vocabulary (ids 0..V-1 are characters, no <s>/</s>)
   * is widened: see widenPlainVocabulary.
   */
  vocab?: string;
  encoding?: string;
  name?: string;
}

async function readVocab(file: string, encoding: string | undefined): Promise<EncodingSpec> {
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (e) {
    throw new EngineError('bad_input', `${file}: cannot read the vocabulary (${(e as Error).message})`);
  }
  if (Array.isArray(raw)) {
    const chars = raw.length > 0 && raw.every((t) => typeof t === 'string' && Array.from(t).length === 1);
    if (!encoding && chars) return { name: 'abc-char', tokens: raw as string[] };
    if (!encoding || !isEncodingName(encoding)) throw new EngineError('bad_input', `${file}: a plain token list needs the encoding it belongs to (abc-char, abc-token, melody-event or midi-event)`);
    return { name: encoding, tokens: raw as string[] };
  }
  if (raw && typeof raw === 'object' && !('tokens' in raw) && !('encoding' in raw)) {
    // {"a": 0, "b": 1, ...}: a Keras char-to-index table; ids must be 0..V-1, each once.
    const entries = Object.entries(raw as Record<string, unknown>);
    const tokens: string[] = new Array(entries.length);
    for (const [ch, id] of entries) {
      if (Array.from(ch).length !== 1) throw new EngineError('bad_input', `${file}: a character-to-id table must have one character per key, got ${JSON.stringify(ch)}`);
      if (!Number.isInteger(id) || (id as number) < 0 || (id as number) >= entries.length || tokens[id as number] !== undefined) {
        throw new EngineError('bad_input', `${file}: the ids of a character-to-id table must be 0..${entries.length - 1}, each once; ${JSON.stringify(ch)} has ${JSON.stringify(id)}`);
      }
      tokens[id as number] = ch;
    }
    if (encoding && encoding !== 'abc-char') throw new EngineError('bad_input', `${file}: a character-to-id table is an abc-char vocabulary, not ${encoding}`);
    return { name: 'abc-char', tokens };
  }
  const r = raw as { encoding?: EncodingSpec; name?: string; tokens?: unknown };
  if (r.encoding?.tokens) return r.encoding; // a seedsong.json
  if (Array.isArray(r.tokens) && typeof r.name === 'string') return r as EncodingSpec;
  throw new EngineError('bad_input', `${file}: expected {"name": ..., "tokens": [...]} or a JSON array of tokens in id order`);
}

async function findVocab(dir: string, opts: ImportOptions): Promise<EncodingSpec> {
  if (opts.vocab) return readVocab(opts.vocab, opts.encoding);
  for (const f of [META_FILE, 'vocab.json', 'vocabulary.json', 'tokens.json', 'char_to_index.json', 'char2idx.json']) {
    const file = path.join(dir, f);
    try {
      await fs.access(file);
    } catch {
      continue;
    }
    return readVocab(file, opts.encoding);
  }
  throw new EngineError(
    'bad_input',
    `${dir}: the model has no vocabulary, so its token ids cannot be turned into music. Put a vocab.json next to ${MODEL_FILE} ({"name": "abc-char", "tokens": [...]} in id order)`,
  );
}

function checkShapes(model: tf.LayersModel, tokens: number, where: string): void {
  const input = model.inputs[0];
  if (model.inputs.length !== 1 || input.shape.length !== 2) {
    throw new EngineError('bad_input', `${where}: wrong input shape: the model takes ${JSON.stringify(model.inputs.map((i) => i.shape))}, expected token ids [batch, time]`);
  }
  const first = model.layers.find((l) => l.getClassName() !== 'InputLayer');
  if (first?.getClassName() !== 'Embedding') {
    throw new EngineError('bad_input', `${where}: wrong input shape: the model takes ${JSON.stringify(input.shape)} into a ${first?.getClassName() ?? 'missing'} layer, expected token ids [batch, time] into an Embedding`);
  }
  const embedding = first;
  const inputDim = embedding ? (embedding.getConfig() as { inputDim: number }).inputDim : undefined;
  if (inputDim !== undefined && inputDim !== tokens) {
    throw new EngineError('bad_input', `${where}: the embedding takes ${inputDim} token ids but the vocabulary has ${tokens} tokens`);
  }
  const out = model.outputs[0].shape;
  if (out.length !== 3 || out[2] !== tokens) {
    throw new EngineError('bad_input', `${where}: wrong output shape ${JSON.stringify(out)}: expected [batch, time, ${tokens}] (a prediction for every step over the vocabulary)`);
  }
}

/** src: a folder holding model.json, or the path of the .json itself. */
export async function importLayersModel(src: string, dest: string, opts: ImportOptions = {}): Promise<ModelMeta> {
  const isJson = src.toLowerCase().endsWith('.json');
  const dir = isJson ? path.dirname(src) : src;
  const file = isJson ? path.basename(src) : MODEL_FILE;
  const found = await findVocab(dir, opts);
  const plain = isPlainCharVocabulary(found);
  const spec: EncodingSpec = plain ? { name: 'abc-char', tokens: [BOS, EOS, ...found.tokens] } : found;
  try {
    encodingFromSpec(spec);
  } catch (e) {
    throw new EngineError('bad_input', `${dir}: the vocabulary is not usable: ${(e as Error).message}`);
  }
  let model = await readModelFiles(dir, file);
  try {
    checkShapes(model, found.tokens.length, path.join(dir, file));
    if (plain) {
      const wider = await widenPlainVocabulary(model, found.tokens);
      model.dispose();
      model = wider;
    }
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
    if (e instanceof EngineError && e.code === 'bad_input' && !e.message.startsWith(dir)) throw new EngineError('bad_input', `${path.join(dir, file)}: ${e.message}`);
    throw e;
  } finally {
    model.dispose();
  }
}
