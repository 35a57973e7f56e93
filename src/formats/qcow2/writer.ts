import { ReleaseSplitter } from '../common/buffer-pool.js';
import { clusterize, type ClusterRun } from '../common/extents.js';
import { FileSink, StreamSink } from '../common/sink.js';
import { U32List } from '../common/u32-list.js';
import { ZERO_BUFFER, isZeroRange } from '../common/zero.js';
import { FormatError } from '../errors.js';
import type { ExtentSource, WriteOptions } from '../types.js';
import { QCOW2_MAGIC } from './constants.js';

/**
 * qcow2 v3 writer: 64 KiB clusters, 16-bit refcounts, no extensions, zero clusters left
 * unallocated (they read as zeros: there is no backing file). Two layouts:
 *
 * - file (`writeQcow2File`): one pass over the input; data clusters go right after the header,
 *   tables are appended after the data and the header is written last. No re-read of the input.
 * - stream (`writeQcow2Stream`): the allocation map comes first (input.map()), so header and
 *   tables can be emitted before the data in one forward-only pass (e.g. into an S3 upload).
 * - compressed (`options.compress`, `qemu-img convert -c`): file only, see compressed-writer.ts;
 *   it shares this file's layout (`plan`, `metadata`) with a packed data area.
 */

const CLUSTER_BITS = 16;
/** Cluster size: 64 KiB, qemu's default. */
export const C = 2 ** CLUSTER_BITS;
const L2_ENTRIES = C / 8;
const REFCOUNTS_PER_BLOCK = C / 2; // 16-bit refcounts
const HEADER_LENGTH = 112;
/** Bit 63 of L1/L2 entries, in the high word: the refcount is exactly 1. */
export const COPIED = 0x80000000;
const BATCH_BYTES = 4 * 1024 * 1024;
/** 2^32 clusters of 64 KiB = 256 TiB: the guest cluster list is a u32 list. */
const MAX_VIRTUAL_BYTES = 2 ** 32 * C;

/**
 * How the data area is laid out when it is not one host cluster per data cluster in guest order
 * (the compressed writer packs several compressed clusters into one host cluster).
 */
export interface DataArea {
  /** Host clusters the data area takes. */
  clusters: number;
  /** High and low words of the L2 entry of each allocated guest cluster, in `allocated` order. */
  entryHigh: U32List;
  entryLow: U32List;
  /** Refcount of each host cluster of the data area. */
  refcounts: U32List;
}

interface Plan {
  virtualSize: number;
  l1Entries: number;
  /** Guest cluster indices holding data, ascending. */
  allocated: U32List;
  /** Present when the data area is not one plain cluster per allocated guest cluster. */
  area?: DataArea;
  dataClusters: number;
  /** L1 slots that get an L2 table, ascending. */
  l2Slots: number[];
  /** Cluster indices of each area. */
  refcountTable: number;
  refcountTableClusters: number;
  refcountBlocks: number;
  refcountBlockCount: number;
  l1: number;
  l1Clusters: number;
  l2: number;
  data: number;
  totalClusters: number;
}

export function plan(
  inputSize: number,
  allocated: U32List,
  order: 'data-first' | 'tables-first',
  area?: DataArea,
): Plan {
  // qemu sizes disks in whole sectors and would drop a partial last sector: round up instead.
  const virtualSize = Math.ceil(inputSize / 512) * 512;
  const clusters = Math.ceil(virtualSize / C);
  const l1Entries = Math.ceil(clusters / L2_ENTRIES);
  const l1Clusters = Math.max(1, Math.ceil((l1Entries * 8) / C));
  const l2Slots: number[] = [];
  for (let k = 0; k < allocated.length; k++) {
    const slot = Math.floor(allocated.get(k) / L2_ENTRIES);
    if (l2Slots[l2Slots.length - 1] !== slot) l2Slots.push(slot);
  }

  // Refcount blocks must also count themselves: iterate to a fixed point (two rounds at most).
  const dataClusters = area?.clusters ?? allocated.length;
  const fixed = 1 + dataClusters + l2Slots.length + l1Clusters;
  let rb = 0;
  let rt = 0;
  for (;;) {
    const total = fixed + rb + rt;
    const nextRb = Math.ceil(total / REFCOUNTS_PER_BLOCK);
    const nextRt = Math.ceil((nextRb * 8) / C);
    if (nextRb === rb && nextRt === rt) break;
    rb = nextRb;
    rt = nextRt;
  }

  const p: Plan = {
    virtualSize,
    l1Entries,
    allocated,
    area,
    dataClusters,
    l2Slots,
    refcountTable: 0,
    refcountTableClusters: rt,
    refcountBlocks: 0,
    refcountBlockCount: rb,
    l1: 0,
    l1Clusters,
    l2: 0,
    data: 0,
    totalClusters: fixed + rb + rt,
  };
  let next = 1;
  const take = (n: number) => ((next += n), next - n);
  if (order === 'tables-first') {
    p.refcountTable = take(rt);
    p.refcountBlocks = take(rb);
    p.l1 = take(l1Clusters);
    p.l2 = take(l2Slots.length);
    p.data = take(dataClusters);
  } else {
    p.data = take(dataClusters);
    p.l2 = take(l2Slots.length);
    p.l1 = take(l1Clusters);
    p.refcountTable = take(rt);
    p.refcountBlocks = take(rb);
  }
  return p;
}

