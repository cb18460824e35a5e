/**
 * Reads the architecture the fast kernels support out of a tfjs LayersModel:
 * Embedding -> LSTM x N -> Dense (linear or softmax), with Dropout anywhere in between (it is the
 * identity at inference) and an optional trailing softmax Activation. Anything else returns a
 * reason, so the caller falls back to tfjs instead of guessing.
 */
import type * as tf from '@tensorflow/tfjs';

export type GateActivation = 'sigmoid' | 'hardSigmoid';

export interface LstmLayerSpec {
  name: string;
  units: number;
  inputDim: number;
  gate: GateActivation;
  useBias: boolean;
  dropout: number;
  recurrentDropout: number;
  stateful: boolean;
}

export interface LstmModelSpec {
  vocabSize: number;
  embeddingDim: number;
  lstm: LstmLayerSpec[];
  /** Dropout layers with a rate above 0 (identity when sampling). */
  dropoutLayers: string[];
  /** Rate of the Dropout layer right after each LSTM layer (0: none); the trainer applies these. */
  outputDropout: number[];
  /** Dropout layers the trainer cannot apply (not right after an LSTM, SpatialDropout1D, two in a row), with why. */
  unplacedDropout: string[];
  /** 'softmax' when the model itself outputs probabilities, 'linear' when it outputs logits. */
  output: 'linear' | 'softmax';
  embeddingLayer: tf.layers.Layer;
  lstmLayers: tf.layers.Layer[];
  denseLayer: tf.layers.Layer;
}

export type SpecResult = { ok: true; spec: LstmModelSpec } | { ok: false; reason: string };

interface AnyConfig {
  [k: string]: unknown;
}

export function readLstmSpec(model: tf.LayersModel): SpecResult {
  const fail = (reason: string): SpecResult => ({ ok: false, reason });
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return fail('the model has more than one input or output');
  let embedding: tf.layers.Layer | null = null;
  let dense: tf.layers.Layer | null = null;
  let output: 'linear' | 'softmax' = 'linear';
  let softmaxLayer = false;
  const lstm: LstmLayerSpec[] = [];
  const lstmLayers: tf.layers.Layer[] = [];
  const dropoutLayers: string[] = [];
  const outputDropout: number[] = [];
  const unplacedDropout: string[] = [];
  let prevUnits = 0;
  for (const layer of model.layers) {
    const cls = layer.getClassName();
    const cfg = layer.getConfig() as AnyConfig;
    if (layer.inboundNodes.length > 1) return fail(`layer ${layer.name} is used more than once`);
    if (cls === 'InputLayer') continue;
    if (cls === 'Dropout' || cls === 'SpatialDropout1D') {
      const rate = (cfg.rate as number) ?? 0;
      if (rate > 0) {
        dropoutLayers.push(layer.name);
        const at = lstm.length - 1;
        if (cls !== 'Dropout') unplacedDropout.push(`${layer.name} (${cls})`);
        else if (at < 0 || dense) unplacedDropout.push(`${layer.name} (not right after an LSTM layer)`);
        else if (outputDropout[at] > 0) unplacedDropout.push(`${layer.name} (a second Dropout after ${lstm[at].name})`);
        else if (cfg.noiseShape != null) unplacedDropout.push(`${layer.name} (a noise shape)`);
        else outputDropout[at] = rate;
      }
      continue;
    }
    if (softmaxLayer) return fail(`layer ${layer.name} follows the output softmax`);
    if (cls === 'Embedding') {
      if (embedding || lstm.length) return fail('the Embedding is not the first layer');
      if (cfg.maskZero) return fail('Embedding maskZero is not supported by the fast kernels');
      embedding = layer;
      prevUnits = cfg.outputDim as number;
    } else if (cls === 'LSTM') {
      if (!embedding) return fail('an LSTM comes before the Embedding');
      if (dense) return fail('an LSTM follows the Dense layer');
      if (cfg.goBackwards) return fail(`LSTM ${layer.name} runs backwards`);
      if (cfg.activation !== 'tanh') return fail(`LSTM ${layer.name} uses activation ${String(cfg.activation)}, only tanh is supported`);
      const ra = cfg.recurrentActivation;
      if (ra !== 'sigmoid' && ra !== 'hardSigmoid') return fail(`LSTM ${layer.name} uses recurrent activation ${String(ra)}`);
      const units = cfg.units as number;
      lstm.push({
        name: layer.name,
        units,
        inputDim: prevUnits,
        gate: ra,
        useBias: cfg.useBias !== false,
        dropout: (cfg.dropout as number) ?? 0,
        recurrentDropout: (cfg.recurrentDropout as number) ?? 0,
        stateful: !!cfg.stateful,
      });
      lstmLayers.push(layer);
      outputDropout.push(0);
      prevUnits = units;
    } else if (cls === 'Dense' || (cls === 'TimeDistributed' && (cfg.layer as AnyConfig | undefined)?.className === 'Dense')) {
      if (dense) return fail('more than one Dense layer');
      if (!lstm.length) return fail('no LSTM layer before the Dense layer');
      const inner = cls === 'Dense' ? layer : ((layer as unknown as { layer: tf.layers.Layer }).layer);
      const icfg = inner.getConfig() as AnyConfig;
      if (icfg.activation !== 'linear' && icfg.activation !== 'softmax') return fail(`the Dense layer uses activation ${String(icfg.activation)}`);
      output = icfg.activation;
      dense = inner;
    } else if ((cls === 'Activation' || cls === 'Softmax') && dense && output === 'linear') {
      if (cls === 'Activation' && cfg.activation !== 'softmax') return fail(`unsupported Activation ${String(cfg.activation)}`);
      output = 'softmax';
      softmaxLayer = true;
    } else {
      return fail(`layer ${layer.name} (${cls}) is not supported by the fast kernels`);
    }
  }
  if (!embedding) return fail('no Embedding layer');
  if (!lstm.length) return fail('no LSTM layer');
  if (!dense) return fail('no Dense output layer');
  const vocab = (embedding.getConfig() as AnyConfig).inputDim as number;
  const denseUnits = (dense.getConfig() as AnyConfig).units as number;
  if (denseUnits !== vocab) return fail(`the Dense layer has ${denseUnits} outputs for a vocabulary of ${vocab}`);
  return {
    ok: true,
    spec: {
      vocabSize: vocab,
      embeddingDim: (embedding.getConfig() as AnyConfig).outputDim as number,
      lstm,
      dropoutLayers,
      outputDropout,
      unplacedDropout,
      output,
      embeddingLayer: embedding,
      lstmLayers,
      denseLayer: dense,
    },
  };
}

/** The layer's weights as Float32Arrays (dataSync, so valid on every backend). */
export function readWeights(layer: tf.layers.Layer): Float32Array[] {
  return layer.getWeights().map((w) => w.dataSync() as Float32Array);
}
