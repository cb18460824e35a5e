/**
 * Vocabularies for tests. The version-1 abc-token spec of the default model shipped until the
 * version-2 retrain (issue #14 item 3): 320 tokens, no `version` field, no `<unk>`; kept as a
 * fixture so reading version-1 specs (every model trained before version 2) stays tested now that
 * the default model is version 2. And the default model's own spec, whatever version it is.
 * Node-only (tests and benches); never imported by index.ts.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EncodingSpec } from '../encodings/index';

/** The old default model's encoding spec, exactly as its seedsong.json held it. */
export function abcTokenV1Spec(): EncodingSpec {
  return (JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'abc-token-v1-default.json'), 'utf8')) as { encoding: EncodingSpec }).encoding;
}

/** The shipped default model's encoding spec (resources/models/default/seedsong.json). */
export function defaultModelSpec(): EncodingSpec {
  return (JSON.parse(readFileSync(join(import.meta.dirname, '../../../resources/models/default/seedsong.json'), 'utf8')) as { encoding: EncodingSpec }).encoding;
}
