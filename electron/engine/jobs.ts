/**
 * The two jobs the engine runs, from request to files on disk: training a model (new or resumed)
 * and generating takes. Both the engine process and the CLI call these, so a run behaves the same
 * wherever it was started.
 */
import * as tf from '@tensorflow/tfjs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { checkModelMemory } from './model-memory';
import { EngineError } from './errors';
import { applyOverrides, findPreset, modelSpecFor, validateTrainingConfig, type HyperparameterOverrides, type Preset, type TrainingConfig } from './hyperparameters';
import { prepareData, type TokenData } from './data';
import { buildModel, countParameters } from './model';
import { train, type BatchProgress, type EpochRecord, type StopReason } from './train';
import { RunControl } from './control';
import {
  csvLog,
  listCheckpoints,
  loadCheckpoint,
  loadModel,
  readMeta,
  saveCheckpoint,
  saveModel,
  updateModelWeights,
  writeMeta,
  LOG_FILE,
  CHECKPOINTS,
  type CheckpointInfo,
  type LoadedModel,
  type ModelMeta,
} from './library';
import { writeFileAtomic } from '../node/atomic';
import { DEFAULT_VALIDATION_FRACTION, encodeCorpus, loadTunes } from './corpus';
import { backendReport } from './backend';
import { createStepModel } from './step';
import { freshRngSeed, sample, type SampledTake } from './sample';
import { TuneConstraints, TUNE_CONSTRAINTS, type TuneConstraintName } from '@shared/music/constraints/index';
import { abcGrammar } from '@shared/music/grammar/abc-grammar';
import { encodingFromSpec, type Encoding, type EncodingSpec } from '@shared/music/encodings/index';
import type { Note, NoteSequence } from '@shared/music/types';
import type { SeedFix } from '@shared/music/transcribe/index';
import {
  headerTokens as musicHeaderTokens,
  isAbcEncoding,
  keyPitchClasses as musicKeyPitchClasses,
  primeSeed as musicPrimeSeed,
  primeTokens as musicPrimeTokens,
  SeedPrimingError,
  type GenerateSeed,
  type HeaderConstraint,
} from '@shared/music/prime/prime';
import { takeWithSeedAsWritten } from '@shared/music/prime/take';
import { writeImpliedRepeatStarts } from '@shared/music/abc/repeat-starts';

// ---------------------------------------------------------------------------------------------
// Training

export interface TrainRequest {
  /** Preset name; ignored when resuming (the model's own hyperparameters are used). */
  preset?: string;
  overrides?: HyperparameterOverrides;
  /** .abc / .mid files or folders. */
  corpus?: string[];
  /** Already encoded tunes (tests, or a corpus the studio has prepared) instead of corpus paths. */
  tokens?: { data: TokenData; encoding: EncodingSpec };
  /** The model folder to create (or to continue, with resume). */
  out: string;
  name?: string;
  /** Cap on batches in this run (quick runs, tests). */
  maxSteps?: number;
  /** Continue from the latest checkpoint in `out` (or the named checkpoint id). */
  resume?: boolean | string;
  /** For resume: train up to this many epochs in total. */
  epochs?: number;
  validationFraction?: number;
}

export interface TrainEvents {
  onStart?(info: { out: string; parameters: number; batchesPerEpoch: number; corpus: ModelMeta['corpus']; preset?: string; resumedFrom?: CheckpointInfo; problems: string[] }): void;
  onProgress?(p: BatchProgress): void;
  onEpoch?(r: EpochRecord): void;
  onCheckpoint?(c: CheckpointInfo): void;
}

export interface TrainSummary {
  out: string;
  stopReason: StopReason;
  epochs: number;
  steps: number;
  history: EpochRecord[];
  bestValLoss: number | null;
  lastCheckpoint?: CheckpointInfo;
}

const pad = (n: number, w: number) => String(n).padStart(w, '0');

async function isNonEmptyDir(p: string): Promise<boolean> {
  try {
    return (await fs.readdir(p)).length > 0;
  } catch {
    return false;
  }
}

