/**
 * Block-table plumbing shared by the block-mapped formats (VDI, VHDX, VMDK sparse extents).
 *
 * All three map the virtual disk in fixed-size blocks (VDI blocks, VHDX payload blocks, VMDK
 * grains) through a table: each block is either absent (reads as zeros) or stored somewhere in
 * the file. `BlockDiskReader` turns such a lookup into the library's `DiskReader`, coalescing
 * neighbouring blocks into large reads. `dataBlocks` goes the other way for writers: it cuts an
 * extent stream into whole blocks and drops the ones that are all zero.
 *
 * TODO(formats-layout): this file is generic and lives in `vdi/` only because the VDI/VHDX/VMDK
 * work was scoped to those folders; it belongs in a shared `formats/` module.
 */
import { ReleaseSplitter } from '../common/buffer-pool.js';
import type { ByteSource, DiskFormat, DiskReader, Extent, ExtentSource, MapRun } from '../types.js';

/** `locate` result: the block reads as zeros. */
export const ZERO_BLOCK = -1;
/** `locate` result: the block's bytes come from `load` (compressed grains). */
export const LOADED_BLOCK = -2;

const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

export interface BlockLookup {
  /** File byte offset of block `index`'s data, or `ZERO_BLOCK` / `LOADED_BLOCK`. */
  locate(index: number): number | Promise<number>;
  /** The whole block's bytes, for blocks located as `LOADED_BLOCK`. */
  load?(index: number): Promise<Buffer>;
}

export interface BlockDiskOptions {
  format: DiskFormat;
  source: ByteSource;
  virtualSize: number;
  blockSize: number;
  lookup: BlockLookup;
  /** Extra clean-up when the reader closes (the source itself is closed too). */
  onClose?: () => Promise<void>;
}

interface Segment {
  offset: number;
  length: number;
  /** File offset, ZERO_BLOCK or LOADED_BLOCK. */
  where: number;
  /** For LOADED_BLOCK: the block index and the offset inside the block. */
  block: number;
  inner: number;
}

/**
 * A `DiskReader` over any block table.
 *
 * @example
 *   const reader = new BlockDiskReader({ format: 'vdi', source, virtualSize, blockSize, lookup });
 *   for await (const extent of reader.extents()) consume(extent);
 */
export class BlockDiskReader implements DiskReader {
  readonly format: DiskFormat;
  readonly virtualSize: number;
  private readonly source: ByteSource;
  private readonly blockSize: number;
  private readonly lookup: BlockLookup;
  private readonly onClose?: () => Promise<void>;

  constructor(options: BlockDiskOptions) {
    this.format = options.format;
    this.source = options.source;
    this.virtualSize = options.virtualSize;
    this.blockSize = options.blockSize;
    this.lookup = options.lookup;
    this.onClose = options.onClose;
  }

  async *map(): AsyncIterable<MapRun> {
    let run: MapRun | undefined;
    for (let index = 0; index * this.blockSize < this.virtualSize; index++) {
      const offset = index * this.blockSize;
      const length = Math.min(this.blockSize, this.virtualSize - offset);
      const zero = (await this.lookup.locate(index)) === ZERO_BLOCK;
      if (run && run.zero === zero) {
        run.length += length;
        continue;
      }
      if (run) yield run;
      run = { offset, length, zero };
    }
    if (run) yield run;
  }

  async *extents(options?: {
    maxChunkBytes?: number;
    signal?: AbortSignal;
  }): AsyncIterable<Extent> {
    const chunk = options?.maxChunkBytes ?? DEFAULT_CHUNK_BYTES;
    let pendingZero: Extent | undefined;

    for (let window = 0; window < this.virtualSize; window += chunk) {
      options?.signal?.throwIfAborted();
      const windowEnd = Math.min(window + chunk, this.virtualSize);

      for (const segment of await this.segments(window, windowEnd)) {
        if (segment.where === ZERO_BLOCK) {
          if (pendingZero) pendingZero.length += segment.length;
          else pendingZero = { offset: segment.offset, length: segment.length, zero: true };
          continue;
        }
        if (pendingZero) {
          yield pendingZero;
          pendingZero = undefined;
        }
        yield { ...segment, zero: false, data: await this.fetch(segment) };
      }
    }
    if (pendingZero) yield pendingZero;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    if (offset < 0 || length < 0 || offset + length > this.virtualSize) {
      throw new RangeError(
        `read [${offset}, +${length}) outside the ${this.virtualSize}-byte disk`,
      );
    }
    const out = Buffer.alloc(length);
    for (const segment of await this.segments(offset, offset + length)) {
      if (segment.where === ZERO_BLOCK) continue;
      (await this.fetch(segment)).copy(out, segment.offset - offset);
    }
    return out;
  }

  async close(): Promise<void> {
    await this.onClose?.();
    await this.source.close();
  }

