import {
  DEFAULT_CHUNK_BYTES,
  ExtentMerger,
  chunkBytes,
  extentsToMap,
  mergeRuns,
  prefetch,
  readFromExtents,
} from '../common/extents.js';
import { zeroRuns } from '../common/zero.js';
import type { ByteSource, DiskFormat, DiskReader, Extent, MapRun } from '../types.js';

/** Zero detection granule: qemu-img's default `-S 4k`, so sparse outputs match its own. */
export const ZERO_GRANULE_BYTES = 4096;

/**
 * Reads a plain byte range of a source as a virtual disk: raw files, ISO images, and the data
 * part of a fixed VHD (`length` < source size there). Raw has no allocation metadata, so both
 * extents() and map() find zeros by scanning: large reads, memcmp against a zero buffer.
 */
export class RawReader implements DiskReader {
  constructor(
    private readonly source: ByteSource,
    readonly format: DiskFormat,
    readonly virtualSize: number,
  ) {}

  extents(options?: { maxChunkBytes?: number; signal?: AbortSignal }): AsyncIterable<Extent> {
    return this.rangeExtents(
      0,
      this.virtualSize,
      chunkBytes(options?.maxChunkBytes),
      options?.signal,
    );
  }

  map(): AsyncIterable<MapRun> {
    return mergeRuns(extentsToMap(this.extents()));
  }

  read(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(this.virtualSize, offset + length);
    return readFromExtents(this.rangeExtents(offset, end, DEFAULT_CHUNK_BYTES), offset, length);
  }

  async close(): Promise<void> {
    await this.source.close();
  }

  private async *rangeExtents(
    start: number,
    end: number,
    maxChunk: number,
    signal?: AbortSignal,
  ): AsyncIterable<Extent> {
    // Read in blocks that are multiples of maxChunk and aligned to it, so data extents never
    // cross a multiple of maxChunk and can be views of the read buffer.
    const readBytes = maxChunk * Math.max(1, Math.floor(DEFAULT_CHUNK_BYTES / maxChunk));
    const source = this.source;
    function* producers() {
      for (let block = Math.floor(start / readBytes) * readBytes; block < end; block += readBytes) {
        const from = Math.max(block, start);
        const to = Math.min(block + readBytes, end);
        yield async () => ({ from, to, buf: await source.read(from, to - from) });
      }
    }

    const merger = new ExtentMerger();
    for await (const { from, to, buf } of prefetch(producers(), 3, signal)) {
      const out: Extent[] = [];
      const add = (s: number, e: number, zero: boolean) => {
        // Split at multiples of maxChunk (relative to the disk, not the block).
        for (let pos = s; pos < e;) {
          const stop = Math.min(e, (Math.floor((from + pos) / maxChunk) + 1) * maxChunk - from);
          const extent: Extent = zero
            ? { offset: from + pos, length: stop - pos, zero: true }
            : {
                offset: from + pos,
                length: stop - pos,
                zero: false,
                data: buf.subarray(pos, stop),
              };
          out.push(...merger.push(extent));
          pos = stop;
        }
      };
      zeroRuns(buf, ZERO_GRANULE_BYTES, add);
      // A source shorter than promised (file shrank) reads as zeros past its end.
      if (buf.length < to - from) add(buf.length, to - from, true);
      yield* out;
    }
    yield* merger.flush();
  }
}
