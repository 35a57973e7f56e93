import { describe, expect, it } from 'vitest';
import { isZeroRange, zeroRuns } from './zero.js';

function runs(buf: Buffer, granule: number): Array<[number, number, boolean]> {
  const out: Array<[number, number, boolean]> = [];
  zeroRuns(buf, granule, (s, e, z) => out.push([s, e, z]));
  return out;
}

describe('zero detection', () => {
  it('treats a granule with data only in its middle as data', () => {
    const buf = Buffer.alloc(3 * 4096);
    buf[4096 + 2000] = 7; // first and last byte of granule 1 are zero
    expect(runs(buf, 4096)).toEqual([
      [0, 4096, true],
      [4096, 8192, false],
      [8192, 12288, true],
    ]);
    expect(isZeroRange(buf, 4096, 8192)).toBe(false);
    expect(isZeroRange(buf, 0, 4096)).toBe(true);
  });

  it('sees data in the first or last byte of a granule', () => {
    const buf = Buffer.alloc(128 * 1024);
    buf[72 * 1024] = 1; // first byte of a granule inside the second 64 KiB block
    buf[128 * 1024 - 1] = 1; // last byte of the buffer
    expect(runs(buf, 4096)).toEqual([
      [0, 72 * 1024, true],
      [72 * 1024, 76 * 1024, false],
      [76 * 1024, 124 * 1024, true],
      [124 * 1024, 128 * 1024, false],
    ]);
  });

  it('reports an all-zero buffer as one zero run and a short last granule by its length', () => {
    expect(runs(Buffer.alloc(10_000), 4096)).toEqual([[0, 10_000, true]]);
    const buf = Buffer.alloc(10_000);
    buf[9_999] = 1;
    expect(runs(buf, 4096)).toEqual([
      [0, 8192, true],
      [8192, 10_000, false],
    ]);
  });
});