export async function runTraining(req: TrainRequest, events: TrainEvents = {}, control = new RunControl()): Promise<TrainSummary> {
  const out = path.resolve(req.out);
  let preset: Preset;
  let meta: ModelMeta | undefined;
  let model: tf.LayersModel;
  let resume: Parameters<typeof train>[2]['resume'];
  let resumedFrom: CheckpointInfo | undefined;
  let encoding: Encoding;
  let data: TokenData;
  let corpusSummary: ModelMeta['corpus'];
  let problems: string[] = [];

  if (req.resume) {
    meta = await readMeta(out);
    if (!meta.model || !meta.training) throw new EngineError('invalid_request', `${out}: this model was imported, not trained here, so it cannot be resumed`);
    const all = await listCheckpoints(out);
    const pick = typeof req.resume === 'string' ? all.find((c) => c.id === req.resume) : all[all.length - 1];
    if (!pick) throw new EngineError('not_found', typeof req.resume === 'string' ? `${out}: no checkpoint "${req.resume}" (have: ${all.map((c) => c.id).join(', ') || 'none'})` : `${out}: no checkpoint to resume from`);
    const training: TrainingConfig = { ...meta.training, ...(req.epochs ? { epochs: req.epochs } : {}) };
    preset = { name: meta.preset ?? 'custom', description: '', encoding: meta.encoding.name, model: meta.model, training };
    encoding = encodingFromSpec(meta.encoding);
    if (req.tokens) data = req.tokens.data;
    else {
      const paths = req.corpus?.length ? req.corpus : meta.corpus?.paths;
      if (!paths?.length) throw new EngineError('invalid_request', 'resuming needs the corpus (none given and none recorded in seedsong.json)');
      // The same split as the run started with, unless asked otherwise.
      const validationFraction = req.validationFraction ?? meta.corpus?.validationFraction;
      const c = encodeCorpus(await loadTunes(paths, { validationFraction, seed: training.seed }), paths, { encoding });
      data = c.data;
      corpusSummary = { ...c.summary, validationFraction: validationFraction ?? DEFAULT_VALIDATION_FRACTION };
      problems = c.problems;
    }
    const ck = await loadCheckpoint(pick.dir);
    model = ck.model;
    // A run that stopped early (patience) is finished; asking for more epochs than it reached is
    // the musician saying "train on anyway": it continues, with its patience counted afresh.
    const state = ck.state.finished && req.epochs && ck.state.epoch < req.epochs ? { ...ck.state, finished: false, epochsWithoutImprovement: 0 } : ck.state;
    resume = { state, optimizer: ck.optimizer };
    resumedFrom = ck.info;
  } else {
    if (!req.preset) throw new EngineError('invalid_request', 'no preset given (see the list of presets)');
    preset = applyOverrides(findPreset(req.preset), req.overrides ?? {});
    validateTrainingConfig(preset.training, preset.model);
    if (await isNonEmptyDir(out)) throw new EngineError('busy', `${out} already exists and is not empty; choose a new folder, or resume it`);
    if (req.tokens) {
      encoding = encodingFromSpec(req.tokens.encoding);
      data = req.tokens.data;
    } else {
      if (!req.corpus?.length) throw new EngineError('bad_input', 'no corpus given: name .abc or .mid files, or folders holding them');
      const paths = req.corpus.map((p) => path.resolve(p));
      const c = encodeCorpus(await loadTunes(paths, { validationFraction: req.validationFraction, seed: preset.training.seed }), paths, { encoding: preset.encoding });
      encoding = c.encoding;
      data = c.data;
      corpusSummary = { ...c.summary, validationFraction: req.validationFraction ?? DEFAULT_VALIDATION_FRACTION };
      problems = c.problems;
    }
    // Checks the hyperparameters, and that the model fits in memory, before any work.
    checkModelMemory(modelSpecFor(preset, encoding.tokens.length), 'train', preset.training);
    model = undefined as unknown as tf.LayersModel;
  }
  const prepared = prepareData(data, preset.training);
  if (!model) model = buildModel(modelSpecFor(preset, encoding.tokens.length), preset.training.seed);

  const now = new Date().toISOString();
  meta = meta
    ? { ...meta, training: preset.training, corpus: corpusSummary ?? meta.corpus, status: 'training', updatedAt: now, backend: backendReport()?.active ?? meta.backend }
    : {
        format: 'seedsong-model',
        version: 1,
        name: req.name ?? path.basename(out),
        createdAt: now,
        updatedAt: now,
        source: 'trained',
        encoding: encoding.toSpec(),
        preset: preset.name,
        model: modelSpecFor(preset, encoding.tokens.length),
        training: preset.training,
        corpus: corpusSummary,
        history: [],
        metrics: { parameters: countParameters(model), bestValLoss: null, bestEpoch: null },
        backend: backendReport()?.active,
        status: 'training',
      };
  let folderExists = !!req.resume;
  let lastCheckpoint: CheckpointInfo | undefined;
  events.onStart?.({ out, parameters: countParameters(model), batchesPerEpoch: prepared.batchesPerEpoch, corpus: meta.corpus, preset: preset.name, resumedFrom, problems });

  const writeMetaAndLog = async (m: ModelMeta) => {
    await writeMeta(out, m);
    await writeFileAtomic(path.join(out, LOG_FILE), csvLog(m.history));
  };

  try {
    const result = await train(model, prepared, { training: preset.training, maxSteps: req.maxSteps, resume, control }, {
      onBatch: (p) => events.onProgress?.(p),
      onEpoch: (r) => events.onEpoch?.(r),
      onCheckpoint: async (c) => {
        const m: ModelMeta = {
          ...meta!,
          updatedAt: new Date().toISOString(),
          history: c.state.history,
          metrics: { ...meta!.metrics, bestValLoss: c.state.bestValLoss, bestEpoch: c.state.bestEpoch, lastLoss: c.state.history.at(-1)?.loss ?? null },
        };
        if (!folderExists) {
          // The model folder appears, complete, at the first checkpoint: a run that fails before
          // leaves nothing behind.
          await saveModel(out, c.model, m);
          folderExists = true;
        }
        const id = c.state.batchInEpoch === 0 ? `epoch-${pad(c.state.epoch, 4)}` : `step-${pad(c.state.step, 7)}`;
        lastCheckpoint = await saveCheckpoint(out, id, c.model, c.state, c.optimizer, c.reasons);
        if (c.reasons.includes('best')) await saveCheckpoint(out, 'best', c.model, c.state, c.optimizer, c.reasons);
        // Only the newest mid-epoch checkpoint is kept; epoch checkpoints all stay.
        for (const old of await listCheckpoints(out)) if (old.id.startsWith('step-') && old.id !== id) await fs.rm(old.dir, { recursive: true, force: true });
        // The model itself: the best weights when there is validation, else the latest.
        if (c.reasons.includes('best') || c.state.bestValLoss === null) {
          await updateModelWeights(out, c.model);
          m.checkpoint = { id, epoch: c.state.epoch, step: c.state.step };
        }
        meta = m;
        await writeMetaAndLog(m);
        events.onCheckpoint?.(lastCheckpoint);
      },
    });
    meta = { ...meta, status: result.stopReason === 'cancelled' ? 'cancelled' : 'complete', updatedAt: new Date().toISOString(), history: result.history };
    if (folderExists) await writeMetaAndLog(meta);
    return { out, stopReason: result.stopReason, epochs: result.state.epoch, steps: result.state.step, history: result.history, bestValLoss: result.state.bestValLoss, lastCheckpoint };
  } catch (e) {
    if (folderExists) await writeMeta(out, { ...meta, status: 'failed', updatedAt: new Date().toISOString() }).catch(() => {});
    throw e;
  } finally {
    model.dispose();
  }
}

