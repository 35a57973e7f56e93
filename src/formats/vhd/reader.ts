import {
  DEFAULT_CHUNK_BYTES,
  ExtentMerger,
  chunkBytes,
  mergeRuns,
  prefetch,
  readFromExtents,
} from '../common/extents.js';
import { FormatError } from '../errors.js';
import type { ByteSource, DiskReader, Extent, MapRun } from '../types.js';
import { UNALLOCATED, type VhdLayout } from './constants.js';

type Piece = { start: number; end: number; host: number | undefined };

/**
 * Reads a dynamic VHD: BAT in memory (bounded by the inspector), one sector bitmap read per
 * allocated block. Sectors whose bitmap bit is 0 read as zeros, as the spec says (qemu ignores
 * the bitmap; the two agree on qemu's images, whose bitmaps are all ones).
 */
export class VhdDynamicReader implements DiskReader {
  readonly format = 'vhd' as const;
  readonly virtualSize: number;
  private readonly bitmaps = new Map<number, Promise<Buffer>>();
  private readonly allOnes: Buffer;

  private constructor(
    private readonly source: ByteSource,
    private readonly layout: VhdLayout,
    private readonly bat: Buffer,
  ) {
    this.virtualSize = layout.virtualSize;
    this.allOnes = Buffer.alloc(layout.bitmapBytes, 0xff);
  }

  static async open(source: ByteSource, layout: VhdLayout): Promise<VhdDynamicReader> {
    const bat = await source.read(layout.batOffset, layout.batEntries * 4);
    if (bat.length !== layout.batEntries * 4)
      throw new FormatError('VHD_TRUNCATED', 'BAT cut short');
    return new VhdDynamicReader(source, layout, bat);
  }

  map(): AsyncIterable<MapRun> {
    return mergeRuns(this.rawMap());
  }

  private async *rawMap(): AsyncIterable<MapRun> {
    const B = this.layout.blockSize;
    for (let b = 0; b * B < this.virtualSize; b++) {
      for (const p of await this.blockPieces(b, b * B, Math.min((b + 1) * B, this.virtualSize))) {
        yield { offset: p.start, length: p.end - p.start, zero: p.host === undefined };
      }
    }
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

  private async *rangeExtents(start: number, end: number, maxChunk: number, signal?: AbortSignal) {
    const merger = new ExtentMerger();
    for await (const extents of prefetch(this.windowProducers(start, end, maxChunk), 2, signal)) {
      for (const e of extents) yield* merger.push(e);
    }
    yield* merger.flush();
  }

  private unallocated(b: number): boolean {
    return b >= this.layout.batEntries || this.bat.readUInt32BE(b * 4) === UNALLOCATED;
  }

  /** One producer per chunk-aligned window; runs of unallocated blocks become one zero extent. */
  private *windowProducers(
    start: number,
    end: number,
    maxChunk: number,
  ): Generator<() => Promise<Extent[]>> {
    const B = this.layout.blockSize;
    for (let w = start; w < end;) {
      // Runs of unallocated blocks are zeros: one extent, no reads.
      let b = Math.floor(w / B);
      if (this.unallocated(b)) {
        while ((b + 1) * B < end && this.unallocated(b + 1)) b++;
        const stop = Math.min(end, (b + 1) * B);
        const zero: Extent = { offset: w, length: stop - w, zero: true };
        yield async () => [zero];
        w = stop;
        continue;
      }
      const we = Math.min(end, (Math.floor(w / maxChunk) + 1) * maxChunk);
      const ws = w;
      yield () => this.window(ws, we);
      w = we;
    }
  }

  private async window(ws: number, we: number): Promise<Extent[]> {
    const B = this.layout.blockSize;
    const pieces: Piece[] = [];
    for (let b = Math.floor(ws / B); b * B < we; b++) {
      pieces.push(...(await this.blockPieces(b, Math.max(ws, b * B), Math.min(we, (b + 1) * B))));
    }

    const out: Extent[] = [];
    for (let i = 0; i < pieces.length;) {
      let j = i;
      const zero = pieces[i].host === undefined;
      while (j + 1 < pieces.length && (pieces[j + 1].host === undefined) === zero) j++;
      const start = pieces[i].start;
      const length = pieces[j].end - start;
      if (zero) out.push({ offset: start, length, zero: true });
      else
        out.push({
          offset: start,
          length,
          zero: false,
          data: await this.readPieces(pieces.slice(i, j + 1)),
        });
      i = j + 1;
    }
    return out;
  }

  private async readPieces(group: Piece[]): Promise<Buffer> {
    const start = group[0].start;
    const length = group[group.length - 1].end - start;
    const contiguous = group.every(
      (p, k) => k === 0 || group[k - 1].host! + (group[k - 1].end - group[k - 1].start) === p.host,
    );
    if (contiguous) return this.readHost(group[0].host!, length);
    const buf = Buffer.alloc(length);
    for (const p of group)
      (await this.readHost(p.host!, p.end - p.start)).copy(buf, p.start - start);
    return buf;
  }

  private async readHost(offset: number, length: number): Promise<Buffer> {
    const data = await this.source.read(offset, length);
    if (data.length !== length)
      throw new FormatError('VHD_TRUNCATED', `block data at ${offset} cut short`);
    return data;
  }

  /** Guest range [s, e) inside block b, as zero pieces and host-mapped pieces. */
  private async blockPieces(b: number, s: number, e: number): Promise<Piece[]> {
    const { blockSize: B, bitmapBytes, fileSize } = this.layout;
    const sector = b < this.layout.batEntries ? this.bat.readUInt32BE(b * 4) : UNALLOCATED;
    if (sector === UNALLOCATED) return [{ start: s, end: e, host: undefined }];

    const blockStart = sector * 512;
    if (blockStart + bitmapBytes + B > fileSize) {
      throw new FormatError('VHD_BLOCK_OUTSIDE_FILE', `block ${b} at ${blockStart}`);
    }
    const dataStart = blockStart + bitmapBytes;
    const bitmap = await this.bitmap(b, blockStart);
    if (bitmap.equals(this.allOnes)) return [{ start: s, end: e, host: dataStart + (s - b * B) }];

    // Sector-by-sector: bit 7 of byte 0 is the block's first sector.
    const pieces: Piece[] = [];
    for (let pos = s; pos < e;) {
      const sec = Math.floor((pos - b * B) / 512);
      const present = (bitmap[sec >> 3] & (0x80 >> (sec & 7))) !== 0;
      const stop = Math.min(e, b * B + (sec + 1) * 512);
      const host = present ? dataStart + (pos - b * B) : undefined;
      const last = pieces[pieces.length - 1];
      if (last && (last.host === undefined) === (host === undefined)) last.end = stop;
      else pieces.push({ start: pos, end: stop, host });
      pos = stop;
    }
    return pieces;
  }

  private bitmap(b: number, blockStart: number): Promise<Buffer> {
    let p = this.bitmaps.get(b);
    if (!p) {
      p = this.source.read(blockStart, this.layout.bitmapBytes);
      this.bitmaps.set(b, p);
      if (this.bitmaps.size > 64) this.bitmaps.delete(this.bitmaps.keys().next().value as number);
    }
    return p;
  }
}
