import fs from 'node:fs';
import path from 'node:path';
import { defaultModelDir } from '../../studio/paths';
import { CommandError, UsageError, numberFlag, parseCommandArgs, type CliCommand } from '../command';
import { BACKEND_ORDER, type BackendName } from '../../engine/backend';
import { bootEngine } from '../../engine/boot';
import { formatEvaluation, runEvaluation } from '../../engine/evaluate';
import { EngineError } from '../../engine/errors';

const usage = `Usage: seedsong eval [--model DIR] --corpus PATH... [--max-tunes N] [--backend NAME] [--coverage-only] [--json]

Measures how well a model predicts the tunes in PATH... (files or folders): cross-entropy in nats
per token and per note, bits per token, perplexity and next-token accuracy, with the coverage
beside them: tunes given, scored and unreadable, tokens scored, tokens the model's vocabulary
lacks (as <unk>, or left out where the vocabulary has none; never a reason to drop a tune), chord
symbols and annotations removed. Every tune is scored, duplicates too. Exits 1 only when no tune
can be read. --coverage-only: the coverage alone (the model's vocabulary, no scoring; fast).
--json: one JSON object.`;

export const command: CliCommand = {
  name: 'eval',
  summary: 'cross-entropy of a model on some tunes, with coverage (text or --json)',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      model: { type: 'string' },
      corpus: { type: 'string', multiple: true },
      'max-tunes': { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean' },
      'coverage-only': { type: 'boolean' },
    });
    const model = values.model ? path.resolve(io.cwd, values.model) : defaultModelDir();
    if (!values.model && !fs.existsSync(path.join(model, 'seedsong.json'))) {
      throw new UsageError(`--model DIR is required: the built-in default model is missing (${model})`);
    }
    const corpus = [...(values.corpus ?? []), ...positionals].map((p) => path.resolve(io.cwd, p));
    if (!corpus.length) throw new UsageError('--corpus PATH... is required');
    if (values.backend !== undefined && !BACKEND_ORDER.includes(values.backend as BackendName)) throw new UsageError(`--backend must be one of ${BACKEND_ORDER.join(', ')}`);
    const maxTunes = numberFlag('max-tunes', values['max-tunes'], { min: 1, integer: true });
    try {
      const { backend: report, control } = await bootEngine({ backend: values.backend as BackendName | undefined, env: io.env, signal: io.interrupted });
      const r = await runEvaluation({ model, corpus, maxTunes, coverageOnly: !!values['coverage-only'] }, control);
      if (values.json) io.out(JSON.stringify({ ...r, problems: r.problems.length, firstProblem: r.problems[0], backend: report.active }));
      else for (const line of [...formatEvaluation(r), `backend: ${report.active}`]) io.out(line);
      return 0;
    } catch (e) {
      if (e instanceof EngineError) throw new CommandError(e.message);
      throw e;
    }
  },
};
