import { describe, expect, it } from 'vitest';
import { MAX_CLOCK_SKEW_MS, NonceCache } from './signatures.js';

describe('NonceCache', () => {
  it('refuses a nonce seen within the window and accepts it again after the window', () => {
    const cache = new NonceCache();
    expect(cache.remember('ak', 'n1', 0)).toBe(true);
    expect(cache.remember('ak', 'n1', MAX_CLOCK_SKEW_MS)).toBe(false);
    expect(cache.remember('ak', 'n1', 2 * MAX_CLOCK_SKEW_MS + 1)).toBe(true);
  });

  it('lets nonces expire one by one, each after its own window', () => {
    const cache = new NonceCache();
    const window = 2 * MAX_CLOCK_SKEW_MS;
    cache.remember('ak', 'early', 0);
    cache.remember('ak', 'later', 10);
    expect(cache.remember('ak', 'probe', window + 5)).toBe(true);
    expect(cache.size).toBe(2); // `early` left, `later` and `probe` remain
    expect(cache.remember('ak', 'later', window + 5)).toBe(false);
    expect(cache.remember('ak', 'later', window + 11)).toBe(true);
    expect(cache.remember('ak', 'early', window + 11)).toBe(true);
  });

  it('keeps nonces of different AccessKeys apart', () => {
    const cache = new NonceCache();
    expect(cache.remember('ak1', 'n', 0)).toBe(true);
    expect(cache.remember('ak2', 'n', 0)).toBe(true);
  });

  it('forgets expired nonces and never holds more than its bound', () => {
    const cache = new NonceCache(100);
    for (let i = 0; i < 1000; i++) cache.remember('ak', `n${i}`, i);
    expect(cache.size).toBeLessThanOrEqual(100);
    // The newest are still remembered.
    expect(cache.remember('ak', 'n999', 1000)).toBe(false);

    cache.remember('ak', 'late', 3 * MAX_CLOCK_SKEW_MS);
    expect(cache.size).toBe(1);
  });
});
