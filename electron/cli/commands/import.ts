/**
 * `seedsong import SRC --out DIR [--vocab FILE] [--encoding NAME] [--name NAME]`: a Keras model
 * converted with tensorflowjs_converter (model.json + weight shards) becomes a Seedsong model
 * folder that `generate`, `eval` and the studio can use. The vocabulary must come with it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { CommandError, UsageError, parseCommandArgs, type CliCommand } from '../command';
import { bootEngine } from '../../engine/boot';
import { EngineError } from '../../engine/errors';
import { ENCODING_NAMES, isEncodingName } from '@shared/music/encodings/index';

const usage = `Usage: seedsong import SRC --out DIR [--vocab FILE] [--encoding NAME] [--name NAME]

Imports a converted Keras / TensorFlow.js LayersModel: SRC is its folder (or its model.json).
The model must map token ids to next-token probabilities; its vocabulary is read from
seedsong.json, vocab.json, vocabulary.json, tokens.json, char_to_index.json or char2idx.json
beside model.json, or from --vocab. A vocabulary is one of:
  {"name": ENCODING, "tokens": [...]}   tokens in id order (abc-char/abc-token: "<s>", "</s>" first)
  ["a", "b", ...]                       tokens in id order; single characters are read as abc-char,
                                        anything else needs --encoding
  {"a": 0, "b": 1, ...}                 a character-to-id table, as a Keras char-RNN saves it
A plain character vocabulary (ids 0..V-1 are characters, no "<s>"/"</s>": a Keras model trained on
one joined text) is accepted: Seedsong puts "<s>" and "</s>" in front (ids move up by 2; the
Embedding gains two rows, "<s>" read as a newline; the output two columns it never predicts, so a
take ends at its length) and drops a stateful model's fixed batch shape.

Options:
  --out DIR         the new model folder (must not exist)
  --vocab FILE      the vocabulary, when it is not beside model.json
  --encoding NAME   how to read the tokens: ${ENCODING_NAMES.join(' | ')} (when the vocabulary does not say)
  --name NAME       the model's name in the library (default: the folder name)`;

export const command: CliCommand = {
  name: 'import',
  summary: 'import a converted Keras/TensorFlow.js model: import SRC --out DIR',
  usage,
  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, {
      out: { type: 'string' },
      vocab: { type: 'string' },
      encoding: { type: 'string' },
      name: { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError('import needs one model folder (or model.json): seedsong import SRC --out DIR');
    if (!values.out) throw new UsageError('--out DIR is required (the new model folder)');
    if (values.encoding !== undefined && !isEncodingName(values.encoding)) throw new UsageError(`--encoding must be one of ${ENCODING_NAMES.join(', ')}`);
    const src = path.resolve(io.cwd, positionals[0]!);
    const out = path.resolve(io.cwd, values.out);
    if (!fs.existsSync(src)) throw new CommandError(`${positionals[0]}: no such folder or file`);
    if (fs.existsSync(out)) throw new CommandError(`${values.out} already exists; choose a new folder for the imported model`);
    try {
      await bootEngine({ env: io.env });
      const { importLayersModel } = await import('../../engine/import');
      const meta = await importLayersModel(src, out, { vocab: values.vocab && path.resolve(io.cwd, values.vocab), encoding: values.encoding, name: values.name });
      io.out(`${values.out}: imported "${meta.name}" (${meta.encoding.name}, ${meta.encoding.tokens.length} tokens)`);
      return 0;
    } catch (e) {
      if (e instanceof EngineError) throw new CommandError(e.message);
      throw e;
    }
  },
};