export { CHECKPOINTS };

// ---------------------------------------------------------------------------------------------
// Generation

export type { GenerateSeed, HeaderConstraint, PrimedSeed } from '@shared/music/prime/prime';

/** A seed the model cannot spell: says what, and the fix to offer (`fix`). */
export class SeedEncodingError extends EngineError {
  constructor(
    message: string,
    readonly fix: SeedFix,
  ) {
    super('invalid_request', message);
  }
}

/** The music core's priming errors as the engine's (a request the model cannot serve as asked). */
function asEngineError(e: unknown): unknown {
  if (!(e instanceof SeedPrimingError)) return e;
  return e.fix ? new SeedEncodingError(e.message, e.fix) : new EngineError('invalid_request', e.message);
}

function engineErrors<A extends unknown[], R>(f: (...args: A) => R): (...args: A) => R {
  return (...args: A) => {
    try {
      return f(...args);
    } catch (e) {
      throw asEngineError(e);
    }
  };
}

/** Prime tokens that spell a header (M:, L:, K:) in the encoding's own tokens (shared/music/prime). */
export const headerTokens = engineErrors(musicHeaderTokens);
/** Pitch classes of a key written as in ABC ("D", "Ador", "F#m", "Bb mixolydian"). */
export const keyPitchClasses = engineErrors(musicKeyPitchClasses);
/** The seed as the model will read it: its tokens, and what was changed to write it in the model's words. */
export const primeSeed = engineErrors(musicPrimeSeed);
export const primeTokens = engineErrors(musicPrimeTokens);

