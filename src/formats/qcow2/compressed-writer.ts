import { ReleaseSplitter } from '../common/buffer-pool.js';
import { clusterize } from '../common/extents.js';
import { FileSink } from '../common/sink.js';
import { U32List } from '../common/u32-list.js';
import { WorkerPool } from '../common/worker-pool.js';
import type { ExtentSource, WriteOptions } from '../types.js';
import { STORE_UNCOMPRESSED, type CompressJob, type CompressResult } from './compress.js';
import { C, COPIED, header, metadata, nonZeroRuns, plan, type DataArea } from './writer.js';

/**
 * Compressed qcow2 v3 (`qemu-img convert -c`), written to a file in one pass over the input.
 *
 * Data clusters are deflated on worker threads (compress.ts), in batches awaited in submission
 * order, so the output is the same whatever the thread count. Compressed clusters are packed one
 * after the other at byte granularity, as qemu packs them, and may run into the next host cluster
 * (the L2 descriptor counts 512-byte sectors from the offset's sector on). A cluster that does not
 * compress is stored as an ordinary cluster at the next cluster boundary. Each host cluster's
 * refcount is the number of guest clusters whose bytes it holds — `qemu-img check` counts a
 * compressed cluster once for every host cluster its sectors touch — and the header and tables
 * follow the data area, as in the plain file writer.
 *
 * Memory: the batch buffers (2 × threads + 1 batches of 2 MiB in and 2 MiB out) plus 12 bytes
 * per data cluster (guest index, L2 entry) and 4 per host cluster of the data area.
 */

/** Clusters per worker message: 2 MiB, so messaging costs little against deflate time. */
const BATCH_CLUSTERS = 32;
const IN_FLIGHT_PER_WORKER = 2;
/** zlib's default level, as qemu uses for compressed clusters: users ask for `-c` to save space. */
const DEFLATE_LEVEL = 6;
const SECTOR_BYTES = 512;
/** Bit 62 of an L2 entry (bit 30 of its high word): the cluster is compressed. */
const COMPRESSED = 0x40000000;
/** With 64 KiB clusters the descriptor's sector count starts at bit 54: bit 22 of the high word. */
const SECTORS_SHIFT_IN_HIGH = 62 - (16 - 8) - 32;

interface Slot {
  input: SharedArrayBuffer;
  output: SharedArrayBuffer;
}

interface Batch {
  slot: Slot;
  /** Guest cluster index of each cluster in the batch. */
  clusters: number[];
  result: Promise<CompressResult>;
}

/** Where the data clusters go, and what the tables will say about them. */
class PackedArea {
  /** Next free byte; the data area starts at host cluster 1, after the header. */
  cursor = C;
  readonly allocated = new U32List();
  readonly area: DataArea = {
    clusters: 0,
    entryHigh: new U32List(),
    entryLow: new U32List(),
    refcounts: new U32List(),
  };

  /** Places `bytes` compressed bytes of guest cluster `guest`; returns their file offset. */
  placeCompressed(guest: number, bytes: number): number {
    const at = this.cursor;
    const sectors = Math.floor((at + bytes - 1) / SECTOR_BYTES) - Math.floor(at / SECTOR_BYTES);
    this.record(
      guest,
      (COMPRESSED | (sectors << SECTORS_SHIFT_IN_HIGH) | Math.floor(at / 2 ** 32)) >>> 0,
      at % 2 ** 32,
    );
    // qemu reads (and counts) whole sectors, so the span ends at the next sector boundary.
    this.count(at, Math.ceil((at + bytes) / SECTOR_BYTES) * SECTOR_BYTES);
    this.cursor = at + bytes;
    return at;
  }

  /** Places guest cluster `guest` uncompressed at the next cluster boundary. */
  placePlain(guest: number): number {
    const at = Math.ceil(this.cursor / C) * C;
    this.record(guest, (COPIED | Math.floor(at / 2 ** 32)) >>> 0, at % 2 ** 32);
    this.count(at, at + C);
    this.cursor = at + C;
    return at;
  }

  /** The area's layout once every cluster is placed. */
  finish(): DataArea {
    this.area.clusters = Math.ceil(this.cursor / C) - 1;
    return this.area;
  }

