import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Extent, ExtentSource, MapRun } from '../formats/types.js';
import { CHUNK_SIZE_BYTES, ChunkNotFoundError } from './chunk-store.js';
import { FsChunkStore } from './fs/chunk-store.js';
import { ManifestCorruptError, ManifestReader, ManifestWriter, isAllZero } from './manifest.js';

const MiB = 1024 * 1024;

/**
 * A disk given as data runs at offsets (everything else zero), served the way format readers
 * serve extents: data extents at most `maxChunkBytes`, never crossing a multiple of it.
 */
function sparseSource(virtualSize: number, runs: Array<{ offset: number; data: Buffer }>) {
  const sorted = [...runs].sort((a, b) => a.offset - b.offset);
  const source: ExtentSource = {
    virtualSize,
    async *map(): AsyncIterable<MapRun> {
      for await (const e of source.extents())
        yield { offset: e.offset, length: e.length, zero: e.zero };
    },
    async *extents(options = {}): AsyncIterable<Extent> {
      const max = options.maxChunkBytes ?? CHUNK_SIZE_BYTES;
      let pos = 0;
      for (const r of sorted) {
        if (r.offset > pos) yield { offset: pos, length: r.offset - pos, zero: true };
        for (let at = 0; at < r.data.length;) {
          const abs = r.offset + at;
          const stop = Math.min(r.data.length, (Math.floor(abs / max) + 1) * max - r.offset);
          yield { offset: abs, length: stop - at, zero: false, data: r.data.subarray(at, stop) };
          at = stop;
        }
        pos = r.offset + r.data.length;
      }
      if (pos < virtualSize) yield { offset: pos, length: virtualSize - pos, zero: true };
    },
  };
  return source;
}

async function materialize(source: ExtentSource, maxChunkBytes?: number): Promise<Buffer> {
  const out = Buffer.alloc(source.virtualSize);
  let pos = 0;
  for await (const e of source.extents({ maxChunkBytes })) {
    expect(e.offset).toBe(pos);
    if (!e.zero) {
      expect(e.data!.length).toBe(e.length);
      if (maxChunkBytes) {
        expect(Math.floor(e.offset / maxChunkBytes)).toBe(
          Math.floor((e.offset + e.length - 1) / maxChunkBytes),
        );
      }
      e.data!.copy(out, e.offset);
    }
    pos += e.length;
  }
  expect(pos).toBe(source.virtualSize);
  return out;
}

