import { describe, expect, it } from 'vitest';
import type { Extent } from '../types.js';
import { clusterize, prefetch } from './extents.js';
import { isZeroRange, zeroRuns } from './zero.js';

async function* from(extents: Extent[]) {
  yield* extents;
}

describe('zero detection', () => {
  it('finds zero and data runs at the granule size and merges neighbours', () => {
    const buf = Buffer.alloc(256 * 1024);
    buf[5000] = 1;
    buf[200 * 1024] = 1;
    const runs: [number, number, boolean][] = [];
    zeroRuns(buf, 4096, (s, e, z) => runs.push([s, e, z]));
    expect(runs).toEqual([
      [0, 4096, true],
      [4096, 8192, false],
      [8192, 200 * 1024, true],
      [200 * 1024, 204 * 1024, false],
      [204 * 1024, 256 * 1024, true],
    ]);
    expect(isZeroRange(buf, 0, 5000)).toBe(true);
    expect(isZeroRange(buf, 0, 5001)).toBe(false);
  });

  it('handles a short last granule', () => {
    const buf = Buffer.alloc(5000);
    buf[4999] = 3;
    const runs: [number, number, boolean][] = [];
    zeroRuns(buf, 4096, (s, e, z) => runs.push([s, e, z]));
    expect(runs).toEqual([
      [0, 4096, true],
      [4096, 5000, false],
    ]);
  });
});

describe('clusterize', () => {
  it('passes whole clusters as views and zero-pads partial ones', async () => {
    const a = Buffer.alloc(3000, 1);
    const b = Buffer.alloc(2048, 2);
    const runs = [];
    for await (const r of clusterize(
      from([
        { offset: 0, length: 1000, zero: true },
        // clusters 0 (partial), 1-2, 3 (partial)
        { offset: 1000, length: 3000, zero: false, data: a },
        { offset: 4000, length: 96, zero: true },
        { offset: 4096, length: 2048, zero: false, data: b }, // clusters 4 and 5 exactly
      ]),
      1024,
    )) {
      runs.push({
        cluster: r.cluster,
        count: r.count,
        first: r.data[0],
        last: r.data[r.data.length - 1],
        len: r.data.length,
      });
    }
    expect(runs).toEqual([
      { cluster: 0, count: 1, first: 0, last: 1, len: 1024 },
      { cluster: 1, count: 2, first: 1, last: 1, len: 2048 }, // a view, not a copy
      { cluster: 3, count: 1, first: 1, last: 0, len: 1024 },
      { cluster: 4, count: 2, first: 2, last: 2, len: 2048 },
    ]);
  });
});

describe('prefetch', () => {
  it('keeps order and at most `depth` producers in flight', async () => {
    let inflight = 0;
    let peak = 0;
    const producers = [5, 1, 3, 0, 2].map((delay, i) => async () => {
      inflight++;
      peak = Math.max(peak, inflight);
      await new Promise((r) => setTimeout(r, delay));
      inflight--;
      return i;
    });
    const out = [];
    for await (const v of prefetch(producers, 2)) out.push(v);
    expect(out).toEqual([0, 1, 2, 3, 4]);
    expect(peak).toBeLessThanOrEqual(2);
  });
});