export interface GenerateRequest {
  /** Model folder. */
  model: string;
  /** Sample from this checkpoint of the model (an id from checkpoints/) instead of its saved weights. */
  checkpoint?: string;
  seed?: GenerateSeed;
  header?: HeaderConstraint;
  temperature?: number;
  topK?: number;
  topP?: number;
  /** Most tokens per variation. */
  length?: number;
  count?: number;
  /**
   * The RNG seed of this run: drawn where the request is made (the studio, the CLI) and recorded
   * with the takes, so that no two runs share a seed unless asked to and any take can be remade.
   */
  rngSeed: number;
  /**
   * ABC models: keep every take well formed (repeats, endings, chords, ties; see abc-grammar.ts).
   * On unless false.
   */
  grammar?: boolean;
  /**
   * ABC models: the tune constraints (shared/music/constraints: bar fill, 8-bar sections, tonic
   * ending) that guide sampling. All on unless false; a list turns on only those named.
   */
  tuneConstraints?: boolean | readonly TuneConstraintName[];
}

/** The tune constraints a request turns on for an encoding (none for event models). */
export function tuneConstraintsOf(req: Pick<GenerateRequest, 'tuneConstraints'>, encoding: Encoding): TuneConstraintName[] {
  if (!isAbcEncoding(encoding) || req.tuneConstraints === false) return [];
  return [...(Array.isArray(req.tuneConstraints) ? req.tuneConstraints : TUNE_CONSTRAINTS)];
}

export interface GeneratedTake {
  variation: number;
  /** Seed + generated tokens, as the encoding decodes them. */
  tokens: number[];
  primeLength: number;
  /** The take's ABC: a typed seed as the musician wrote it, then the continuation; else as the encoding decodes the tokens. */
  abc: string;
  /** When `abc` starts with the seed as written: its length in characters (the model's spelling follows). */
  seedChars?: number;
  sequence: NoteSequence;
  warnings: string[];
  stop: SampledTake['stop'];
  /** The RNG seed the run used (the request's, or a fresh one when it had none): it makes the take again. */
  rngSeed: number;
  /** The tune constraints that guided this take, and how many of its steps they could not meet (sampled as the grammar left them). */
  constraints?: { names: TuneConstraintName[]; fallbacks: number };
}

export interface GenerateEvents {
  onToken?(variation: number, token: number, text: string): void;
  /**
   * Notes of the continuation as they become certain (the last decoded note may still grow, so it
   * is held back until more tokens arrive). The finished take's notes are authoritative.
   */
  onNote?(variation: number, note: Note): void;
}

/** Decodes each variation's growing token list now and then and reports the new notes. */
class NoteStreamer {
  private readonly tokens: number[][];
  private readonly sent: number[];
  private readonly since: number[];
  private readonly primeEnd: number;

