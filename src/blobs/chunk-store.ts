/**
 * The chunk store: immutable blocks of disk content, addressed by their SHA-256.
 *
 * Every disk (an image's disk, a snapshot) is a manifest of 4 MiB blocks, each either zero or the
 * address of a chunk here (see `manifest.ts`). Two backends implement `ChunkStore` and pass one
 * conformance suite (test/blobs/chunk-store.conformance.test.ts): a folder (`fs/`) and any
 * S3-compatible store (`s3/`).
 *
 * Addresses are opaque strings to everything but the writer that made them: today the lower-case
 * hex SHA-256 of the plaintext; encrypted images will use keyed hashes with a prefix.
 */
import crypto from 'node:crypto';

/** Disk content is cut into blocks of this size; a chunk is at most one block. */
export const CHUNK_SIZE_BYTES = 4 * 1024 * 1024;

/** What an address may look like: safe as a file name and an S3 key on every backend. */
export const CHUNK_ADDRESS_PATTERN = /^[0-9a-z][0-9a-z_-]{15,127}$/;

/** One stored chunk, as listed for the garbage collector. */
export interface ChunkInfo {
  address: string;
  size: number;
  /** When the chunk was stored (or last touched), epoch ms: the collector's grace period uses it. */
  modifiedMs: number;
}

export interface PutChunkResult {
  address: string;
  /** False when an identical chunk was already stored (nothing was written). */
  written: boolean;
}

/**
 * @example
 *   const { address } = await chunks.put(block);          // sha256 hex of `block`
 *   const again = await chunks.get(address);               // the same bytes
 *   for await (const c of chunks.list()) console.log(c.address, c.modifiedMs);
 */
export interface ChunkStore {
  readonly kind: 'fs' | 's3';
  /**
   * Stores `data` unless an identical chunk exists. The chunk appears complete or not at all:
   * backends write to a temporary name and rename (fs) or use a single atomic PUT (s3).
   * `address`, when given, is trusted as the data's address (the caller hashed it already).
   * An existing chunk is touched, so the collector's grace period protects a chunk just reused.
   */
  put(data: Buffer, options?: { address?: string }): Promise<PutChunkResult>;
  /**
   * Makes every chunk `put` so far (written or reused) durable under its address — the fs
   * backend flushes the folders its renames went into. Call it before publishing a manifest that
   * refers to them. Backends whose writes are durable when they return need not have it.
   */
  sync?(): Promise<void>;
  /**
   * The chunk's bytes; throws `ChunkNotFoundError` when absent. With `into`, a backend may read
   * into that buffer (when the chunk fits) and return a view of it instead of a new buffer.
   */
  get(address: string, options?: { into?: Buffer }): Promise<Buffer>;
  has(address: string): Promise<boolean>;
  /** Removes the chunk; false when it was not there. */
  delete(address: string): Promise<boolean>;
  /** Every chunk, in no particular order (for the garbage collector). */
  list(): AsyncIterable<ChunkInfo>;
  /**
   * The collector's two-step delete (see gc.ts): `quarantine` moves a chunk out of sight (false
   * when absent), then `restore` puts it back if a manifest turned out to refer to it after all,
   * or `purge` deletes it. `listQuarantined` finds what a crashed collection left in between.
   */
  quarantine(address: string): Promise<boolean>;
  restore(address: string): Promise<void>;
  purge(address: string): Promise<void>;
  listQuarantined(): AsyncIterable<string>;
  /** Removes leftovers of crashed writers older than `olderThanMs` (backends that have any). */
  cleanupTemporary?(olderThanMs: number, now?: number): Promise<number>;
  close(): Promise<void>;
}

export class ChunkNotFoundError extends Error {
  readonly code = 'CHUNK_NOT_FOUND';
  constructor(readonly address: string) {
    super(`chunk ${address} is not in the chunk store`);
    this.name = 'ChunkNotFoundError';
  }
}

/** The address of plaintext content: lower-case hex SHA-256. */
export function chunkAddress(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** Refuses an address that could escape a folder or break an S3 key. */
export function checkAddress(address: string): string {
  if (!CHUNK_ADDRESS_PATTERN.test(address)) {
    throw new Error(`invalid chunk address ${JSON.stringify(address.slice(0, 140))}`);
  }
  return address;
}

/**
 * Fetches chunks in order with up to `readAhead` requests in flight, so a reader waits for
 * storage latency once, not once per chunk.
 *
 * @example
 *   for await (const buf of readChunks(chunks, addresses, { readAhead: 4 })) out.write(buf);
 */
export async function* readChunks(
  store: Pick<ChunkStore, 'get'>,
  addresses: Iterable<string>,
  options: {
    readAhead?: number;
    signal?: AbortSignal;
    /** A buffer to read the next chunk into (see `ChunkStore.get`), when one is free. */
    buffer?: () => Buffer | undefined;
  } = {},
): AsyncIterable<Buffer> {
  const readAhead = Math.max(1, options.readAhead ?? 4);
  const queue: Promise<Buffer>[] = [];
  const it = addresses[Symbol.iterator]();
  let done = false;

  const fill = () => {
    while (!done && queue.length < readAhead) {
      const next = it.next();
      if (next.done) {
        done = true;
        break;
      }
      const into = options.buffer?.();
      const p = into ? store.get(next.value, { into }) : store.get(next.value);
      // Failures surface when awaited in order; this keeps Node from flagging them meanwhile.
      p.catch(() => undefined);
      queue.push(p);
    }
  };

  fill();
  while (queue.length > 0) {
    options.signal?.throwIfAborted();
    const buf = await queue.shift()!;
    fill();
    yield buf;
  }
}
