import {
  closeSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferSource, openFileSource } from '../source.js';
import { findDataRanges } from './data-ranges.js';
import { RawReader } from './raw-reader.js';

const MiB = 1024 * 1024;

describe('data ranges of sparse files', () => {
  let dir: string;
  let path: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ecsimg-ranges-'));
    path = join(dir, 'sparse.raw');
    const fd = openSync(path, 'w');
    ftruncateSync(fd, 64 * MiB);
    writeSync(fd, Buffer.alloc(MiB, 0x11), 0, MiB, 10 * MiB);
    writeSync(fd, Buffer.alloc(4096, 0x22), 0, 4096, 40 * MiB + 512);
    closeSync(fd);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('lists ranges that cover every byte of data and skip the holes', async () => {
    const ranges = await findDataRanges(path, 64 * MiB);
    // perl is an essential package here; where it is missing the reader scans everything.
    expect(ranges).toBeDefined();
    const covered = (at: number) => ranges!.some(([s, e]) => s <= at && at < e);
    expect(covered(10 * MiB)).toBe(true);
    expect(covered(11 * MiB - 1)).toBe(true);
    expect(covered(40 * MiB + 512)).toBe(true);
    const total = ranges!.reduce((sum, [s, e]) => sum + e - s, 0);
    expect(total).toBeLessThan(8 * MiB);
  });

  it('gives the same extents as a full scan', async () => {
    const collect = async (reader: RawReader) => {
      const out = [];
      for await (const e of reader.extents())
        out.push({ offset: e.offset, length: e.length, zero: e.zero });
      return out;
    };
    const file = await openFileSource(path);
    const viaHoles = await collect(new RawReader(file, 'raw', file.size));
    const scanned = await collect(new RawReader(bufferSource(readFileSync(path)), 'raw', 64 * MiB));
    expect(viaHoles).toEqual(scanned);
    await file.close();
  });

  it('returns undefined (scan everything) when perl cannot be started', async () => {
    const ranges = await findDataRanges(path, 64 * MiB, { perl: join(dir, 'no-such-perl') });
    expect(ranges).toBeUndefined();
  });

  it('returns undefined (scan everything) for a missing file', async () => {
    expect(await findDataRanges(join(dir, 'missing'), 10)).toBeUndefined();
  });
});
