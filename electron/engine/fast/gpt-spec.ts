/**
 * Reads a GPT built by model.ts (gpt.ts's layers) into what the fast kernels need, or a reason
 * they cannot run it (then tfjs does, as before).
 */
import type * as tf from '@tensorflow/tfjs';
import { gptParts, type GptParts } from '../gpt';
import type { GptShape } from './gpt-layout';
import { GPT_MAX_BLOCKS } from './gpt-layout';

export interface GptModelSpec {
  shape: GptShape;
  parts: GptParts;
  /** Layers whose weights the kernels hold, in segment order: embedding, positions, per block ln1, attention, ln2, mlp_in, mlp_out; final_ln, logits. */
  weightLayers: tf.layers.Layer[];
  /** 'softmax' when the model itself outputs probabilities */
  output: 'linear' | 'softmax';
}

type Cfg = Record<string, unknown>;

/** A model with GPT layers (whether or not the kernels can run it). */
export function looksLikeGpt(model: tf.LayersModel): boolean {
  return model.layers.some((l) => l.getClassName() === 'SeedsongCausalSelfAttention');
}

export function readGptSpec(model: tf.LayersModel): { ok: true; spec: GptModelSpec } | { ok: false; reason: string } {
  const fail = (reason: string) => ({ ok: false as const, reason });
  const parts = gptParts(model);
  if (!parts) return fail('the GPT is not laid out as model.ts builds one');
  const width = parts.positions.positions().shape[1];
  const heads = parts.blocks[0].attention.heads;
  const vocab = (parts.embedding.getConfig() as Cfg).inputDim as number;
  if (parts.blocks.length > GPT_MAX_BLOCKS) return fail(`${parts.blocks.length} blocks; the fast kernels handle up to ${GPT_MAX_BLOCKS}`);
  if (width % 8 !== 0) return fail(`width ${width} is not a multiple of 8`);
  if ((width / heads) % 8 !== 0) return fail(`head size ${width / heads} is not a multiple of 8`);
  if ((parts.logits.getConfig() as Cfg).units !== vocab) return fail('the logits layer does not match the vocabulary');
  const lns = [...parts.blocks.flatMap((b) => [b.ln1, b.ln2]), parts.finalLn];
  const eps = (lns[0].getConfig() as Cfg).epsilon as number;
  if (lns.some((l) => (l.getConfig() as Cfg).epsilon !== eps)) return fail('the LayerNorms use different epsilons');
  for (const [i, b] of parts.blocks.entries()) {
    const a = b.attention.heads;
    if (a !== heads) return fail(`block ${i} has ${a} heads, block 0 has ${heads}`);
    const mi = b.mlpIn.getConfig() as Cfg;
    const mo = b.mlpOut.getConfig() as Cfg;
    if (mi.activation !== 'gelu') return fail(`block ${i}'s MLP uses ${String(mi.activation)}, the fast kernels do GELU`);
    if (mo.activation !== 'linear') return fail(`block ${i}'s MLP output uses ${String(mo.activation)}`);
    if (mi.useBias === false || mo.useBias === false) return fail(`block ${i}'s MLP has no bias`);
    if (mi.units !== 4 * width || mo.units !== width) return fail(`block ${i}'s MLP is not 4x the width`);
  }
  if ((parts.logits.getConfig() as Cfg).useBias === false) return fail('the logits layer has no bias');
  const rates = model.layers.filter((l) => l.getClassName() === 'Dropout').map((l) => ((l.getConfig() as Cfg).rate as number) ?? 0);
  const dropout = rates.length ? rates[0] : 0;
  if (rates.some((r) => r !== dropout)) return fail('the Dropout layers use different rates');
  if (!(dropout >= 0 && dropout < 1)) return fail(`dropout ${dropout}`);
  const weightLayers = [parts.embedding, parts.positions, ...parts.blocks.flatMap((b) => [b.ln1, b.attention, b.ln2, b.mlpIn, b.mlpOut]), parts.finalLn, parts.logits];
  const names = new Set(weightLayers.flatMap((l) => l.weights.map((w) => w.name)));
  const trainable = new Set(model.trainableWeights.map((w) => w.name));
  if ([...names].some((n) => !trainable.has(n))) return fail('some weights are frozen');
  if (names.size !== model.trainableWeights.length) return fail('the model has trainable weights outside the GPT layers');
  return {
    ok: true,
    spec: {
      shape: { vocab, width, blocks: parts.blocks.length, heads, context: parts.positions.contextLength, dropout, epsilon: eps },
      parts,
      weightLayers,
      output: parts.probsOut ? 'softmax' : 'linear',
    },
  };
}
