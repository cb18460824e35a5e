/**
 * Test material for the PyTorch trainer: a small synthetic corpus (token ids from a seeded Markov
 * chain, so a model has something to learn in a few batches) and the two tiny recipes the tests
 * train. `npx tsx engine-torch/testing/make-fixtures.ts` writes them as job folders under
 * engine-torch/tests/fixtures/ for the Python tests; a Vitest spec checks those are current.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Rng } from '../../electron/engine/rng';
import type { TokenData } from '../../electron/engine/data';
import type { HyperparameterOverrides } from '../../electron/engine/hyperparameters';
import type { EncodingSpec } from '@shared/music/encodings/index';
import { writeTorchJob, JOB_DIR, JOB_FILE, type JobFile } from '../job';

/** An abc-char vocabulary (bos, eos, 18 characters): the trainer only sees its size. */
export const SYNTH_ENCODING: EncodingSpec = { name: 'abc-char', tokens: ['<s>', '</s>', ...'abcdefghijklmnopqr'] };

export function synthCorpus(seed = 11): TokenData {
  const V = SYNTH_ENCODING.tokens.length;
  const rng = new Rng(seed);
  const tune = (n: number) => {
    const t = [0];
    let s = 2;
    for (let i = 0; i < n; i++) {
      s = rng.next() < 0.7 ? 2 + ((s - 2 + 3) % (V - 2)) : 2 + rng.int(V - 2);
      t.push(s);
    }
    t.push(1);
    return t;
  };
  return { train: Array.from({ length: 24 }, () => tune(40 + rng.int(30))), validation: Array.from({ length: 4 }, () => tune(50)), vocabSize: V };
}

export const RECIPES: Record<'lstm' | 'gpt', { preset: string; overrides: HyperparameterOverrides }> = {
  lstm: {
    preset: 'abc-token-lstm',
    overrides: { model: { units: [16, 12], embeddingSize: 8, dropout: 0.2 }, training: { seqLength: 16, batchSize: 8, learningRate: 0.01, epochs: 3, clipNorm: 1, warmupSteps: 3, lrDecay: 0.9, patience: 0 } },
  },
  gpt: {
    preset: 'abc-token-gpt',
    overrides: { model: { embeddingSize: 16, layers: 2, heads: 2, contextLength: 32, dropout: 0.1 }, training: { seqLength: 16, batchSize: 8, learningRate: 0.005, epochs: 3, warmupSteps: 5, patience: 0 } },
  },
};

/** A recipe without dropout: the engines draw different masks, so only this can match step by step. */
export function withoutDropout(r: (typeof RECIPES)['lstm']): (typeof RECIPES)['lstm'] {
  return { preset: r.preset, overrides: { ...r.overrides, model: { ...r.overrides.model, dropout: 0 } } };
}

export const FIXTURE_CREATED_AT = '2026-01-01T00:00:00.000Z';

/**
 * Writes a recipe's job as a test fixture into `dir` (job.json, ids, initial/): the trainer's code
 * is left out (the tests import it from engine-torch/) and the date is fixed, so the files only
 * change when the job format or the engine's initial weights do.
 */
export async function writeFixtureJob(kind: 'lstm' | 'gpt', dir: string): Promise<void> {
  await fs.mkdir(path.dirname(dir), { recursive: true });
  const scratch = await fs.mkdtemp(path.join(path.dirname(dir), `.${path.basename(dir)}-`));
  try {
    const r = RECIPES[kind];
    const job = await writeTorchJob({ preset: r.preset, overrides: r.overrides, tokens: { data: synthCorpus(), encoding: SYNTH_ENCODING }, out: path.join(scratch, 'model'), name: `fixture-${kind}` });
    const doc = JSON.parse(await fs.readFile(path.join(job.jobDir, JOB_FILE), 'utf8')) as JobFile;
    doc.createdAt = FIXTURE_CREATED_AT;
    await fs.writeFile(path.join(job.jobDir, JOB_FILE), JSON.stringify(doc, null, 2) + '\n');
    for (const extra of ['seedsong_torch', 'train.py', 'torchrun.py']) await fs.rm(path.join(job.jobDir, extra), { recursive: true, force: true });
    await fs.rm(dir, { recursive: true, force: true });
    await fs.rename(path.join(scratch, 'model', JOB_DIR), dir);
  } finally {
    await fs.rm(scratch, { recursive: true, force: true });
  }
}
