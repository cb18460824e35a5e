import { describe, expect, it } from 'vitest';
import { takeServeToken } from './studio';

function memoryStorage() {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
}

describe('takeServeToken', () => {
  it('takes the token from the fragment, keeps it for reloads and clears the address bar', () => {
    const storage = memoryStorage();
    let cleared = 0;
    expect(takeServeToken({ hash: '#token=abc-_123' }, storage, () => cleared++)).toBe('abc-_123');
    expect(cleared).toBe(1);
    // A reload: no fragment any more, the token comes from this tab's storage.
    expect(takeServeToken({ hash: '' }, storage, () => cleared++)).toBe('abc-_123');
    expect(cleared).toBe(1);
  });

  it('gives an empty token without fragment or storage (the API then refuses the connection)', () => {
    expect(takeServeToken({ hash: '' }, null, () => {})).toBe('');
    expect(takeServeToken({ hash: '#other=1' }, memoryStorage(), () => {})).toBe('');
  });
});
