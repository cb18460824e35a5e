/**
 * Smoke runs of every preset's training recipe on a slice of the corpus it was written for: its
 * loss must fall (below where it started and below a uniform guess) and never blow up on the way.
 *
 * Everything of the recipe is kept (encoding, batch size, window, optimizer, learning rate and
 * schedule, warm-up, clipping, dropout and its placement, stateful rows) except the width: the
 * layers are 1/8 as wide (GPT: 1/4). The suite runs 40 batches per preset; the 200-batch
 * run is SEEDSONG_PRESET_STEPS=200 (measured on 2 shared cores at load 11-14: the five LSTM
 * presets 7.5 minutes, abc-token-gpt alone over 10 minutes; figures in electron/engine/README.md).
 * abc-token-gpt warms its learning rate up over 200 batches, so 40 say nothing about it, and its
 * tfjs attention costs 1-8 s a batch here: it runs only in the 200-batch run, and says so.
 */
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { initBackend } from './backend';
import { enableFastPath } from './accelerate';
import { buildModel } from './model';
import { train } from './train';
import { PRESETS, modelSpecFor, type Preset } from './hyperparameters';
import { encodeCorpus, loadTunes } from './corpus';

const CORPORA = path.resolve(import.meta.dirname, '../../../shared/corpora');
const STEPS = Number(process.env.SEEDSONG_PRESET_STEPS ?? 40);
const TAIL = Math.max(5, Math.round(STEPS / 10));

/** The corpus each recipe was written for, as a small slice (tunes, or .mid files). */
function corpusOf(p: Preset): { paths: string[]; tunes: number } {
  const nottingham = path.join(CORPORA, 'abc_nottingham');
  switch (p.name) {
    case 'mit-char-abc':
      return { paths: [path.join(CORPORA, 'abc_mit_6s191_irish')], tunes: 60 };
    case 'keras-stateful':
      return { paths: [path.join(nottingham, 'ABC_cleaned/jigs.abc'), path.join(nottingham, 'ABC_cleaned/hpps.abc')], tunes: 60 };
    case 'melody-rnn':
    case 'midi-event-lm': {
      const dir = path.join(nottingham, 'MIDI/melody');
      const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith('jigs')).sort().slice(0, 40).map((f) => path.join(dir, f)) : [dir];
      return { paths: files, tunes: 40 };
    }
    default:
      return { paths: [path.join(CORPORA, 'abc_mit_6s191_irish'), path.join(CORPORA, 'abc_cre_irish/CRE_clean.abc')], tunes: 120 };
  }
}

function narrow(p: Preset): Preset['model'] {
  const m = structuredClone(p.model);
  if (m.architecture === 'gpt') {
    m.embeddingSize = Math.max(m.heads * 8, m.embeddingSize / 4);
  } else {
    m.units = m.units.map((u) => Math.max(16, u / 8));
    m.embeddingSize = Math.max(16, m.embeddingSize / 8);
  }
  return m;
}

const present = existsSync(CORPORA);
if (present && STEPS < 200) console.log(`presets.test: ${STEPS} batches per preset (SEEDSONG_PRESET_STEPS=200 for the full smoke run)`);
if (!present) console.log(`presets.test: skipped, ${CORPORA} is not on this machine (the shared corpora)`);

beforeAll(async () => {
  await initBackend();
  await enableFastPath();
});

describe.skipIf(!present)(`every preset's loss falls over a ${STEPS}-batch run on its corpus`, () => {
  for (const preset of PRESETS) {
    // Over half the run at a fraction of the learning rate says nothing about the recipe's rate.
    const tooShort = preset.training.warmupSteps > 2 * STEPS;
    if (tooShort) console.log(`presets.test: ${preset.name} skipped: its ${preset.training.warmupSteps}-batch warm-up is more than twice ${STEPS} batches (SEEDSONG_PRESET_STEPS=${preset.training.warmupSteps / 2} or more runs it)`);
    it.skipIf(tooShort)(preset.name, async () => {
      const { paths, tunes } = corpusOf(preset);
      const loaded = await loadTunes(paths, { validationFraction: 0, seed: preset.training.seed });
      loaded.tunes = loaded.tunes.slice(0, tunes);
      const c = encodeCorpus(loaded, paths, { encoding: preset.encoding });
      const model = buildModel(modelSpecFor({ ...preset, model: narrow(preset) }, c.encoding.tokens.length), preset.training.seed);
      const losses: number[] = [];
      try {
        await train(model, c.data, { training: { ...preset.training, epochs: 10_000, patience: 0 }, maxSteps: STEPS }, { onBatch: (b) => losses.push(b.loss) });
      } finally {
        model.dispose();
      }
      expect(losses).toHaveLength(STEPS);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const start = mean(losses.slice(0, 5));
      const end = mean(losses.slice(-TAIL));
      const uniform = Math.log(c.encoding.tokens.length);
      console.log(`${preset.name}: loss ${start.toFixed(3)} (first 5) -> ${end.toFixed(3)} (last ${TAIL}), uniform ${uniform.toFixed(3)}, highest ${Math.max(...losses).toFixed(3)}`);
      expect(end).toBeLessThan(start * (STEPS >= 200 ? 0.8 : 0.92));
      expect(end).toBeLessThan(uniform * (STEPS >= 200 ? 0.8 : 0.92));
      // No blow-up on the way: never far above where it started.
      expect(Math.max(...losses)).toBeLessThan(Math.max(start, uniform) * 1.15);
    }, STEPS * 6_000);
  }
});
