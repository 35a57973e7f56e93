/**
 * Objects of OSS buckets: the bytes behind `ecsimg oss cp`, ImportImage's input and ExportImage's
 * output. Which account and region a bucket belongs to is the domain's business
 * (domain/buckets/); this layer only stores bytes under (bucket, key).
 *
 * Two backends: a folder per bucket (`fs.ts`, the default) and an S3-compatible store (`s3.ts`).
 * Both make an object visible only once it is complete: a reader never sees half an upload.
 * Both also take resumable multipart uploads (`multipart.ts`).
 */
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ByteSource } from '../../formats/types.js';
import type { MultipartStore } from './multipart.js';

export * from './multipart.js';

export interface ObjectInfo {
  key: string;
  size: number;
  lastModifiedMs: number;
  /** Opaque version tag (quoted, as HTTP ETags are). */
  etag: string;
}

export interface ListObjectsOptions {
  prefix?: string;
  /** Keys strictly after this one (the previous page's `nextMarker`). */
  marker?: string;
  /** Page size, 1–1000 (default 100). */
  maxKeys?: number;
  /** Group keys sharing a prefix up to this string into `commonPrefixes` (usually `/`). */
  delimiter?: string;
}

export interface ListObjectsResult {
  objects: ObjectInfo[];
  commonPrefixes: string[];
  isTruncated: boolean;
  /** Pass as `marker` to get the next page (set when `isTruncated`). */
  nextMarker?: string;
}

/**
 * A Writable whose bytes become the object only when it finishes without error. `destroy()` or
 * an error before that discards everything written; `done` settles either way.
 */
export interface ObjectWriteStream extends Writable {
  readonly done: Promise<ObjectInfo>;
}

/** Inclusive byte range, as in HTTP `Range: bytes=start-end`. */
export interface ByteRange {
  start: number;
  /** Inclusive; absent = to the end. */
  end?: number;
}

/**
 * @example
 *   await objects.createBucket('my-images');
 *   await pipeline(
 *     fs.createReadStream('disk.qcow2'),
 *     objects.createWriteStream('my-images', 'disk.qcow2'),
 *   );
 *   const { body } = await objects.get('my-images', 'disk.qcow2', { start: 0, end: 511 });
 */
export interface ObjectStore extends MultipartStore {
  readonly kind: 'fs' | 's3';
  /** Prepares storage for a new bucket (idempotent). */
  createBucket(bucket: string): Promise<void>;
  /** Removes a bucket's storage; the caller has checked that it holds no objects. */
  deleteBucket(bucket: string): Promise<void>;
  /** Stores a whole body (streamed, any size). */
  put(bucket: string, key: string, body: Readable | Buffer): Promise<ObjectInfo>;
  createWriteStream(bucket: string, key: string): ObjectWriteStream;
  /**
   * Backends on a local file system only: `fill` writes the object as a file at the path it is
   * given (random access, so format writers that seek write in one pass and leave holes); the
   * file becomes `bucket/key` durably and atomically once `fill` resolves, and is removed if it
   * rejects. Nothing is visible under the key before that.
   */
  writeViaFile?(
    bucket: string,
    key: string,
    fill: (path: string) => Promise<void>,
  ): Promise<ObjectInfo>;
  /** Throws `ObjectNotFoundError` when absent; `range` is clamped to the object's size. */
  get(
    bucket: string,
    key: string,
    range?: ByteRange,
  ): Promise<{ info: ObjectInfo; body: Readable }>;
  /** Up to `length` bytes at `offset` (fewer only at the end). */
  read(bucket: string, key: string, offset: number, length: number): Promise<Buffer>;
  head(bucket: string, key: string): Promise<ObjectInfo | undefined>;
  list(bucket: string, options?: ListObjectsOptions): Promise<ListObjectsResult>;
  /** False when there was no such object. */
  delete(bucket: string, key: string): Promise<boolean>;
  close(): Promise<void>;
}

export class ObjectNotFoundError extends Error {
  readonly code = 'OBJECT_NOT_FOUND';
  constructor(
    readonly bucket: string,
    readonly key: string,
  ) {
    super(`object ${key} is not in bucket ${bucket}`);
    this.name = 'ObjectNotFoundError';
  }
}

/** A key the backends cannot store (see `checkObjectKey`). */
export class InvalidObjectKeyError extends Error {
  readonly code = 'INVALID_OBJECT_KEY';
}

