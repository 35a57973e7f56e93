import { describe, expect, it } from 'vitest';
import { ResponseCache, withRequestId } from './response-cache.js';

describe('ResponseCache', () => {
  it('answers only while the stamp is unchanged', () => {
    const cache = new ResponseCache(1 << 20);
    expect(cache.set('k', 1, '{"A":1}').toString()).toBe('"A":1}');
    expect(cache.get('k', 1)?.toString()).toBe('"A":1}');
    expect(cache.get('k', 2)).toBeUndefined();
    // A stale entry is dropped, not kept for the old stamp.
    expect(cache.get('k', 1)).toBeUndefined();
    expect(cache.hits).toBe(1);
    expect(cache.misses).toBe(2);
  });

  it('stays within its byte budget, dropping the least recently used first', () => {
    const json = `{"X":"${'x'.repeat(1000)}"}`;
    const cache = new ResponseCache(10_000); // room for about nine such answers
    for (let i = 0; i < 9; i++) cache.set(`k${i}`, 0, json);
    expect(cache.get('k0', 0)?.toString()).toBe(json.slice(1)); // now the most recently used
    for (let i = 9; i < 20; i++) cache.set(`k${i}`, 0, json);
    expect(cache.size).toBeLessThanOrEqual(9);
    expect(cache.get('k1', 0)).toBeUndefined();
    expect(cache.get('k19', 0)?.toString()).toBe(json.slice(1));
  });

  it('keeps no answer larger than an eighth of the budget', () => {
    const cache = new ResponseCache(4000);
    cache.set('big', 0, `{"X":"${'x'.repeat(1000)}"}`);
    expect(cache.size).toBe(0);
  });

  it('puts the RequestId first', () => {
    const whole = (requestId: string, json: string) => {
      const cache = new ResponseCache(1 << 20);
      return Buffer.concat(withRequestId(requestId, cache.set('k', 0, json))).toString();
    };
    expect(JSON.parse(whole('R1', '{"A":1,"B":[2],"C":"中文"}'))).toEqual({
      RequestId: 'R1',
      A: 1,
      B: [2],
      C: '中文',
    });
    expect(whole('R1', '{"A":1}').startsWith('{"RequestId":"R1",')).toBe(true);
    expect(JSON.parse(whole('R2', '{}'))).toEqual({ RequestId: 'R2' });
  });
});
