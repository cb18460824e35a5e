/**
 * Takes cut at the length limit: the default model samples `--count` takes of `--length` tokens
 * (no seed, the same RNG seed) with the ABC grammar, once without the wind-down near the limit and
 * once with it (what `seedsong generate` does); each take is checked with abc2midi (an "Error" or
 * "Missing :|" line counts) and abcjs. Prints one line per mode.
 *
 *   npx tsx bench/take-endings.ts [--count 20] [--length 150] [--rng-seed 1]
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../electron/engine/backend';
import { enableFastPath } from '../electron/engine/accelerate';
import { loadModelCached, primeTokens } from '../electron/engine/jobs';
import { createStepModel } from '../electron/engine/step';
import { sample } from '../electron/engine/sample';
import { abcGrammar } from '@shared/music/grammar/abc-grammar';
import { findAbc2midi } from '@shared/music/abc/abc2midi';
import { parseAbc } from '@shared/music/abc/read';

const { values } = parseArgs({ options: { count: { type: 'string', default: '20' }, length: { type: 'string', default: '150' }, 'rng-seed': { type: 'string', default: '1' } } });
const count = Number(values.count);
const length = Number(values.length);
await initBackend();
await enableFastPath();
const { model, encoding } = await loadModelCached(path.resolve(import.meta.dirname, '../resources/models/default'));
const prime = primeTokens(encoding, undefined);
const abc2midi = findAbc2midi();
if (!abc2midi) console.log('bench/take-endings: abc2midi not installed; checking with abcjs only');
const dir = mkdtempSync(path.join(tmpdir(), 'seedsong-endings-'));
try {
  for (const windDown of [false, true]) {
    const grammar = abcGrammar(encoding, prime, count, { limit: windDown ? length : undefined })!;
    const takes = await sample(createStepModel(model), { prime, count, maxTokens: length, eos: encoding.eos, forbid: [encoding.bos], rngSeed: Number(values['rng-seed']), mask: grammar.mask.bind(grammar), onToken: (v, t) => grammar.push(v, t) });
    let missing = 0;
    let errors = 0;
    let abcjs = 0;
    takes.forEach((t, i) => {
      const abc = encoding.decode([...prime, ...t.tokens, ...(t.stop === 'eos' ? [encoding.eos] : [])]).abc;
      const r = parseAbc(abc, { file: 'take' });
      if (r.errors.length || r.tunes.length !== 1) abcjs++;
      if (!abc2midi) return;
      const src = path.join(dir, `${windDown}-${i}.abc`);
      writeFileSync(src, abc);
      const run = spawnSync(abc2midi, [src, '-o', src.replace(/abc$/, 'mid')], { encoding: 'utf8' });
      const out = `${run.stdout}\n${run.stderr}`;
      if (/Missing :\|/.test(out)) missing++;
      if (run.status !== 0 || /^\s*Error\b/m.test(out)) errors++;
    });
    const ended = takes.filter((t) => t.stop === 'eos').length;
    console.log(`${windDown ? 'with the wind-down   ' : 'without the wind-down'}: ${ended} of ${count} takes ended by the model at ${length} tokens; abc2midi "Missing :|" in ${abc2midi ? missing : 'n/a'}, errors in ${abc2midi ? errors : 'n/a'}; abcjs errors in ${abcjs}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