  constructor(
    private readonly encoding: Encoding,
    private readonly prime: number[],
    count: number,
    private readonly onNote: (variation: number, note: Note) => void,
    private readonly every = 8,
  ) {
    this.tokens = Array.from({ length: count }, () => []);
    this.sent = new Array(count).fill(0);
    this.since = new Array(count).fill(0);
    this.primeEnd = prime.length > 1 ? Math.max(0, ...encoding.decode(prime).sequence.notes.map((n) => n.end)) : 0;
  }

  push(v: number, token: number): void {
    this.tokens[v].push(token);
    const text = this.encoding.tokens[token] ?? '';
    if (++this.since[v] >= this.every || text.includes('|')) this.flush(v, false);
  }

  flush(v: number, final: boolean): void {
    this.since[v] = 0;
    let notes: Note[];
    try {
      notes = this.encoding.decode([...this.prime, ...this.tokens[v]]).sequence.notes.filter((n) => n.start >= this.primeEnd - 1e-9);
    } catch {
      return; // a partial tune that cannot be decoded yet
    }
    const stable = final ? notes.length : notes.length - 1;
    for (let i = this.sent[v]; i < stable; i++) this.onNote(v, notes[i]);
    this.sent[v] = Math.max(this.sent[v], stable);
  }
}

interface CachedModel extends LoadedModel {
  encoding: Encoding;
  mtimeMs: number;
  checkpoint?: string;
}
let cache: CachedModel | undefined;

/** Keeps the last model loaded, so a second Generate does not reload it. */
export async function loadModelCached(dir: string, checkpoint?: string): Promise<CachedModel> {
  const full = path.resolve(dir);
  const weightsDir = checkpoint ? path.join(full, CHECKPOINTS, checkpoint) : full;
  if (checkpoint && (checkpoint.includes('/') || checkpoint.includes('\\') || checkpoint.startsWith('.'))) throw new EngineError('invalid_request', `checkpoint id "${checkpoint}" is not allowed`);
  const st = await fs.stat(path.join(weightsDir, 'model.json')).catch(() => {
    throw new EngineError('not_found', checkpoint ? `${full}: no checkpoint "${checkpoint}"` : `${path.join(full, 'model.json')}: no such file (is ${full} a model folder?)`);
  });
  if (cache && cache.dir === full && cache.checkpoint === checkpoint && cache.mtimeMs === st.mtimeMs) return cache;
  const loaded = await loadModel(full, weightsDir);
  let encoding: Encoding;
  try {
    encoding = encodingFromSpec(loaded.meta.encoding);
  } catch (e) {
    loaded.model.dispose();
    throw new EngineError('bad_input', `${full}: its vocabulary cannot be used: ${(e as Error).message}`);
  }
  cache?.model.dispose();
  cache = { ...loaded, dir: full, encoding, mtimeMs: st.mtimeMs, checkpoint };
  return cache;
}

export function releaseModelCache(): void {
  cache?.model.dispose();
  cache = undefined;
}

/**
 * Event models have no header to prime: a key becomes a mask that leaves only the scale's
 * note-on tokens (the model's other choices are renormalised).
 */
export function keyMask(encoding: Encoding, key: string): (variation: number, index: number, probs: Float64Array) => void {
  const scale = keyPitchClasses(key);
  const banned: number[] = [];
  encoding.tokens.forEach((t, i) => {
    const m = /^on:(\d+)$/.exec(t);
    if (m && !scale.has(Number(m[1]) % 12)) banned.push(i);
  });
  return (_v, _i, probs) => {
    for (const b of banned) probs[b] = 0;
  };
}

