/**
 * Benchmark (not a test): how fast ManifestWriter stores a disk, against copying the same file.
 *
 *   npx tsx bench/chunk-store.ts [SIZE_MIB=1024] [DIR=os.tmpdir()]
 *
 * The input is SIZE_MIB of random data (every 4 MiB block is data, none dedups), read in 4 MiB
 * extents like a raw reader. Reported in MB/s (10^6 bytes per second) of input consumed:
 *   - copy (stream)   createReadStream → createWriteStream, the plain-copy baseline;
 *   - copy (fsync)    the same, then one fsync: what a durable copy costs;
 *   - hash only       SHA-256 of every block on the main thread, no I/O;
 *   - manifest …      ManifestWriter into a fresh FsChunkStore (hash + write 256 chunk files),
 *                     with and without the per-chunk fsync, at concurrency 1 and 4.
 * Each figure is the best of RUNS runs; the page cache is warm (the file was just written).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { CHUNK_SIZE_BYTES, FsChunkStore, ManifestWriter } from '../src/blobs/index.js';
import type { Extent, ExtentSource } from '../src/formats/types.js';

const sizeMiB = Number(process.argv[2] ?? 1024);
const dir = fs.mkdtempSync(path.join(process.argv[3] ?? os.tmpdir(), 'ecsimg-bench-'));
const RUNS = 2;
const bytes = sizeMiB * 1024 * 1024;
const input = path.join(dir, 'input.raw');

function fileSource(file: string, size: number): ExtentSource {
  return {
    virtualSize: size,
    async *map() {
      yield { offset: 0, length: size, zero: false };
    },
    async *extents(): AsyncIterable<Extent> {
      const handle = await fsp.open(file, 'r');
      try {
        // Read one block ahead, as the formats readers do.
        const readAt = async (offset: number) => {
          const buf = Buffer.allocUnsafe(Math.min(CHUNK_SIZE_BYTES, size - offset));
          await handle.read(buf, 0, buf.length, offset);
          return buf;
        };
        let next = size > 0 ? readAt(0) : undefined;
        for (let offset = 0; offset < size; offset += CHUNK_SIZE_BYTES) {
          const data = await next!;
          next = offset + CHUNK_SIZE_BYTES < size ? readAt(offset + CHUNK_SIZE_BYTES) : undefined;
          yield { offset, length: data.length, zero: false, data };
        }
      } finally {
        await handle.close();
      }
    },
  };
}

async function best(name: string, run: () => Promise<void>): Promise<number> {
  let bestMs = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const t0 = performance.now();
    await run();
    bestMs = Math.min(bestMs, performance.now() - t0);
  }
  const mbps = bytes / 1e6 / (bestMs / 1000);
  console.log(`${name.padEnd(34)} ${mbps.toFixed(0).padStart(6)} MB/s  (${bestMs.toFixed(0)} ms)`);
  return mbps;
}

async function main() {
  console.log(
    `input: ${sizeMiB} MiB random in ${dir}; ${os.cpus().length} cores, node ${process.version}`,
  );
  const out = fs.createWriteStream(input);
  for (let i = 0; i < sizeMiB; i++) {
    if (!out.write(crypto.randomBytes(1024 * 1024)))
      await new Promise<void>((r) => out.once('drain', () => r()));
  }
  await new Promise((r) => out.end(r));

  const copy = path.join(dir, 'copy.raw');
  const plain = await best('copy (stream)', async () => {
    await pipeline(
      fs.createReadStream(input, { highWaterMark: 4 << 20 }),
      fs.createWriteStream(copy),
    );
  });
  await best('copy (stream + fsync)', async () => {
    await pipeline(
      fs.createReadStream(input, { highWaterMark: 4 << 20 }),
      fs.createWriteStream(copy),
    );
    const h = await fsp.open(copy, 'r+');
    await h.sync();
    await h.close();
  });
  fs.rmSync(copy);

  await best('hash only (SHA-256, main thread)', async () => {
    for await (const e of fileSource(input, bytes).extents()) {
      crypto.createHash('sha256').update(e.data!).digest();
    }
  });

  for (const durable of [false, true]) {
    for (const concurrency of [1, 4]) {
      const mbps = await best(
        `manifest (fsync ${durable ? 'on ' : 'off'}, concurrency ${concurrency})`,
        async () => {
          const root = path.join(dir, 'chunks');
          fs.rmSync(root, { recursive: true, force: true });
          const chunks = new FsChunkStore(root, { durable });
          await new ManifestWriter({ chunks, concurrency }).write(fileSource(input, bytes));
        },
      );
      console.log(`${''.padEnd(34)} ratio to plain copy: ${(mbps / plain).toFixed(2)}`);
    }
  }
  fs.rmSync(dir, { recursive: true, force: true });
}

await main();