describe('manifests', () => {
  let dir: string;
  let chunks: FsChunkStore;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecsimg-manifest-'));
    chunks = new FsChunkStore(dir, { durable: false });
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('round-trips a disk of odd size with zero blocks between data', async () => {
    const virtualSize = 5 * CHUNK_SIZE_BYTES + 12_345;
    const runs = [
      { offset: 1000, data: crypto.randomBytes(3 * MiB) },
      // Straddles blocks 2 and 3, leaving most of both zero.
      { offset: 3 * CHUNK_SIZE_BYTES - 777, data: crypto.randomBytes(2000) },
      // The short last block.
      { offset: 5 * CHUNK_SIZE_BYTES + 5, data: crypto.randomBytes(12_000) },
    ];
    const source = sparseSource(virtualSize, runs);
    const { manifest, stats } = await new ManifestWriter({ chunks }).write(source);

    expect(manifest.blocks.map((b) => b.index)).toEqual([0, 2, 3, 5]);
    expect(stats).toMatchObject({ dataBlocks: 4, zeroBlocks: 2, chunksWritten: 4 });
    const reader = new ManifestReader(manifest, chunks, { verify: true });
    const original = await materialize(source);
    expect((await materialize(reader)).equals(original)).toBe(true);
    expect((await materialize(reader, MiB)).equals(original)).toBe(true);
    expect((await materialize(reader, 3 * MiB)).equals(original)).toBe(true);

    const map: MapRun[] = [];
    for await (const r of reader.map()) map.push(r);
    expect(map).toEqual([
      { offset: 0, length: CHUNK_SIZE_BYTES, zero: false },
      { offset: CHUNK_SIZE_BYTES, length: CHUNK_SIZE_BYTES, zero: true },
      { offset: 2 * CHUNK_SIZE_BYTES, length: 2 * CHUNK_SIZE_BYTES, zero: false },
      { offset: 4 * CHUNK_SIZE_BYTES, length: CHUNK_SIZE_BYTES, zero: true },
      { offset: 5 * CHUNK_SIZE_BYTES, length: 12_345, zero: false },
    ]);
  });

  it('reads later chunks into the buffers of released extents, and only those', async () => {
    const blocks = Array.from({ length: 8 }, () => crypto.randomBytes(CHUNK_SIZE_BYTES));
    const source = sparseSource(
      blocks.length * CHUNK_SIZE_BYTES,
      blocks.map((data, i) => ({ offset: i * CHUNK_SIZE_BYTES, data })),
    );
    const { manifest } = await new ManifestWriter({ chunks }).write(source);
    const reader = new ManifestReader(manifest, chunks, { readAhead: 1 });

    // Releasing as soon as each extent is copied: buffers come back and are read into again.
    const released = new Set<ArrayBufferLike>();
    let reused = 0;
    let i = 0;
    for await (const e of reader.extents({ maxChunkBytes: MiB })) {
      expect(e.release).toBeTypeOf('function');
      if (released.has(e.data!.buffer)) reused++;
      const block = blocks[Math.floor(e.offset / CHUNK_SIZE_BYTES)];
      const at = e.offset % CHUNK_SIZE_BYTES;
      expect(e.data!.equals(block.subarray(at, at + e.length))).toBe(true);
      // A block's views stay held until its last view: the buffer is not reused meanwhile.
      if (++i % 4 === 0) released.add(e.data!.buffer);
      e.release!();
      e.release!(); // a second call counts once
    }
    expect(reused).toBeGreaterThan(0);

    // Never releasing: every chunk gets a buffer of its own, none is overwritten.
    const kept: Buffer[] = [];
    for await (const e of reader.extents()) kept.push(e.data!);
    expect(new Set(kept.map((b) => b.buffer)).size).toBe(blocks.length);
    kept.forEach((b, k) => expect(b.equals(blocks[k])).toBe(true));
  });

  it('hands every data extent back to its reader once its block is stored or copied', async () => {
    const virtualSize = 4 * CHUNK_SIZE_BYTES;
    const inner = sparseSource(virtualSize, [
      { offset: 0, data: crypto.randomBytes(CHUNK_SIZE_BYTES) }, // kept whole
      { offset: CHUNK_SIZE_BYTES + 10, data: crypto.randomBytes(1000) }, // copied
      { offset: 2 * CHUNK_SIZE_BYTES, data: Buffer.alloc(CHUNK_SIZE_BYTES) }, // all zero
    ]);
    const released = new Map<number, number>();
    const source: ExtentSource = {
      ...inner,
      async *extents(options) {
        for await (const e of inner.extents(options)) {
          if (e.zero) yield e;
          else
            yield {
              ...e,
              release: () => released.set(e.offset, (released.get(e.offset) ?? 0) + 1),
            };
        }
      },
    };
    const { stats } = await new ManifestWriter({ chunks }).write(source);
    expect(stats.dataBlocks).toBe(2);
    expect(Object.fromEntries(released)).toEqual({
      0: 1,
      [CHUNK_SIZE_BYTES + 10]: 1,
      [2 * CHUNK_SIZE_BYTES]: 1,
    });
  });

  it('stores chunks again after its folders were removed behind its back', async () => {
    const [a, b] = [crypto.randomBytes(1000), crypto.randomBytes(1000)];
    await chunks.put(a);
    fs.rmSync(dir, { recursive: true, force: true });
    const { address } = await chunks.put(b);
    expect((await chunks.get(address)).equals(b)).toBe(true);
  });

  it('stores nothing for data that is all zero bytes', async () => {
    const source = sparseSource(3 * CHUNK_SIZE_BYTES + 1, [
      { offset: 0, data: Buffer.alloc(3 * CHUNK_SIZE_BYTES + 1) },
    ]);
    const { manifest, stats } = await new ManifestWriter({ chunks }).write(source);
    expect(manifest.blocks).toEqual([]);
    expect(stats.zeroBlocks).toBe(4);
    const listed = [];
    for await (const c of chunks.list()) listed.push(c);
    expect(listed).toEqual([]);
    expect(isAllZero(await materialize(new ManifestReader(manifest, chunks)))).toBe(true);
  });

  it('writes a 1 GiB virtual disk with little data as a few chunks', async () => {
    const GiB = 1024 * MiB;
    const runs = [
      { offset: 0, data: crypto.randomBytes(512) },
      { offset: 700 * MiB, data: crypto.randomBytes(MiB) },
      { offset: GiB - 4096, data: crypto.randomBytes(4096) },
    ];
    const { manifest, stats } = await new ManifestWriter({ chunks }).write(sparseSource(GiB, runs));
    expect(stats).toMatchObject({ dataBlocks: 3, zeroBlocks: 253, chunksWritten: 3 });
    expect(stats.bytesWritten).toBe(3 * CHUNK_SIZE_BYTES);

    const reader = new ManifestReader(manifest, chunks);
    for await (const e of reader.extents()) {
      if (e.zero) continue;
      const run = runs.find((r) => r.offset >= e.offset && r.offset < e.offset + e.length)!;
      const at = run.offset - e.offset;
      expect(e.data!.subarray(at, at + run.data.length).equals(run.data)).toBe(true);
    }
  });

  it('stores identical blocks once and reports the reuse', async () => {
    const block = crypto.randomBytes(CHUNK_SIZE_BYTES);
    const source = sparseSource(4 * CHUNK_SIZE_BYTES, [
      { offset: 0, data: block },
      { offset: 2 * CHUNK_SIZE_BYTES, data: block },
      { offset: 3 * CHUNK_SIZE_BYTES, data: block },
    ]);
    const { manifest, stats } = await new ManifestWriter({ chunks, concurrency: 1 }).write(source);
    expect(stats).toMatchObject({ dataBlocks: 3, chunksWritten: 1, chunksReused: 2 });
    expect(new Set(manifest.blocks.map((b) => b.address)).size).toBe(1);
  });

  it('syncs the chunk store once, after the last block is stored', async () => {
    const events: string[] = [];
    const watched = Object.assign(Object.create(chunks) as FsChunkStore, {
      put: async (data: Buffer, options?: { address?: string }) => {
        events.push('put');
        return chunks.put(data, options);
      },
      sync: async () => {
        events.push('sync');
      },
    });
    const source = sparseSource(3 * CHUNK_SIZE_BYTES, [
      { offset: 0, data: crypto.randomBytes(3 * CHUNK_SIZE_BYTES) },
    ]);
    await new ManifestWriter({ chunks: watched }).write(source);
    expect(events).toEqual(['put', 'put', 'put', 'sync']);
  });

  it('reports each block before its chunk is stored, and resumes without rewriting', async () => {
    const source = sparseSource(3 * CHUNK_SIZE_BYTES, [
      { offset: 0, data: crypto.randomBytes(2 * CHUNK_SIZE_BYTES + 10) },
    ]);
    const seen: Array<{ index: number; storedAlready: boolean }> = [];
    const first = await new ManifestWriter({
      chunks,
      onBlock: async (b) => {
        seen.push({ index: b.index, storedAlready: await chunks.has(b.address) });
      },
    }).write(source);
    expect(seen.sort((a, b) => a.index - b.index)).toEqual([
      { index: 0, storedAlready: false },
      { index: 1, storedAlready: false },
      { index: 2, storedAlready: false },
    ]);

    const resume = new Map(first.manifest.blocks.map((b) => [b.index, b.address]));
    const again = await new ManifestWriter({ chunks, resume }).write(source);
    expect(again.stats).toMatchObject({ chunksWritten: 0, chunksReused: 3 });
    expect(again.manifest).toEqual(first.manifest);
  });

  it('fails reading a manifest whose chunk is missing or has the wrong length', async () => {
    const source = sparseSource(2 * CHUNK_SIZE_BYTES, [
      { offset: 0, data: crypto.randomBytes(2 * CHUNK_SIZE_BYTES) },
    ]);
    const { manifest } = await new ManifestWriter({ chunks }).write(source);

    await chunks.delete(manifest.blocks[1].address);
    await expect(materialize(new ManifestReader(manifest, chunks))).rejects.toBeInstanceOf(
      ChunkNotFoundError,
    );

    const short = { ...manifest, virtualSize: 2 * CHUNK_SIZE_BYTES - 1 };
    await expect(
      materialize(new ManifestReader({ ...short, blocks: [manifest.blocks[0]] }, chunks)),
    ).resolves.toBeDefined();
    const wrong = { ...manifest, blocks: [{ index: 1, address: manifest.blocks[0].address }] };
    await expect(
      materialize(new ManifestReader({ ...wrong, virtualSize: 2 * CHUNK_SIZE_BYTES - 1 }, chunks)),
    ).rejects.toBeInstanceOf(ManifestCorruptError);
  });

  it('stops on an aborted signal and reports the abort', async () => {
    const controller = new AbortController();
    controller.abort();
    const source = sparseSource(CHUNK_SIZE_BYTES, [{ offset: 0, data: crypto.randomBytes(10) }]);
    await expect(
      new ManifestWriter({ chunks, signal: controller.signal }).write(source),
    ).rejects.toThrow(/abort/i);
  });
});