export async function runGeneration(req: GenerateRequest, events: GenerateEvents = {}, control?: RunControl): Promise<GeneratedTake[]> {
  const { model, encoding, meta } = await loadModelCached(req.model, req.checkpoint);
  const primed = primeSeed(encoding, req.seed, req.header);
  const prime = primed.ids;
  let mask: ReturnType<typeof keyMask> | undefined;
  if (!isAbcEncoding(encoding) && req.header) {
    if (req.header.meter || req.header.unit) throw new EngineError('invalid_request', `meter and unit constraints need an ABC model; this one uses ${encoding.name} (give a seed in that meter instead)`);
    if (req.header.key) mask = keyMask(encoding, req.header.key);
  }
  const window = meta.model?.architecture === 'gpt' ? meta.training?.seqLength : undefined;
  const count = req.count ?? 1;
  // The request's seed, or a fresh one for a request that came without (never a fixed default).
  const rngSeed = Number.isInteger(req.rngSeed) ? req.rngSeed : freshRngSeed();
  const names = tuneConstraintsOf(req, encoding);
  const tune = names.length ? new TuneConstraints(encoding.tokens, { bos: encoding.bos, eos: encoding.eos }, prime, count, { constraints: names }) : null;
  // With bar-fill on, the tune constraints keep the bars (the grammar's own bar clock is the older,
  // looser rule: it lets any short bar stand before a repeat sign).
  const grammar = req.grammar === false ? null : abcGrammar(encoding, prime, count, { limit: req.length ?? 512, meter: !names.includes('bar-fill') });
  if (grammar) mask = grammar.mask.bind(grammar);
  if (tune) {
    // Composed after the grammar: the constraints only narrow what the grammar allows, and leave
    // the grammar's row when they would leave nothing (the grammar can always close the tune).
    const before = mask;
    mask = (v, i, probs) => {
      before?.(v, i, probs);
      tune.mask(v, probs);
    };
  }
  const streamer = events.onNote ? new NoteStreamer(encoding, prime, count, events.onNote) : undefined;
  const takes = await sample(createStepModel(model, { window }), {
    prime,
    count,
    temperature: req.temperature ?? 1,
    topK: req.topK,
    topP: req.topP,
    maxTokens: req.length ?? 512,
    eos: encoding.eos,
    // Never <s> again, nor <unk> (a word the model does not know is not a word to write).
    forbid: [...(encoding.bos !== encoding.eos ? [encoding.bos] : []), ...(encoding.unk !== undefined ? [encoding.unk] : [])],
    mask,
    rngSeed,
    control,
    onToken: (v, t) => {
      grammar?.push(v, t);
      tune?.push(v, t);
      events.onToken?.(v, t, encoding.tokens[t] ?? '');
      streamer?.push(v, t);
    },
  });
  if (streamer) for (let v = 0; v < count; v++) streamer.flush(v, true);
  return takes.map((t, variation) => {
    const tokens = [...prime, ...t.tokens, ...(t.stop === 'eos' ? [encoding.eos] : [])];
    const decoded = encoding.decode(tokens);
    // Typed ABC the model read as written stays the musician's text in the take (title, pickup,
    // repeats, endings, chord symbols); only the continuation is the model's spelling.
    const kept = primed.text !== undefined ? takeWithSeedAsWritten(encoding, primed.text, prime, tokens) : null;
    // (A take in the model's own spelling gets the repeat starts the reader supplies written out:
    // abc2midi-based players would repeat another stretch; see abc/repeat-starts.ts.)
    const changes = kept && primed.chordSymbols ? primed.changes.map((c) => (/chord symbols? left out/.test(c) ? `${primed.chordSymbols} chord symbol${primed.chordSymbols === 1 ? '' : 's'} kept as written (the model does not read them)` : c)) : primed.changes;
    const warnings = [...changes.map((c) => `seed: ${c}`), ...decoded.warnings];
    if (t.stop === 'length') warnings.push(`the take reached the length limit (${req.length ?? 512} tokens) before the model ended the tune`);
    return { variation, tokens, primeLength: prime.length, abc: kept?.abc ?? (encoding.name === 'abc-token' || encoding.name === 'abc-char' ? writeImpliedRepeatStarts(decoded.abc) : decoded.abc), ...(kept ? { seedChars: kept.seedChars } : {}), sequence: decoded.sequence, warnings, stop: t.stop, rngSeed, ...(tune ? { constraints: { names, fallbacks: tune.fallbacks[variation] } } : {}) };
  });
}
