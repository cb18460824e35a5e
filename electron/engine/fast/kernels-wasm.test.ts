import { describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { KERNELS_WASM_BASE64 } from './kernels-wasm';

const here = resolve(__dirname);

/** Why a fresh build cannot be made here, or null. */
function noCompiler(): string | null {
  const clang = spawnSync('clang', ['--version'], { encoding: 'utf8' });
  if (clang.error || clang.status !== 0) return 'clang is not installed (Debian: apt-get install clang lld)';
  const lld = spawnSync('wasm-ld', ['--version'], { encoding: 'utf8' });
  if (lld.error || lld.status !== 0) return 'wasm-ld is not installed (Debian: apt-get install lld)';
  return null;
}

const reason = noCompiler();
if (reason) console.log(`kernels-wasm.test.ts: the fresh-build comparison is skipped: ${reason}`);

describe('the committed kernels', () => {
  it('kernels-wasm.ts holds a WebAssembly module', () => {
    const bytes = Buffer.from(KERNELS_WASM_BASE64, 'base64');
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('\0asm');
    expect(WebAssembly.validate(bytes)).toBe(true);
  });

  it.skipIf(reason !== null)('are what `npm run build:kernels` makes from the C sources now (a changed .c file was rebuilt)', () => {
    const out = mkdtempSync(join(tmpdir(), 'seedsong-kernels-'));
    try {
      execFileSync('sh', [join(here, 'build-kernels.sh'), '--out', out], { stdio: 'pipe' });
      const fresh = readFileSync(join(out, 'kernels.wasm'));
      expect(fresh.equals(Buffer.from(KERNELS_WASM_BASE64, 'base64')), 'kernels-wasm.ts is stale: run npm run build:kernels').toBe(true);
      expect(readFileSync(join(out, 'kernels-wasm.ts'), 'utf8')).toBe(readFileSync(join(here, 'kernels-wasm.ts'), 'utf8'));
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
    // clang -O3 -flto takes ~5 s alone and over a minute at load 16 on 2 cores (timed out at 30 s)
  }, 300_000);
});
