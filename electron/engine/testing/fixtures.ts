/** Small hand-written test material (not from the corpora). */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const TINY_ABC = `X:1
T:Test Jig One
M:6/8
L:1/8
K:D
DFA dfa|gfe dcB|AFD DFA|BAG FED:|
|:dfa afd|gbg ege|fdf ecA|dAF D3:|

X:2
T:Test Reel Two
M:4/4
L:1/8
K:G
GABc dedB|dedB dBAG|FGAB cBAG|FAGF D4:|
|:gfga gdBd|gfga g2fg|edef gfed|BAGF G4:|

X:3
T:Test Jig Three
M:6/8
L:1/8
K:D
ABA AFD|GBG GFE|FAA AFD|EDE FDB,:|
|:ABA Adc|BAG FED|FAA ABd|edB AFD:|

X:4
T:Test Polka Four
M:2/4
L:1/8
K:A
AB cA|Bc dB|ce ec|BA AB|
cd ec|Bc dB|ce fe|A2 A2|]
`;

export async function tempDir(prefix = 'seedsong-engine-'): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function writeTinyCorpus(dir: string): Promise<string> {
  const file = path.join(dir, 'tiny.abc');
  await fs.writeFile(file, TINY_ABC);
  return file;
}

/** Overrides that make any preset tiny and fast. */
export const TINY = {
  model: { units: [24], embeddingSize: 12, dropout: 0, recurrentDropout: 0 },
  training: { seqLength: 24, batchSize: 4, learningRate: 0.01, epochs: 2 },
};
