/**
 * The shared vocabulary of the disk-formats library.
 *
 * `formats/` is a library in its own right: it imports nothing else of ecsimg. Every format lives
 * in its own folder (`qcow2/`, `vhd/`, …) and plugs into the library through a `FormatModule`
 * listed in `registry.ts`. Untrusted files are always inspected (bounded reads of headers and
 * tables) before a reader is opened on them.
 */

export type DiskFormat = 'raw' | 'qcow2' | 'vhd' | 'vhdx' | 'vmdk' | 'vdi' | 'iso';

/** Formats a writer exists for (the names `-O` accepts). */
export type OutputFormat = 'raw' | 'qcow2' | 'vhd' | 'vmdk' | 'vdi';

/**
 * Random-access bytes: a local file, a range reader over an object in a bucket, or a buffer.
 *
 * @example
 *   const src = await openFileSource('disk.qcow2');
 *   const header = await src.read(0, 512);
 */
export interface ByteSource {
  /** Total length in bytes. */
  readonly size: number;
  /** Reads `length` bytes at `offset`; returns fewer only when the end of the source is reached. */
  read(offset: number, length: number): Promise<Buffer>;
  /**
   * Optional: reads into a caller's buffer (returns the bytes read, fewer only at the end), so
   * bulk readers can reuse buffers instead of allocating — and page-faulting — fresh ones.
   */
  readInto?(buf: Buffer, offset: number, length: number): Promise<number>;
  /**
   * Optional: the ranges that may hold data, ascending `[start, end)`; everything else is known
   * to read as zeros (holes of a sparse file). `undefined` when unknown; readers then scan all.
   */
  dataRanges?(): Promise<Array<[number, number]> | undefined>;
  close(): Promise<void>;
}

/** One refusal: a stable code (`QCOW2_BACKING_FILE`, `VMDK_EXTERNAL_EXTENT`, …) and a sentence. */
export interface RefusalReason {
  code: string;
  message: string;
}

/** Limits the inspector enforces on untrusted files. */
export interface InspectLimits {
  /** Virtual sizes above this are refused (default 16 TiB). */
  maxVirtualSizeBytes: number;
  /** Metadata tables (L1, BAT, grain directory …) larger than this are refused (default 256 MiB). */
  maxTableBytes: number;
}

export interface InspectResult {
  format: DiskFormat;
  /** Format variant: qcow2 `v2`/`v3`, vhd `fixed`/`dynamic`, vmdk create type, … */
  subformat?: string;
  virtualSize: number;
  /** Bytes the file occupies (its length). */
  actualSize: number;
  /**
   * Bytes of the virtual disk backed by data in the file, from the allocation tables (qcow2
   * clusters, VHD blocks, …); absent where the format has no tables (raw, iso).
   */
  allocatedSize?: number;
  clusterSize?: number;
  /** Features found, in the format's own words (`compressed-clusters`, `zero-clusters`, …). */
  features: string[];
  /** A partition table found inside the virtual disk's first sectors, when one is. */
  partitionTable?: 'mbr' | 'gpt';
  safe: boolean;
  /** The refusal codes; empty when safe. */
  reasons: RefusalReason[];
  /**
   * Parsed header and table locations for the format's reader, so opening a reader does not
   * parse (or trust) anything the inspector has not already checked.
   */
  layout?: unknown;
}

/** A run of the virtual disk: either zeros (no buffer) or data. */
export interface Extent {
  offset: number;
  length: number;
  zero: boolean;
  /** Present exactly when `zero` is false; `data.length === length`. */
  data?: Buffer;
  /**
   * Optional: hands `data` back to the reader for reuse. Call it once nothing reads `data` any
   * more (for a write, after the write completed), never earlier; not calling it is always safe.
   * Readers reuse buffers to spare a fresh allocation and its page faults per read.
   */
  release?: () => void;
}

/** A run of the allocation map: `zero` runs read as zeros and need not be stored. */
export interface MapRun {
  offset: number;
  length: number;
  zero: boolean;
}

/**
 * Anything a writer can consume: an opened disk file, or (outside this library) a manifest of
 * stored chunks. Extents cover the virtual disk in order, without gaps.
 */
export interface ExtentSource {
  readonly virtualSize: number;
  /** The allocation map from metadata alone (no data reads); writers that need tables first use it. */
  map(): AsyncIterable<MapRun>;
  /**
   * The content in order. Data extents are at most `maxChunkBytes` long (default 4 MiB) and never
   * cross a multiple of it, so callers can cut blocks without copying.
   */
  extents(options?: { maxChunkBytes?: number; signal?: AbortSignal }): AsyncIterable<Extent>;
}

export interface DiskReader extends ExtentSource {
  readonly format: DiskFormat;
  /** Reads virtual-disk bytes (zeros where unallocated). */
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export interface WriteOptions {
  /** vhd only: `fixed` instead of the default `dynamic`. */
  subformat?: string;
  /**
   * qcow2 only: deflate the data clusters (`qemu-img convert -c`); clusters that do not shrink are
   * stored as they are. Needs a file output. vmdk streamOptimized is always compressed.
   */
  compress?: boolean;
  /** Worker threads for compression (default: one per core). */
  threads?: number;
  /**
   * File outputs: write whole sectors with O_DIRECT where the memory allows (see common/sink.ts).
   * For outputs flushed as soon as they are written, such as exports; off by default.
   */
  directIo?: boolean;
  signal?: AbortSignal;
  /** Called with bytes of virtual disk processed so far. */
  onProgress?: (doneBytes: number, totalBytes: number) => void;
}

export interface FormatModule {
  readonly format: DiskFormat;
  /**
   * Cheap check on the first bytes (at least 64 KiB or the whole file when smaller). `tail` holds
   * the last bytes (up to 64 KiB) for formats found by a trailer (fixed VHD, VMDK footers); it is
   * optional so modules that only look at the head can ignore it.
   */
  probe(head: Buffer, size: number, tail?: Buffer): boolean;
  /** Bounded reads of headers and tables only; never throws for bad input (returns reasons). */
  inspect(source: ByteSource, limits: InspectLimits): Promise<InspectResult>;
  /** Opens a reader on a source the inspector found safe. */
  open(source: ByteSource, inspected: InspectResult): Promise<DiskReader>;
  /** Streams an image of this format to `out`; constant memory whatever the virtual size. */
  write?(
    input: ExtentSource,
    out: NodeJS.WritableStream,
    options: WriteOptions,
  ): Promise<{ bytesWritten: number }>;
  /**
   * Optional: writes to a local file that can be seeked, so tables can be patched after the data
   * (one pass over the input instead of map + data). `writeImage` prefers it when the output is a
   * path, and falls back to `write` on a file stream otherwise.
   */
  writeFile?(
    input: ExtentSource,
    path: string,
    options: WriteOptions,
  ): Promise<{ bytesWritten: number }>;
}