/**
 * Bucket names are checked by the domain (OSS rules); a backend checks them again before one
 * becomes part of a path or key, whatever its caller.
 */
export function checkBucketName(bucket: string): void {
  if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(bucket)) throw new Error(`invalid bucket ${bucket}`);
}

/** OSS: 1–1023 bytes of UTF-8, not starting with `/` or `\`; we also refuse control characters. */
export const MAX_OBJECT_KEY_BYTES = 1023;

export function checkObjectKey(key: string): string {
  const bytes = Buffer.byteLength(key, 'utf8');
  if (bytes < 1 || bytes > MAX_OBJECT_KEY_BYTES) {
    throw new InvalidObjectKeyError(`an object key is 1-${MAX_OBJECT_KEY_BYTES} bytes long`);
  }
  if (key.startsWith('/') || key.startsWith('\\')) {
    throw new InvalidObjectKeyError('an object key must not start with / or \\');
  }
  if (/[\u0000-\u001f\u007f]/.test(key)) {
    throw new InvalidObjectKeyError('an object key must not contain control characters');
  }
  return key;
}

/** Applies prefix, marker, delimiter and page size to a sorted list of objects. */
export function pageObjects(
  sorted: ObjectInfo[],
  options: ListObjectsOptions = {},
): ListObjectsResult {
  const prefix = options.prefix ?? '';
  const maxKeys = Math.min(1000, Math.max(1, options.maxKeys ?? 100));
  const objects: ObjectInfo[] = [];
  const commonPrefixes: string[] = [];
  let last: string | undefined;

  for (const o of sorted) {
    if (!o.key.startsWith(prefix)) continue;
    if (options.marker !== undefined && o.key <= options.marker) continue;

    let entry: { prefix?: string; object?: ObjectInfo } = { object: o };
    if (options.delimiter) {
      const at = o.key.indexOf(options.delimiter, prefix.length);
      if (at >= 0) entry = { prefix: o.key.slice(0, at + options.delimiter.length) };
    }
    // A common prefix already reported (or reported on an earlier page) stays one entry.
    if (entry.prefix !== undefined) {
      if (commonPrefixes.at(-1) === entry.prefix) continue;
      if (options.marker !== undefined && options.marker.startsWith(entry.prefix)) continue;
    }
    if (objects.length + commonPrefixes.length >= maxKeys) {
      return { objects, commonPrefixes, isTruncated: true, nextMarker: last };
    }
    if (entry.object) {
      objects.push(entry.object);
      last = entry.object.key;
    } else {
      commonPrefixes.push(entry.prefix!);
      // The next page resumes after every key under this prefix.
      last = entry.prefix! + '\u{10ffff}';
    }
  }
  return { objects, commonPrefixes, isTruncated: false };
}

/** `ObjectStore.put` as both backends do it: the body through the store's own write stream. */
export async function putThroughStream(
  store: Pick<ObjectStore, 'createWriteStream'>,
  bucket: string,
  key: string,
  body: Readable | Buffer,
): Promise<ObjectInfo> {
  const out = store.createWriteStream(bucket, key);
  await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, out);
  return out.done;
}

/**
 * An object as random-access bytes for the formats library (ImportImage inspects and reads disk
 * files through it). The size is fixed when opened.
 *
 * @example
 *   const src = await openObjectSource(objects, 'my-images', 'disk.qcow2');
 *   const inspected = await inspectImage(src);
 */
export async function openObjectSource(
  store: ObjectStore,
  bucket: string,
  key: string,
): Promise<ByteSource & { info: ObjectInfo }> {
  const info = await store.head(bucket, key);
  if (!info) throw new ObjectNotFoundError(bucket, key);
  return {
    info,
    size: info.size,
    read: async (offset, length) => {
      if (offset >= info.size || length <= 0) return Buffer.alloc(0);
      return store.read(bucket, key, offset, Math.min(length, info.size - offset));
    },
    close: async () => undefined,
  };
}

/**
 * The Writable ExportImage writes a disk file through: visible as `bucket/key` only once it has
 * finished successfully, discarded on error or `destroy()`.
 *
 * @example
 *   const out = createObjectWriteStream(objects, 'exports', 'm-123_system.qcow2');
 *   await qcow2.write(reader, out, {});   // the writer ends the stream
 *   const info = await out.done;
 */
export function createObjectWriteStream(
  store: ObjectStore,
  bucket: string,
  key: string,
): ObjectWriteStream {
  return store.createWriteStream(bucket, key);
}
