/**
 * `seedsong eval`: how well a model predicts some tunes. Cross-entropy in nats per token (the
 * training loss) and per note (comparable across encodings, since a note costs several tokens in
 * some and one in others). Runs through the StepModel, so imported models are measured the same.
 *
 * Every tune that can be read is scored (issue #14): tokens the model's vocabulary lacks are
 * counted, never a reason to drop the tune. In an encoding with `<unk>` (abc-token version 2) they
 * are fed to the model as `<unk>` and not scored as targets; in one without (abc-token version 1,
 * abc-char) they are left out of the tune. Chord symbols the encoding does not keep are removed and
 * counted. The coverage (tunes given, read, scored; tokens scored; unknown tokens with the commonest
 * ones; chord symbols and annotations removed) stands beside the figures.
 */
import path from 'node:path';
import { EngineError } from './errors';
import { loadTunes } from './corpus';
import { loadModelCached } from './jobs';
import { createStepModel } from './step';
import type { RunControl } from './control';
import { addEncodeReport, emptyEncodeReport, type EncodeReport } from '@shared/music/encodings/index';

export interface EvalRequest {
  model: string;
  corpus: string[];
  /** Evaluate at most this many tunes (the first ones, in file order). */
  maxTunes?: number;
  batchSize?: number;
  /** Only the coverage (what the vocabulary can spell): no scoring, so no model run. */
  coverageOnly?: boolean;
}

export interface EvalCoverage {
  /** Tunes in the files, readable or not (each unreadable one is in `problems`). */
  tunesGiven: number;
  /** Tunes read (abcjs, MIDI) and scored. */
  tunesScored: number;
  /** Tunes that could not be read or encoded (named in `problems`). */
  tunesUnreadable: number;
  /** Tokens scored (predicted), and tokens the vocabulary lacks (not scored). */
  tokensScored: number;
  unknownTokens: number;
  /** How unknown tokens were handled: as `<unk>` in the input, or left out (no `<unk>` in the vocabulary). */
  unknownAs: 'unk' | 'left-out' | 'none';
  /** The commonest unknown tokens with their counts (at most 12). */
  topUnknown: { token: string; count: number }[];
  /** Tunes with at least one unknown token. */
  tunesWithUnknown: number;
  chordSymbolsRemoved: number;
  annotationsRemoved: number;
  /** Layout marks and marks abcjs ignores, removed (abc-token 2: ` y k). */
  ignoredMarksRemoved: number;
}

export interface EvalResult {
  model: string;
  encoding: string;
  /** abc-token: the spelling version of the model's vocabulary (1 or 2). */
  encodingVersion?: number;
  tunes: number;
  tokens: number;
  notes: number;
  /** Null with coverageOnly. */
  crossEntropyPerToken: number | null;
  bitsPerToken: number | null;
  perplexity: number | null;
  crossEntropyPerNote: number | null;
  accuracy: number | null;
  coverage: EvalCoverage;
  problems: string[];
}

