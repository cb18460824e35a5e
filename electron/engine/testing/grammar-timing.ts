/**
 * Grammar cost: `npx tsx electron/engine/testing/grammar-timing.ts [--count 100] [--rounds 3]`.
 * Samples the default model with the ABC grammar off and on, alternating, same seeds; prints the
 * wall time of each run (the first "on" run fills the grammar's caches) and the time spent inside
 * the mask alone.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { initBackend } from '../backend';
import { enableFastPath } from '../accelerate';
import { loadModelCached, primeTokens } from '../jobs';
import { createStepModel } from '../step';
import { sample } from '../sample';
import { abcGrammar } from '@shared/music/grammar/abc-grammar';

const { values } = parseArgs({ options: { count: { type: 'string', default: '100' }, rounds: { type: 'string', default: '3' }, model: { type: 'string' } } });
const count = Number(values.count);
await initBackend();
await enableFastPath();
const dir = path.resolve(values.model ?? path.join(import.meta.dirname, '../../../resources/models/default'));
const { model, encoding } = await loadModelCached(dir);
const prime = primeTokens(encoding, undefined);
for (let r = 0; r < Number(values.rounds); r++) {
  for (const on of [false, true]) {
    const grammar = on ? abcGrammar(encoding, prime, count) : null;
    let maskMs = 0;
    let steps = 0;
    const t0 = performance.now();
    const takes = await sample(createStepModel(model), {
      prime,
      count,
      maxTokens: 1024,
      eos: encoding.eos,
      forbid: [encoding.bos],
      rngSeed: r + 1,
      mask: grammar
        ? (v, i, p) => {
            const t = performance.now();
            grammar.mask(v, i, p);
            maskMs += performance.now() - t;
            steps++;
          }
        : undefined,
      onToken: (v, t) => grammar?.push(v, t),
    });
    const ms = performance.now() - t0;
    const tokens = takes.reduce((n, t) => n + t.tokens.length, 0);
    console.log(`round ${r + 1} grammar ${on ? 'on ' : 'off'}: ${count} takes, ${tokens} tokens in ${ms.toFixed(0)} ms${on ? `; mask ${maskMs.toFixed(0)} ms over ${steps} calls (${((maskMs / steps) * 1000).toFixed(1)} us each)` : ''}`);
  }
}
