/**
 * `seedsong eval`: how well a model predicts some tunes. Cross-entropy in nats per token (the
 * training loss) and per note (comparable across encodings, since a note costs several tokens in
 * some and one in others). Runs through the StepModel, so imported models are measured the same.
 */
import path from 'node:path';
import { EngineError } from './errors';
import { encodeCorpus, loadTunes } from './corpus';
import { loadModelCached } from './jobs';
import { createStepModel } from './step';
import type { RunControl } from './control';

export interface EvalRequest {
  model: string;
  corpus: string[];
  /** Evaluate at most this many tunes (the first ones, in file order). */
  maxTunes?: number;
  batchSize?: number;
}

export interface EvalResult {
  model: string;
  encoding: string;
  tunes: number;
  tokens: number;
  notes: number;
  crossEntropyPerToken: number;
  bitsPerToken: number;
  perplexity: number;
  crossEntropyPerNote: number | null;
  accuracy: number;
  skipped: number;
  problems: string[];
}

export async function runEvaluation(req: EvalRequest, control?: RunControl): Promise<EvalResult> {
  const { model, encoding, meta, dir } = await loadModelCached(req.model);
  const loaded = await loadTunes(req.corpus, { validationFraction: 0 });
  if (req.maxTunes) loaded.tunes = loaded.tunes.slice(0, req.maxTunes);
  const enc = encodeCorpus(loaded, req.corpus.map((p) => path.resolve(p)), { encoding });
  const tunes = enc.data.train;
  const noteCount = enc.tunes.train.reduce((n, t) => n + t.sequence.notes.length, 0);
  const window = meta.model?.architecture === 'gpt' ? meta.training?.seqLength : undefined;
  const step = createStepModel(model, { window });
  const V = step.vocabSize;
  const B = req.batchSize ?? 16;
  let nats = 0;
  let predicted = 0;
  let correct = 0;
  try {
    for (let start = 0; start < tunes.length; start += B) {
      const batch = tunes.slice(start, start + B);
      const longest = Math.max(...batch.map((t) => t.length));
      step.reset(batch.length);
      const feed = new Int32Array(batch.length);
      for (let t = 0; t < longest - 1; t++) {
        if (control) {
          await control.checkpoint();
          if (control.isCancelled) throw new EngineError('cancelled', 'evaluation cancelled');
        }
        batch.forEach((tune, b) => (feed[b] = t < tune.length ? tune[t] : encoding.eos));
        const probs = step.step(feed);
        batch.forEach((tune, b) => {
          if (t + 1 >= tune.length) return;
          const target = tune[t + 1];
          nats -= Math.log(Math.max(probs[b * V + target], 1e-12));
          let best = 0;
          for (let v = 1; v < V; v++) if (probs[b * V + v] > probs[b * V + best]) best = v;
          if (best === target) correct++;
          predicted++;
        });
      }
    }
  } finally {
    step.dispose();
  }
  if (!predicted) throw new EngineError('bad_input', 'no tokens to evaluate');
  const perToken = nats / predicted;
  return {
    model: dir,
    encoding: encoding.name,
    tunes: tunes.length,
    tokens: predicted,
    notes: noteCount,
    crossEntropyPerToken: perToken,
    bitsPerToken: perToken / Math.LN2,
    perplexity: Math.exp(perToken),
    crossEntropyPerNote: noteCount ? nats / noteCount : null,
    accuracy: correct / predicted,
    skipped: enc.summary.skipped ?? 0,
    problems: enc.problems,
  };
}
