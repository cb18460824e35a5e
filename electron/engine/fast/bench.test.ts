import { describe, expect, it } from 'vitest';
import { PRESETS } from '../hyperparameters';
import { peerEnv, peerVerdict, benchPresets, describePreset, peerModelArgs } from './bench';

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

  it('says what each preset measures, and gives the peer the same dropout', () => {
    const preset = (n: string) => PRESETS.find((p) => p.name === n)!;
    const lstm = describePreset(preset('abc-token-lstm'), 200, 6e6);
    expect(lstm.model).toBe('Embedding 256 -> LSTM 512 -> 512 -> 512 -> Dense 200, dropout 0.5 (on each LSTM input, one mask per window)');
    // 2 x 4u(in + u) per layer + 2 u V: (3.15 + 4.19 + 4.19 + 0.2) M
    expect(lstm.forward_mflops_per_token).toBeCloseTo(11.73, 1);
    expect(lstm.note).toBeUndefined();
    expect(describePreset(preset('keras-stateful'), 96, 1e6).note).toMatch(/stateful.*tfjs/);
    expect(peerModelArgs(preset('abc-token-lstm'), 200).join(' ')).toContain('--dropout 0.5 --placement input');
    expect(peerModelArgs(preset('keras-stateful'), 96).join(' ')).toContain('--dropout 0.2 --placement output');
    expect(describePreset(preset('abc-token-gpt'), 200, 1e6).model).toMatch(/4 blocks \(width 128, 4 heads, MLP 512\)/);
  });
});
