// Writes the job folders the Python tests train (engine-torch/tests/fixtures/lstm and gpt).
// Run after changing the job format or the engine's initial weights: npx tsx engine-torch/testing/make-fixtures.ts
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeFixtureJob } from './fixtures';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'tests', 'fixtures');
for (const kind of ['lstm', 'gpt'] as const) {
  await writeFixtureJob(kind, path.join(root, kind));
  console.log(`wrote ${path.join(root, kind)}`);
}
