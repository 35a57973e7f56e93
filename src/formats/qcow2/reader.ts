import { promisify } from 'node:util';
import { readClamped } from '../source.js';
import { inflateRaw } from 'node:zlib';
import {
  DEFAULT_CHUNK_BYTES,
  ExtentMerger,
  chunkBytes,
  mergeRuns,
  prefetch,
  readFromExtents,
} from '../common/extents.js';
import { BufferPool } from '../common/buffer-pool.js';
import { FormatError } from '../errors.js';
import type { ByteSource, DiskReader, Extent, MapRun } from '../types.js';
import { decodeL1, decodeL2, type L2Entry, type Qcow2Layout } from './constants.js';

const inflateRawAsync = promisify(inflateRaw);
const L2_CACHE_TABLES = 32;
/**
 * Window buffers kept for reuse: the prefetched windows, the one being consumed and the writes
 * still in flight behind it all hold one.
 */
const POOLED_WINDOWS = 8;
/** Windows read ahead of the consumer. */
const PREFETCH_WINDOWS = 4;
/**
 * Guest bytes per window (one pooled buffer, one read when the clusters are host-contiguous).
 * Why 1 MiB and not the 4 MiB chunk: a buffer that fits the CPU's L2 cache stays there between
 * the read that fills it and the write that drains it. Measured 2026-12 on this 2-vCPU EPYC
 * (1 MiB L2 per core), a plain Node read/write loop over 1 GiB: system time 0.49 s with 1 MiB
 * buffers, 1.41 s with 2 MiB, 1.16 s with 4 MiB, 0.56 s with 512 KiB.
 */
const WINDOW_BYTES = 1024 * 1024;

type Piece =
  | { start: number; end: number; kind: 'zero' }
  | { start: number; end: number; kind: 'host'; host: number }
  | {
      start: number;
      end: number;
      kind: 'compressed';
      cluster: number;
      host: number;
      bytes: number;
    };

/**
 * Reads a qcow2 the inspector accepted: L1 in memory (bounded by the inspector), L2 tables on
 * demand through a small cache, compressed clusters inflated (raw deflate, capped at one
 * cluster) on libuv's thread pool, so several windows decompress in parallel.
 */
export class Qcow2Reader implements DiskReader {
  readonly format = 'qcow2' as const;
  readonly virtualSize: number;
  private readonly clusterSize: number;
  private readonly l2Entries: number;
  private readonly l2Cache = new Map<number, Promise<Buffer>>();

  private constructor(
    private readonly source: ByteSource,
    private readonly layout: Qcow2Layout,
    private readonly l1: Buffer,
  ) {
    this.virtualSize = layout.virtualSize;
    this.clusterSize = 2 ** layout.clusterBits;
    this.l2Entries = this.clusterSize / 8;
  }

  static async open(source: ByteSource, layout: Qcow2Layout): Promise<Qcow2Reader> {
    const l1 = await source.read(layout.l1Offset, layout.l1Size * 8);
    if (l1.length !== layout.l1Size * 8) {
      throw new FormatError('QCOW2_TABLE_OUTSIDE_FILE', 'L1 table is cut short');
    }
    return new Qcow2Reader(source, layout, l1);
  }

  async *map(): AsyncIterable<MapRun> {
    yield* mergeRuns(this.rawMap());
  }

  extents(options?: { maxChunkBytes?: number; signal?: AbortSignal }): AsyncIterable<Extent> {
    return this.rangeExtents(
      0,
      this.virtualSize,
      chunkBytes(options?.maxChunkBytes),
      options?.signal,
    );
  }