export async function runEvaluation(req: EvalRequest, control?: RunControl): Promise<EvalResult> {
  const { model, encoding, meta, dir } = await loadModelCached(req.model);
  // Every tune as given: duplicates too (a corpus for training drops them; a test set keeps them).
  const loaded = await loadTunes(req.corpus, { validationFraction: 0, dedupe: false });
  if (req.maxTunes) loaded.tunes = loaded.tunes.slice(0, req.maxTunes);
  const problems = [...loaded.problems];
  const report = emptyEncodeReport();
  const tunes: number[][] = [];
  let noteCount = 0;
  let tunesWithUnknown = 0;
  for (const tune of loaded.tunes) {
    const r: EncodeReport = emptyEncodeReport();
    try {
      let ids = encoding.encode(tune, r);
      if (ids[0] !== encoding.bos) ids = [encoding.bos, ...ids];
      if (ids[ids.length - 1] !== encoding.eos) ids = [...ids, encoding.eos];
      tunes.push(ids);
      noteCount += tune.sequence.notes.length;
      addEncodeReport(report, r);
      if (r.unknown) tunesWithUnknown++;
    } catch (e) {
      problems.push(`${tune.source.file}:${tune.source.line}: tune ${tune.source.index + 1}${tune.title ? ` "${tune.title}"` : ''}: ${(e as Error).message}`);
    }
  }
  const unreadable = problems.length;
  if (!tunes.length) throw new EngineError('bad_input', `no tune of ${req.corpus.map((p) => path.basename(p)).join(', ')} could be read${problems.length ? ` (first problem: ${problems[0]})` : ''}`);
  const topUnknown = Object.entries(report.unknownTokens)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, 12)
    .map(([token, count]) => ({ token, count }));
  const coverage = (tokensScored: number): EvalCoverage => ({
    // Reading problems are one per tune (or file) that could not be read.
    tunesGiven: loaded.tunes.length + loaded.problems.length,
    tunesScored: tunes.length,
    tunesUnreadable: unreadable,
    tokensScored,
    unknownTokens: report.unknown,
    unknownAs: report.unknown === 0 ? 'none' : encoding.unk !== undefined ? 'unk' : 'left-out',
    topUnknown,
    tunesWithUnknown,
    chordSymbolsRemoved: report.chordSymbols,
    annotationsRemoved: report.annotations,
    ignoredMarksRemoved: report.ignoredMarks,
  });
  const head = { model: dir, encoding: encoding.name, ...(encoding.name === 'abc-token' ? { encodingVersion: encoding.version ?? 1 } : {}), tunes: tunes.length, notes: noteCount };
  if (req.coverageOnly) {
    // The tokens that would be scored: every predicted position but <unk> targets.
    const scorable = tunes.reduce((n, t) => n + t.slice(1).filter((id) => id !== encoding.unk).length, 0);
    return { ...head, tokens: scorable, crossEntropyPerToken: null, bitsPerToken: null, perplexity: null, crossEntropyPerNote: null, accuracy: null, coverage: coverage(scorable), problems };
  }
  const window = meta.model?.architecture === 'gpt' ? meta.training?.seqLength : undefined;
  const step = createStepModel(model, { window });
  const V = step.vocabSize;
  const B = req.batchSize ?? 16;
  const unk = encoding.unk;
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
          if (target === unk) return; // counted in the coverage, not scored
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
    ...head,
    tokens: predicted,
    crossEntropyPerToken: perToken,
    bitsPerToken: perToken / Math.LN2,
    perplexity: Math.exp(perToken),
    crossEntropyPerNote: noteCount ? nats / noteCount : null,
    accuracy: correct / predicted,
    coverage: coverage(predicted),
    problems,
  };
}

/** The result as lines of text: the figures, then the coverage beside them. */
export function formatEvaluation(r: EvalResult): string[] {
  const c = r.coverage;
  const pct = (n: number, d: number) => (d ? `${((100 * n) / d).toFixed(1)}%` : '-');
  const enc = r.encodingVersion ? `${r.encoding} version ${r.encodingVersion}` : r.encoding;
  const lines = [
    `model: ${r.model} (${enc})`,
    r.crossEntropyPerToken === null
      ? 'cross-entropy: not measured (coverage only)'
      : `cross-entropy: ${r.crossEntropyPerToken.toFixed(4)} nats/token (${r.bitsPerToken!.toFixed(3)} bits, perplexity ${r.perplexity!.toFixed(2)}), ${r.crossEntropyPerNote === null ? '-' : r.crossEntropyPerNote.toFixed(3)} nats/note; next-token accuracy ${pct(r.accuracy!, 1)}`,
    `coverage: ${c.tunesScored} of ${c.tunesGiven} tunes scored (${c.tunesUnreadable} unreadable), ${r.notes} notes, ${c.tokensScored} tokens scored`,
    `unknown tokens: ${c.unknownTokens} (${pct(c.unknownTokens, c.tokensScored + c.unknownTokens)} of tokens, in ${c.tunesWithUnknown} tunes${c.unknownTokens ? `; ${c.unknownAs === 'unk' ? 'read as <unk>, not scored' : 'left out: this vocabulary has no <unk>'}` : ''})${c.topUnknown.length ? `: ${c.topUnknown.map((u) => `${u.token} x${u.count}`).join(', ')}` : ''}`,
    `removed: ${c.chordSymbolsRemoved} chord symbols, ${c.annotationsRemoved} annotations${c.ignoredMarksRemoved ? `, ${c.ignoredMarksRemoved} layout marks (\` y k)` : ''}`,
  ];
  if (r.problems.length) lines.push(`first unreadable: ${r.problems[0]}`);
  return lines;
}
