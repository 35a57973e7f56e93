import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FsChunkStore } from '../../src/blobs/fs/chunk-store.js';
import { sharedBlock } from '../../src/blobs/hash-pool.js';

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

/** Leftovers of writers in the store's temporary folder. */
async function temporaryFiles(root: string): Promise<string[]> {
  return fs.readdir(path.join(root, '.tmp')).catch(() => []);
}

describe('filesystem chunk store writes', () => {
  let root: string;

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'ecsimg-direct-'));
  });
  afterEach(async () => {
    await fs.rm(root, { recursive: true, force: true });
  });

  it('writes a page-aligned shared block with O_DIRECT and reads the same bytes back', async () => {
    const store = new FsChunkStore(root);
    const block = sharedBlock(4 * 1024 * 1024);
    crypto.randomFillSync(block);

    const { address, written } = await store.put(block);

    expect(written).toBe(true);
    expect(address).toBe(sha256(block));
    expect(store.writes).toEqual({ direct: 1, buffered: 0 });
    expect(sha256(await store.get(address))).toBe(address);
    expect(await temporaryFiles(root)).toEqual([]);
  });

  it('falls back to the page cache for memory that is not page-aligned', async () => {
    const store = new FsChunkStore(root);
    // A view 512 bytes into a buffer: whole pages long, but not on a page boundary.
    const data = crypto.randomBytes(64 * 1024 + 512).subarray(512);

    const { address } = await store.put(data);

    expect(store.writes).toEqual({ direct: 0, buffered: 1 });
    expect((await store.get(address)).equals(data)).toBe(true);
    expect(await temporaryFiles(root)).toEqual([]);
  });

  it('writes a chunk that is not whole pages through the page cache', async () => {
    const store = new FsChunkStore(root);
    const block = sharedBlock(8192).subarray(0, 5000);
    crypto.randomFillSync(block);

    const { address } = await store.put(block);

    expect(store.writes).toEqual({ direct: 0, buffered: 1 });
    expect((await store.get(address)).equals(block)).toBe(true);
  });

  it('writes through the page cache when direct I/O is turned off', async () => {
    const store = new FsChunkStore(root, { directIo: false });
    const block = sharedBlock(65536);
    crypto.randomFillSync(block);

    await store.put(block);

    expect(store.writes).toEqual({ direct: 0, buffered: 1 });
  });

  it('reads chunks back with O_DIRECT into aligned buffers, odd lengths included', async () => {
    const store = new FsChunkStore(root);
    const whole = sharedBlock(4 * 1024 * 1024);
    crypto.randomFillSync(whole);
    const odd = crypto.randomBytes(5000);
    const a = await store.put(whole);
    const b = await store.put(odd);

    const into = sharedBlock(4 * 1024 * 1024);
    expect((await store.get(a.address, { into })).equals(whole)).toBe(true);
    const short = await store.get(b.address, { into });
    expect(short.length).toBe(5000);
    expect(short.equals(odd)).toBe(true);
    // Unaligned memory falls back to an ordinary read.
    const unaligned = Buffer.alloc(8192 + 16).subarray(16);
    expect((await store.get(b.address, { into: unaligned })).equals(odd)).toBe(true);
    await expect(store.get('f'.repeat(64), { into })).rejects.toMatchObject({
      code: 'CHUNK_NOT_FOUND',
    });
  });
});
