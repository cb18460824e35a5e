import { describe, expect, it } from 'vitest';
import { peerEnv, peerVerdict, benchPresets } from './bench';

describe('the bench is honest about its PyTorch peer', () => {
  it('compares only with a peer on an optimised BLAS, and says why not otherwise', () => {
    expect(peerVerdict({ torch_blas_kind: 'openblas', torch_blas: 'openblas (...)' })).toEqual({ comparable: true, reason: null });
    const ref = peerVerdict({ torch_blas_kind: 'reference', torch_blas: 'reference (built BLAS_INFO=generic; loaded /usr/lib/x86_64-linux-gnu/blas/libblas.so.3)' });
    expect(ref.comparable).toBe(false);
    expect(ref.reason).toMatch(/reference BLAS .*libblas\.so\.3.*no ratio.*libopenblas0-pthread/);
    expect(peerVerdict({}).comparable).toBe(false);
  });

  it('runs the peer without OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE, leaving this process alone', () => {
    const base = { PATH: '/usr/bin', OPENBLAS_CORETYPE: 'Haswell', OPENBLAS_L2_SIZE: '262144', HOME: '/h' };
    const env = peerEnv(base);
    expect(env.OPENBLAS_CORETYPE).toBeUndefined();
    expect(env.OPENBLAS_L2_SIZE).toBeUndefined();
    expect(env.PATH).toBe('/usr/bin');
    expect(env.OPENBLAS_NUM_THREADS).toBe('1');
    expect(base.OPENBLAS_CORETYPE).toBe('Haswell');
  });

  it('knows the GPT preset as well as the LSTM ones', () => {
    const names = benchPresets().map((p) => p.name);
    expect(names).toContain('abc-token-gpt');
    expect(names).toContain('melody-rnn');
  });
});
