import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pageAlignedBuffer } from './aligned.js';
import { FileSink } from './sink.js';

describe('FileSink', () => {
  let dir: string;
  let file: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'ecsimg-sink-'));
    file = path.join(dir, 'out');
  });
  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('writes whole sectors of page-aligned memory with O_DIRECT when asked to', async () => {
    const block = crypto.randomFillSync(pageAlignedBuffer(1024 * 1024));
    const sink = await FileSink.create(file, { direct: true });
    await sink.writeAt(block, 0);
    await sink.writeAt(block.subarray(4096, 8192), 3 * 1024 * 1024 + 512);
    await sink.close();

    expect(sink.directBytes).toBe(1024 * 1024 + 4096);
    const written = await fs.readFile(file);
    expect(written.subarray(0, 1024 * 1024).equals(block)).toBe(true);
    expect(written.subarray(3 * 1024 * 1024 + 512).equals(block.subarray(4096, 8192))).toBe(true);
  });

  it('sends unaligned memory, positions and lengths through the page cache', async () => {
    const unaligned = crypto.randomBytes(8192 + 16).subarray(16); // not on a page boundary
    const aligned = crypto.randomFillSync(pageAlignedBuffer(65536));
    const sink = await FileSink.create(file, { direct: true });
    await sink.writeAt(unaligned, 0);
    await sink.writeAt(aligned.subarray(0, 1000), 100_000); // length not whole sectors
    await sink.writeAt(aligned.subarray(0, 4096), 200_000 + 7); // position not a sector
    await sink.close();

    expect(sink.directBytes).toBe(0);
    const written = await fs.readFile(file);
    expect(written.subarray(0, 8192).equals(unaligned)).toBe(true);
    expect(written.subarray(100_000, 101_000).equals(aligned.subarray(0, 1000))).toBe(true);
    expect(written.subarray(200_007, 204_103).equals(aligned.subarray(0, 4096))).toBe(true);
  });

  it('never uses O_DIRECT unless asked', async () => {
    const sink = await FileSink.create(file);
    await sink.writeAt(pageAlignedBuffer(65536).fill(7), 0);
    await sink.close();
    expect(sink.directBytes).toBe(0);
    expect((await fs.readFile(file)).equals(Buffer.alloc(65536, 7))).toBe(true);
  });
});
