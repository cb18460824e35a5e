import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { initBackend } from './backend';
import { buildModel } from './model';
import { createStepModel } from './step';
import { TfjsBatchStepper } from './train';
import { checkWithAbc2midi, countsOf, isAabb, measureTune, scoreTunes, sectionsOf, totalVariation, wrongLengthBars } from './quality';
import { findAbc2midi } from '@shared/music/abc/abc2midi';
import type { TrainingConfig } from './hyperparameters';

const JIG = `X:1
T:Test Jig
M:6/8
L:1/8
K:D
A|DFA dfa|gfe dcB|AFD DFA|BAG FED|DFA dfa|gfe dcB|AFD GFE|D3 D2:|
|:f|afd dfa|gbg ege|fdf ecA|dAF D2f|afd dfa|gbg ege|fdf ecA|1 dAF D2:|2 dAF D3|]
`;

describe('form measures', () => {
  it('counts the bars of each section: a pickup counts, a second ending does not', () => {
    expect(sectionsOf(JIG)).toEqual([9, 9]); // pickup + 8, and pickup + 7 + the first ending
    expect(isAabb(sectionsOf(JIG))).toBe(true);
    expect(sectionsOf('X:1\nM:4/4\nL:1/8\nK:G\nGABc dedB|dedB dBAG|FGAB cBAG|FAGF D4|]\n')).toEqual([4]);
    expect(isAabb([16])).toBe(false);
    expect(isAabb([8, 12])).toBe(false);
  });

  it('reads the header, the mode and whether the tune ends on its tonic', () => {
    const m = measureTune(JIG);
    expect(m).toMatchObject({ hasMeter: true, hasKey: true, meter: '6/8', key: 'D', mode: 'major', tonicEnding: true, aabb: true });
    const e = measureTune('X:1\nM:C\nL:1/8\nK:Ador\nABcd efge|dcBA GABc|ABcd efge|dcBG A4|]\n');
    expect(e).toMatchObject({ meter: '4/4', key: 'Ador', mode: 'dorian', tonicEnding: true });
    expect(measureTune('X:1\nL:1/8\nK:G\nGABc dedB|dedB dBAB|]\n')).toMatchObject({ hasMeter: false, tonicEnding: false });
  });

  it('total-variation distance: 0 for the same shares, 1 for disjoint ones', () => {
    expect(totalVariation(countsOf(['D', 'G', 'D']), countsOf(['G', 'D', 'D', 'D', 'G', 'D']))).toBeCloseTo(0, 9);
    expect(totalVariation(countsOf(['D']), countsOf(['G']))).toBe(1);
    expect(totalVariation(countsOf(['D', 'G']), countsOf(['D', 'D']))).toBeCloseTo(0.5, 9);
  });
});

const abc2midi = findAbc2midi();
if (!abc2midi) console.log('quality.test: abc2midi is not installed (apt-get install abcmidi): the wrong-length bar test is skipped');

describe.skipIf(!abc2midi)('wrong-length bars (abc2midi)', () => {
  it('leaves out the pickup and the last bar, and counts a bar once whether warned in or outside a repeat', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'seedsong-quality-test-'));
    try {
      expect(wrongLengthBars(JIG, checkWithAbc2midi(abc2midi!, JIG, dir, 0).barLength)).toEqual({ bars: 0, outsideRepeats: 0 });
      // Bar 2 is one unit short; the repeat plays it again ("in repeat"); the last bar is short too.
      const short = 'X:1\nM:6/8\nL:1/8\nK:D\n|:DFA dfa|gfe dc|AFD DFA|BAG FED:|\nDFA dfa|gfe dcB|AFD DFA|D3|]\n';
      const r = checkWithAbc2midi(abc2midi!, short, dir, 1);
      expect(r.barLength.some((w) => w.inRepeat)).toBe(true);
      expect(wrongLengthBars(short, r.barLength)).toEqual({ bars: 1, outsideRepeats: 1 });
      // Wrong only when the repeat is played: counted, though not outside repeats.
      const inRepeatOnly = r.barLength.filter((w) => w.inRepeat);
      expect(wrongLengthBars(short, inRepeatOnly)).toEqual({ bars: 1, outsideRepeats: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('held-out cross-entropy', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('from a fresh state equals the training loss of the whole tune; carried state counts every tune but the first of each row', () => {
    const model = buildModel({ architecture: 'lstm', vocabSize: 7, embeddingSize: 8, units: [16], dropout: 0, recurrentDropout: 0, layers: 1, heads: 0, contextLength: 0 }, 4);
    const tune = [0, 2, 3, 4, 5, 6, 4, 3, 2, 1];
    const step = createStepModel(model, { tfjsOnly: true });
    const fresh = scoreTunes(step, [tune], { state: 'fresh', firstPositions: 4 });
    expect(fresh.tokens).toBe(9);
    expect(fresh.early.tokens).toBe(4);
    const cfg = { seqLength: 9, batchSize: 1, optimizer: 'adam', clipNorm: 0, loss: 'all', seed: 1 } as TrainingConfig;
    const stepper = new TfjsBatchStepper(model, cfg);
    expect(fresh.nats / fresh.tokens).toBeCloseTo(stepper.evaluateBatch(Int32Array.from(tune.slice(0, 9)), Int32Array.from(tune.slice(1)), 1, 9).loss, 4);
    const carried = scoreTunes(step, [tune, tune, tune, tune, tune, tune, tune, tune], { state: 'carried', rows: 2 });
    expect(carried.tokens).toBe(6 * 9);
    stepper.dispose();
    step.dispose();
    model.dispose();
  });
});