export function header(p: Plan): Buffer {
  const h = Buffer.alloc(C);
  h.writeUInt32BE(QCOW2_MAGIC, 0);
  h.writeUInt32BE(3, 4);
  // backing file offset/size: 0 (8..19)
  h.writeUInt32BE(CLUSTER_BITS, 20);
  h.writeBigUInt64BE(BigInt(p.virtualSize), 24);
  // crypt_method 0 (32)
  h.writeUInt32BE(p.l1Entries, 36);
  h.writeBigUInt64BE(BigInt(p.l1 * C), 40);
  h.writeBigUInt64BE(BigInt(p.refcountTable * C), 48);
  h.writeUInt32BE(p.refcountTableClusters, 56);
  // no snapshots (60..71); feature words 0 (72..95): never set dirty
  h.writeUInt32BE(4, 96); // refcount_order: 16-bit refcounts
  h.writeUInt32BE(HEADER_LENGTH, 100);
  // compression_type 0 = zlib (104), padding to 112, then the end-of-extensions marker (zeros)
  return h;
}

/** Yields the metadata areas as [cluster index, bytes], each at most BATCH_BYTES. */
export function* metadata(p: Plan): Generator<[number, Buffer]> {
  // L2 tables, one per slot with data; host cluster = data area + rank in guest order.
  let k = 0;
  for (let t = 0; t < p.l2Slots.length; t++) {
    const slot = p.l2Slots[t];
    const table = Buffer.alloc(C);
    const end = (slot + 1) * L2_ENTRIES;
    for (; k < p.allocated.length && p.allocated.get(k) < end; k++) {
      const at = (p.allocated.get(k) - slot * L2_ENTRIES) * 8;
      if (p.area) {
        table.writeUInt32BE(p.area.entryHigh.get(k), at);
        table.writeUInt32BE(p.area.entryLow.get(k), at + 4);
        continue;
      }
      const host = (p.data + k) * C;
      table.writeUInt32BE((COPIED | Math.floor(host / 2 ** 32)) >>> 0, at);
      table.writeUInt32BE(host % 2 ** 32, at + 4);
    }
    yield [p.l2 + t, table];
  }

  const l1 = Buffer.alloc(p.l1Clusters * C);
  p.l2Slots.forEach((slot, t) => {
    const off = (p.l2 + t) * C;
    l1.writeUInt32BE((COPIED | Math.floor(off / 2 ** 32)) >>> 0, slot * 8);
    l1.writeUInt32BE(off % 2 ** 32, slot * 8 + 4);
  });
  yield [p.l1, l1];

  const rt = Buffer.alloc(p.refcountTableClusters * C);
  for (let b = 0; b < p.refcountBlockCount; b++) {
    rt.writeBigUInt64BE(BigInt((p.refcountBlocks + b) * C), b * 8);
  }
  yield [p.refcountTable, rt];

  // Refcount blocks: 1 for every cluster in [0, total) but the packed data area's, 0 after.
  for (let b = 0; b < p.refcountBlockCount;) {
    const n = Math.min(p.refcountBlockCount - b, BATCH_BYTES / C);
    const blocks = Buffer.alloc(n * C);
    const first = b * REFCOUNTS_PER_BLOCK;
    const used = Math.min(n * REFCOUNTS_PER_BLOCK, p.totalClusters - first);
    for (let i = 0; i < used; i++) {
      const d = first + i - p.data;
      const count = p.area && d >= 0 && d < p.dataClusters ? p.area.refcounts.get(d) : 1;
      blocks.writeUInt16BE(count, i * 2);
    }
    yield [p.refcountBlocks + b, blocks];
    b += n;
  }
}