  read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(this.virtualSize, offset + length);
    return readFromExtents(this.rangeExtents(offset, end, DEFAULT_CHUNK_BYTES), offset, length);
  }

  async close(): Promise<void> {
    await this.source.close();
  }

  private async *rawMap(): AsyncIterable<MapRun> {
    const C = this.clusterSize;
    const clusters = Math.ceil(this.virtualSize / C);
    for (let i = 0; i * this.l2Entries < clusters; i++) {
      const first = i * this.l2Entries;
      const count = Math.min(this.l2Entries, clusters - first);
      const table = await this.l2Table(i);
      for (let j = 0; j < count; j++) {
        const e = table ? this.entry(table, j, first + j) : undefined;
        const zero = !e || e.kind === 'zero' || e.kind === 'unallocated';
        const start = (first + j) * C;
        yield { offset: start, length: Math.min(C, this.virtualSize - start), zero };
      }
    }
  }

  private async *rangeExtents(
    start: number,
    end: number,
    maxChunk: number,
    signal?: AbortSignal,
  ): AsyncIterable<Extent> {
    const merger = new ExtentMerger();
    // Windows never cross a multiple of `window` (which divides maxChunk or equals it), so data
    // extents never cross a multiple of maxChunk and one buffer of that size holds any window.
    const window = maxChunk % WINDOW_BYTES === 0 ? WINDOW_BYTES : maxChunk;
    const pool = new BufferPool(Math.min(window, end - start), POOLED_WINDOWS);
    const producers = this.windowProducers(start, end, window, pool);
    for await (const extents of prefetch(producers, PREFETCH_WINDOWS, signal)) {
      for (const e of extents) yield* merger.push(e);
    }
    yield* merger.flush();
  }

  /** One producer per windowBytes-aligned window of [start, end); prefetch runs a few ahead. */
  private *windowProducers(
    start: number,
    end: number,
    windowBytes: number,
    pool: BufferPool,
  ): Generator<() => Promise<Extent[]>> {
    const slotBytes = this.l2Entries * this.clusterSize;
    for (let w = start; w < end;) {
      // A whole L1 slot without an L2 table is zeros: one extent, no lookups.
      const slot = Math.floor(w / slotBytes);
      if (slot >= this.layout.l1Size || decodeL1(this.l1, slot * 8) === 0) {
        const stop = Math.min(end, (slot + 1) * slotBytes);
        const zero: Extent = { offset: w, length: stop - w, zero: true };
        yield async () => [zero];
        w = stop;
        continue;
      }
      const we = Math.min(end, (Math.floor(w / windowBytes) + 1) * windowBytes);
      const ws = w;
      yield () => this.window(ws, we, pool);
      w = we;
    }
  }

  /**
   * The extents of guest range [ws, we): zero pieces, and data read straight into one pooled
   * buffer (host-contiguous clusters in one read each); data extents are views of it.
   */
  private async window(ws: number, we: number, pool: BufferPool): Promise<Extent[]> {
    const C = this.clusterSize;
    // Pieces come out merged: zero clusters into one zero piece, host-contiguous data clusters
    // into one host piece, so a window of a freshly converted image is a single piece. The L2
    // table is fetched once per table, not awaited per cluster (that was ~1 KiB of garbage and
    // a microtask per cluster).
    const pieces: Piece[] = [];
    let tableIndex = -1;
    let table: Buffer | undefined;
    for (let c = Math.floor(ws / C); c * C < we; c++) {
      const s = Math.max(ws, c * C);
      const e = Math.min(we, (c + 1) * C);
      const ti = Math.floor(c / this.l2Entries);
      if (ti !== tableIndex) {
        tableIndex = ti;
        table = await this.l2Table(ti);
      }
      const entry: L2Entry = table
        ? this.entry(table, c % this.l2Entries, c)
        : { kind: 'unallocated' };
      const last = pieces.length > 0 ? pieces[pieces.length - 1] : undefined;
      if (entry.kind === 'data') {
        const host = entry.hostOffset + (s - c * C);
        if (last?.kind === 'host' && last.host + (last.end - last.start) === host) last.end = e;
        else pieces.push({ start: s, end: e, kind: 'host', host });
      } else if (entry.kind === 'compressed') {
        pieces.push({
          start: s,
          end: e,
          kind: 'compressed',
          cluster: c,
          host: entry.hostOffset,
          bytes: entry.compressedBytes,
        });
      } else if (last?.kind === 'zero') last.end = e;
      else pieces.push({ start: s, end: e, kind: 'zero' });
    }

    // Group consecutive non-zero pieces into data extents.
    const out: Extent[] = [];
    const { buf, lease } = pool.acquire();
    try {
      for (let i = 0; i < pieces.length;) {
        const p = pieces[i];
        let j = i;
        const zero = p.kind === 'zero';
        while (j + 1 < pieces.length && (pieces[j + 1].kind === 'zero') === zero) j++;
        const length = pieces[j].end - p.start;
        if (zero) {
          out.push({ offset: p.start, length, zero: true });
        } else {
          const data = buf.subarray(p.start - ws, pieces[j].end - ws);
          await this.readGroup(pieces.slice(i, j + 1), data);
          out.push({ offset: p.start, length, zero: false, data, release: lease.share() });
        }
        i = j + 1;
      }
    } finally {
      lease.done();
    }
    return out;
  }

  /** Fills `dest` with the guest bytes of `group` (non-zero pieces, consecutive in the guest). */
  private async readGroup(group: Piece[], dest: Buffer): Promise<void> {
    const start = group[0].start;
    for (let k = 0; k < group.length;) {
      const p = group[k];
      if (p.kind === 'compressed') {
        const cluster = await this.inflate(p.host, p.bytes, p.cluster);
        const within = p.start - p.cluster * this.clusterSize;
        cluster.copy(dest, p.start - start, within, within + (p.end - p.start));
        k++;
        continue;
      }
      // Extend over host-contiguous followers and read them at once.
      let m = k;
      while (
        m + 1 < group.length &&
        group[m + 1].kind === 'host' &&
        (group[m] as { host: number }).host + (group[m].end - group[m].start) ===
          (group[m + 1] as { host: number }).host
      ) {
        m++;
      }
      const host = (p as { host: number }).host;
      await this.readHost(host, dest.subarray(p.start - start, group[m].end - start));
      k = m + 1;
    }
  }

  /** Reads host bytes into `dest`; the part past the end of the file (qemu's short last cluster) is zeros. */
  private async readHost(offset: number, dest: Buffer): Promise<void> {
    let n: number;
    if (this.source.readInto) {
      // Never ask for bytes past the end of the file (readClamped's rule for every parser).
      const inFile = Math.max(0, Math.min(dest.length, this.source.size - offset));
      n = await this.source.readInto(dest, offset, inFile);
    } else {
      const data = await readClamped(this.source, offset, dest.length);
      n = data.copy(dest);
    }
    if (n < dest.length) dest.fill(0, n);
  }

  private async inflate(host: number, bytes: number, cluster: number): Promise<Buffer> {
    const C = this.clusterSize;
    const compressed = await readClamped(this.source, host, Math.min(bytes, 2 * C + 512));
    let out: Buffer;
    try {
      // Deflate streams that would inflate past one cluster are a bomb: maxOutputLength stops it.
      out = await inflateRawAsync(compressed, { maxOutputLength: C, finishFlush: 2 /* SYNC */ });
    } catch (err) {
      throw new FormatError(
        'QCOW2_BAD_COMPRESSED_CLUSTER',
        `cluster ${cluster}: ${(err as Error).message}`,
      );
    }
    if (out.length !== C) {
      // The last cluster of an odd-sized disk still inflates to a whole cluster in qemu images.
      if (out.length > C)
        throw new FormatError('QCOW2_BAD_COMPRESSED_CLUSTER', `cluster ${cluster} too large`);
      const full = Buffer.alloc(C);
      out.copy(full);
      out = full;
    }
    return out;
  }

  /** Decodes and re-checks one entry (defence in depth: the inspector already did). */
  private entry(table: Buffer, index: number, cluster: number): L2Entry {
    const e = decodeL2(table, index * 8, this.layout.clusterBits, this.layout.version);
    if (e.kind === 'invalid')
      throw new FormatError('QCOW2_BAD_TABLE_ENTRY', `cluster ${cluster}: ${e.why}`);
    if (
      (e.kind === 'data' || e.kind === 'compressed') &&
      (e.hostOffset < this.clusterSize || e.hostOffset >= this.layout.fileSize)
    ) {
      throw new FormatError('QCOW2_CLUSTER_OUTSIDE_FILE', `cluster ${cluster} at ${e.hostOffset}`);
    }
    return e;
  }

  private l2Table(index: number): Promise<Buffer> | undefined {
    if (index >= this.layout.l1Size) return undefined;
    const offset = decodeL1(this.l1, index * 8);
    if (offset === 0) return undefined;
    if (
      offset < 0 ||
      offset < this.clusterSize ||
      offset + this.clusterSize > this.layout.fileSize
    ) {
      throw new FormatError('QCOW2_BAD_TABLE_ENTRY', `L1 entry ${index} is invalid`);
    }
    let table = this.l2Cache.get(index);
    if (!table) {
      table = this.source.read(offset, this.clusterSize);
      this.l2Cache.set(index, table);
      if (this.l2Cache.size > L2_CACHE_TABLES) {
        this.l2Cache.delete(this.l2Cache.keys().next().value as number);
      }
    }
    return table;
  }
}