  /** The runs of [start, end): zero blocks merge, and so do blocks adjacent in the file. */
  private async segments(start: number, end: number): Promise<Segment[]> {
    const out: Segment[] = [];
    let pos = start;
    while (pos < end) {
      const block = Math.floor(pos / this.blockSize);
      const inner = pos - block * this.blockSize;
      const length = Math.min(end, (block + 1) * this.blockSize) - pos;
      const located = await this.lookup.locate(block);
      const where = located >= 0 ? located + inner : located;
      const last = out[out.length - 1];

      const mergesZero = last && where === ZERO_BLOCK && last.where === ZERO_BLOCK;
      const mergesFile =
        last && where >= 0 && last.where >= 0 && last.where + last.length === where;
      if (mergesZero || mergesFile) last.length += length;
      else out.push({ offset: pos, length, where, block, inner });
      pos += length;
    }
    return out;
  }

  private async fetch(segment: Segment): Promise<Buffer> {
    if (segment.where === LOADED_BLOCK) {
      if (!this.lookup.load)
        throw new Error(`${this.format}: block ${segment.block} has no loader`);
      const block = await this.lookup.load(segment.block);
      return block.subarray(segment.inner, segment.inner + segment.length);
    }
    const data = await this.source.read(segment.where, segment.length);
    if (data.length !== segment.length) {
      throw new Error(
        `${this.format}: file ends inside data at ${segment.where} (changed after inspection?)`,
      );
    }
    return data;
  }
}

/** One block of virtual disk with at least one non-zero byte. */
export interface DataBlock {
  index: number;
  /** Exactly `blockSize` bytes (the last block of the disk is zero-padded). */
  data: Buffer;
  /** Hands the bytes back to the reader once nothing reads them (see `Extent.release`). */
  release?: () => void;
}

/**
 * Cuts an extent stream into whole blocks, skipping blocks that are entirely zero. Blocks fully
 * inside one data extent are views, not copies; only blocks stitched from several extents are
 * copied. Memory stays at one block plus the extent being cut.
 */
export async function* dataBlocks(
  input: ExtentSource,
  blockSize: number,
  options: { signal?: AbortSignal; onProgress?: (done: number) => void } = {},
): AsyncIterable<DataBlock> {
  const zeroBlock = Buffer.alloc(blockSize);
  let staging: Buffer | undefined;
  let stagingIndex = -1;
  const chunk = Math.max(DEFAULT_CHUNK_BYTES, blockSize);

  const flushStaging = function* (): Iterable<DataBlock> {
    if (staging && !staging.equals(zeroBlock)) yield { index: stagingIndex, data: staging };
    staging = undefined;
    stagingIndex = -1;
  };

  for await (const extent of input.extents({ maxChunkBytes: chunk, signal: options.signal })) {
    options.onProgress?.(extent.offset + extent.length);
    if (extent.zero || !extent.data) continue;

    const split = new ReleaseSplitter(extent.release);
    let pos = extent.offset;
    const end = extent.offset + extent.length;
    while (pos < end) {
      const index = Math.floor(pos / blockSize);
      const blockStart = index * blockSize;
      const take = Math.min(end, blockStart + blockSize) - pos;
      const view = extent.data.subarray(pos - extent.offset, pos - extent.offset + take);

      if (index !== stagingIndex) yield* flushStaging();
      if (take === blockSize) {
        if (!view.equals(zeroBlock)) yield { index, data: view, release: split.share() };
      } else {
        if (!staging) {
          staging = Buffer.alloc(blockSize);
          stagingIndex = index;
        }
        view.copy(staging, pos - blockStart);
      }
      pos += take;
    }
    split.done();
  }
  yield* flushStaging();
}

/** Writes to a Node stream, honouring back-pressure, and counts the bytes. */
export class StreamSink {
  bytesWritten = 0;
  private lastWrite: Promise<void> = Promise.resolve();
  constructor(private readonly out: NodeJS.WritableStream) {}

  /** Resolves once every buffer written so far has been handed off (its memory may be reused). */
  flushed(): Promise<void> {
    return this.lastWrite;
  }

  async write(buf: Uint8Array): Promise<void> {
    if (buf.length === 0) return;
    this.bytesWritten += buf.length;
    let accepted = true;
    this.lastWrite = new Promise<void>((resolve, reject) => {
      accepted = this.out.write(buf, (err) => (err ? reject(err) : resolve()));
    });
    // Errors surface through flushed() or the stream's 'error' event; avoid unhandled rejections.
    this.lastWrite.catch(() => undefined);
    if (accepted) return;
    await new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        this.out.off('error', onError);
        resolve();
      };
      const onError = (err: Error) => {
        this.out.off('drain', onDrain);
        reject(err);
      };
      this.out.once('drain', onDrain);
      this.out.once('error', onError);
    });
  }
}