export function checkSize(virtualSize: number): void {
  if (virtualSize > MAX_VIRTUAL_BYTES) {
    throw new FormatError('QCOW2_TOO_LARGE', `virtual size ${virtualSize} is above 256 TiB`);
  }
}

/** Splits a cluster run into sub-runs of non-zero clusters (allocated zeros are skipped). */
export function* nonZeroRuns(run: ClusterRun): Generator<ClusterRun> {
  if (!isZeroRange(run.data)) {
    // Fast path: check clusters one by one only when the run is not zero as a whole.
    let s = -1;
    for (let i = 0; i <= run.count; i++) {
      const zero = i === run.count || isZeroRange(run.data, i * C, (i + 1) * C);
      if (!zero && s < 0) s = i;
      if (zero && s >= 0) {
        yield { cluster: run.cluster + s, count: i - s, data: run.data.subarray(s * C, i * C) };
        s = -1;
      }
    }
  }
}

export async function writeQcow2File(input: ExtentSource, path: string, options: WriteOptions) {
  checkSize(input.virtualSize);
  if (options.compress) {
    return (await import('./compressed-writer.js')).writeCompressedQcow2File(input, path, options);
  }
  const sink = await FileSink.create(path, { direct: options.directIo });
  try {
    const allocated = new U32List();
    const extents = input.extents({ signal: options.signal });
    for await (const run of clusterize(extents, C)) {
      const split = new ReleaseSplitter(run.release);
      for (const nz of nonZeroRuns(run)) {
        await sink.writeAt(nz.data, (1 + allocated.length) * C, split.share());
        for (let i = 0; i < nz.count; i++) allocated.push(nz.cluster + i);
      }
      split.done();
      options.onProgress?.(
        Math.min(input.virtualSize, (run.cluster + run.count) * C),
        input.virtualSize,
      );
    }

    const p = plan(input.virtualSize, allocated, 'data-first');
    for (const [cluster, bytes] of metadata(p)) await sink.writeAt(bytes, cluster * C);
    await sink.writeAt(header(p), 0);
    await sink.drain();
    options.onProgress?.(input.virtualSize, input.virtualSize);
  } finally {
    await sink.close();
  }
  return { bytesWritten: sink.bytesWritten };
}

export async function writeQcow2Stream(
  input: ExtentSource,
  out: NodeJS.WritableStream,
  options: WriteOptions,
) {
  checkSize(input.virtualSize);
  if (options.compress) {
    // Tables come first in a stream, and where compressed clusters land is known only once they
    // are deflated: that would need the whole output in memory or a second deflate pass.
    throw new FormatError(
      'COMPRESSION_NEEDS_FILE',
      'a compressed qcow2 can only be written to a file, not to a stream',
    );
  }

  // Pass 1: which guest clusters hold data, from the map alone.
  const allocated = new U32List();
  for await (const run of input.map()) {
    if (run.zero || run.length === 0) continue;
    const first = Math.floor(run.offset / C);
    const last = Math.ceil((run.offset + run.length) / C) - 1;
    for (let c = first; c <= last; c++) if ((allocated.last() ?? -1) < c) allocated.push(c);
  }
  const p = plan(input.virtualSize, allocated, 'tables-first');

  // Header and tables, in file order.
  const sink = new StreamSink(out);
  await sink.write(header(p));
  const areas = [...metadata(p)].sort((a, b) => a[0] - b[0]);
  for (const [, bytes] of areas) await sink.write(bytes);

  // Pass 2: data clusters in guest order; map and extents must agree.
  let k = 0;
  const zeroCluster = ZERO_BUFFER.subarray(0, C);
  for await (const run of clusterize(input.extents({ signal: options.signal }), C)) {
    while (k < allocated.length && allocated.get(k) < run.cluster) {
      await sink.write(zeroCluster);
      k++;
    }
    for (let i = 0; i < run.count;) {
      const c = run.cluster + i;
      if (k < allocated.length && allocated.get(k) === c) {
        let n = 1;
        while (i + n < run.count && k + n < allocated.length && allocated.get(k + n) === c + n) n++;
        await sink.write(run.data.subarray(i * C, (i + n) * C));
        k += n;
        i += n;
        continue;
      }
      if (!isZeroRange(run.data, i * C, (i + 1) * C)) {
        throw new FormatError(
          'INPUT_CHANGED',
          `cluster ${c} has data the allocation map did not list`,
        );
      }
      i++;
    }
    options.onProgress?.(
      Math.min(input.virtualSize, (run.cluster + run.count) * C),
      input.virtualSize,
    );
  }
  for (; k < allocated.length; k++) await sink.write(zeroCluster);
  return { bytesWritten: sink.bytesWritten };
}