  private record(guest: number, high: number, low: number): void {
    this.allocated.push(guest);
    this.area.entryHigh.push(high);
    this.area.entryLow.push(low);
  }

  /** One more reference for every host cluster that [from, to) touches. */
  private count(from: number, to: number): void {
    const refcounts = this.area.refcounts;
    const last = Math.floor((to - 1) / C) - 1;
    for (let c = Math.floor(from / C) - 1; c <= last; c++) {
      while (refcounts.length <= c) refcounts.push(0);
      refcounts.set(c, refcounts.get(c) + 1);
    }
  }
}

export async function writeCompressedQcow2File(
  input: ExtentSource,
  path: string,
  options: WriteOptions,
): Promise<{ bytesWritten: number }> {
  const sink = await FileSink.create(path, { direct: options.directIo });
  const pool = new WorkerPool<CompressJob, CompressResult>(
    import.meta.url,
    'compress-worker',
    options.threads,
  );
  const packed = new PackedArea();
  const maxInFlight = pool.size * IN_FLIGHT_PER_WORKER;
  const inFlight: Batch[] = [];
  const free: Slot[] = Array.from({ length: maxInFlight + 1 }, () => ({
    input: new SharedArrayBuffer(BATCH_CLUSTERS * C),
    output: new SharedArrayBuffer(BATCH_CLUSTERS * C),
  }));
  let slot = free.pop()!;
  let staging = Buffer.from(slot.input);
  let clusters: number[] = [];

  // A batch's results are written where the packing puts them; its buffers go back to the ring
  // once the last of those writes is in the file.
  const drainOne = async () => {
    const batch = inFlight.shift()!;
    const { lengths } = await batch.result;
    const done = new ReleaseSplitter(() => free.push(batch.slot));
    const input = Buffer.from(batch.slot.input);
    const output = Buffer.from(batch.slot.output);
    for (let i = 0; i < batch.clusters.length; i++) {
      const guest = batch.clusters[i];
      const from = i * C;
      if (lengths[i] === STORE_UNCOMPRESSED) {
        await sink.writeAt(input.subarray(from, from + C), packed.placePlain(guest), done.share());
      } else {
        const bytes = output.subarray(from, from + lengths[i]);
        await sink.writeAt(bytes, packed.placeCompressed(guest, lengths[i]), done.share());
      }
    }
    done.done();
  };
  const submit = async () => {
    if (clusters.length === 0) return;
    const job = {
      input: slot.input,
      output: slot.output,
      count: clusters.length,
      clusterBytes: C,
      level: DEFLATE_LEVEL,
    };
    inFlight.push({ slot, clusters, result: pool.run(job) });
    while (inFlight.length >= maxInFlight) await drainOne();
    while (free.length === 0) {
      if (inFlight.length > 0) await drainOne();
      else await sink.drain();
    }
    slot = free.pop()!;
    staging = Buffer.from(slot.input);
    clusters = [];
  };

  try {
    for await (const run of clusterize(input.extents({ signal: options.signal }), C)) {
      for (const nz of nonZeroRuns(run)) {
        for (let i = 0; i < nz.count; i++) {
          staging.set(nz.data.subarray(i * C, (i + 1) * C), clusters.length * C);
          clusters.push(nz.cluster + i);
          if (clusters.length === BATCH_CLUSTERS) await submit();
        }
      }
      run.release?.(); // copied into shared memory: the reader may reuse its buffer
      options.onProgress?.(
        Math.min(input.virtualSize, (run.cluster + run.count) * C),
        input.virtualSize,
      );
    }
    await submit();
    while (inFlight.length > 0) await drainOne();

    const p = plan(input.virtualSize, packed.allocated, 'data-first', packed.finish());
    for (const [cluster, bytes] of metadata(p)) await sink.writeAt(bytes, cluster * C);
    await sink.writeAt(header(p), 0);
    await sink.drain();
    options.onProgress?.(input.virtualSize, input.virtualSize);
  } finally {
    // Settle what is still in flight (after an error) before the workers go away.
    await Promise.allSettled(inFlight.map((b) => b.result));
    await pool.close();
    await sink.close();
  }
  return { bytesWritten: sink.bytesWritten };
}
