/**
 * Multipart uploads of bucket objects, as OSS and S3 users know them: initiate (an upload ID),
 * upload parts 1–10000 in any order and as often as needed, list what is stored so far (to resume
 * an interrupted upload), then complete — the object appears whole under its key — or abort.
 *
 * What both backends share lives here: the part rules, the coded errors, the check of a
 * completion list, and the in-process guard that keeps a part's writers and a completion apart.
 *
 * Where we differ from OSS (and S3), deliberately, so that the filesystem backend can write each
 * part straight to its place in the final file:
 *   - the part size is fixed when the upload is initiated; every part but the last is exactly
 *     that long (EntityTooSmall at completion otherwise), and no part is longer (EntityTooLarge);
 *   - a completion lists parts 1, 2, … K without gaps (OSS only asks for ascending numbers);
 *   - part ETags are the quoted upper-case hex MD5 of the part's bytes on every backend (OSS's
 *     form), computed by us, so a client can check a stored part against its own bytes.
 */
import crypto from 'node:crypto';
import type { ObjectInfo } from './object-store.js';

/** OSS and S3 both number parts 1–10000. */
export const MAX_PART_NUMBER = 10_000;
/** OSS's smallest part (S3's is 5 MiB: the S3 backend raises it). */
export const MIN_PART_SIZE_BYTES = 100 * 1024;
/** OSS's and S3's largest part. */
export const MAX_PART_SIZE_BYTES = 5 * 1024 * 1024 * 1024;
/** The part size of an upload initiated without one. */
export const DEFAULT_PART_SIZE_BYTES = 8 * 1024 * 1024;

/** 32 upper-case hex digits, as OSS's upload IDs; anything else names no upload. */
const UPLOAD_ID = /^[0-9A-F]{32}$/;

export function newUploadId(): string {
  return crypto.randomBytes(16).toString('hex').toUpperCase();
}

export function isUploadId(text: string): boolean {
  return UPLOAD_ID.test(text);
}

export interface MultipartUpload {
  uploadId: string;
  bucket: string;
  key: string;
  /** Every part but the last is exactly this long. */
  partSizeBytes: number;
  initiatedMs: number;
  /** Opaque to the store: who may use the upload (the domain keeps the account ID here). */
  owner: string;
}

export interface PartInfo {
  partNumber: number;
  size: number;
  /** `"<MD5 of the part's bytes, upper-case hex>"`. */
  etag: string;
  lastModifiedMs: number;
}

/** One entry of a completion list: which part, and the ETag the client was given for it. */
export interface CompletedPart {
  partNumber: number;
  etag: string;
}

/** What `purgeMultipartUploads` aborts: uploads of one bucket, or initiated before a time. */
export interface PurgeUploadsOptions {
  bucket?: string;
  initiatedBeforeMs?: number;
}

/**
 * The multipart half of an object store (both backends implement it).
 *
 * @example
 *   const up = await objects.initiateMultipartUpload('images', 'disk.raw', {
 *     partSizeBytes: 8 << 20, owner: accountId });
 *   const p1 = await objects.uploadPart('images', 'disk.raw', up.uploadId, 1, body1, 8 << 20);
 *   const p2 = await objects.uploadPart('images', 'disk.raw', up.uploadId, 2, body2, 1234);
 *   await objects.completeMultipartUpload('images', 'disk.raw', up.uploadId, [p1, p2]);
 */
export interface MultipartStore {
  /** The part sizes an upload may be initiated with on this backend. */
  readonly partSizeLimits: { minBytes: number; maxBytes: number };
  initiateMultipartUpload(
    bucket: string,
    key: string,
    options: { partSizeBytes: number; owner: string },
  ): Promise<MultipartUpload>;
  /** The open upload `uploadId` of `bucket/key`; MultipartError NoSuchUpload otherwise. */
  getMultipartUpload(bucket: string, key: string, uploadId: string): Promise<MultipartUpload>;
  /**
   * Stores part `partNumber` (streamed, constant memory), replacing an earlier one of that
   * number. `sizeBytes` is the body's length (S3 needs it before the first byte). The part is
   * listed only once all its bytes are durably stored; a body that fails leaves the part absent.
   */
  uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: NodeJS.ReadableStream | Buffer,
    sizeBytes: number,
  ): Promise<PartInfo>;
  /** The parts stored so far, by number. */
  listParts(bucket: string, key: string, uploadId: string): Promise<PartInfo[]>;
  /**
   * Makes parts 1…K (as listed) the object `bucket/key`, atomically; parts stored beyond K are
   * dropped. The upload is gone afterwards. A refused list (see `checkCompletion`) leaves the
   * upload as it was.
   */
  completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: CompletedPart[],
  ): Promise<ObjectInfo>;
  /** Drops the upload and its parts; nothing of it remains. */
  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void>;
  /** Aborts the uploads `options` picks (and remains of broken ones); returns how many. */
  purgeMultipartUploads(options: PurgeUploadsOptions): Promise<number>;
}

/**
 * An object store whose multipart half lives in a class of its own: it extends this and hands
 * every MultipartStore call to `multipart`, so callers keep one object for both halves.
 *
 * @example
 *   class FsObjectStore extends MultipartForwarder implements ObjectStore {
 *     protected readonly multipart = new FsMultipartUploads({ root, pathOf, bucketDir });
 *   }
 */
export abstract class MultipartForwarder implements MultipartStore {
  protected abstract readonly multipart: MultipartStore;

  get partSizeLimits(): { minBytes: number; maxBytes: number } {
    return this.multipart.partSizeLimits;
  }

  initiateMultipartUpload(
    bucket: string,
    key: string,
    options: { partSizeBytes: number; owner: string },
  ): Promise<MultipartUpload> {
    return this.multipart.initiateMultipartUpload(bucket, key, options);
  }

  getMultipartUpload(bucket: string, key: string, uploadId: string): Promise<MultipartUpload> {
    return this.multipart.getMultipartUpload(bucket, key, uploadId);
  }

  uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: NodeJS.ReadableStream | Buffer,
    sizeBytes: number,
  ): Promise<PartInfo> {
    return this.multipart.uploadPart(bucket, key, uploadId, partNumber, body, sizeBytes);
  }

  listParts(bucket: string, key: string, uploadId: string): Promise<PartInfo[]> {
    return this.multipart.listParts(bucket, key, uploadId);
  }

  completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: CompletedPart[],
  ): Promise<ObjectInfo> {
    return this.multipart.completeMultipartUpload(bucket, key, uploadId, parts);
  }

  abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    return this.multipart.abortMultipartUpload(bucket, key, uploadId);
  }

  purgeMultipartUploads(options: PurgeUploadsOptions): Promise<number> {
    return this.multipart.purgeMultipartUploads(options);
  }
}

export type MultipartErrorCode =
  | 'NoSuchUpload'
  | 'InvalidPart'
  | 'InvalidPartOrder'
  | 'EntityTooSmall'
  | 'EntityTooLarge'
  | 'InvalidArgument';

/** A refusal of the multipart protocol, under the OSS code the domain answers with. */
export class MultipartError extends Error {
  constructor(
    readonly code: MultipartErrorCode,
    readonly reason = '',
  ) {
    super(`${code}${reason ? `: ${reason}` : ''}`);
    this.name = 'MultipartError';
  }
}

export function noSuchUpload(uploadId: string): MultipartError {
  return new MultipartError('NoSuchUpload', `no open upload ${uploadId} for this object`);
}

/** The record of an upload initiated now; a backend may add facts of its own before storing it. */
export function newUpload(
  bucket: string,
  key: string,
  options: { partSizeBytes: number; owner: string },
): MultipartUpload {
  return {
    uploadId: newUploadId(),
    bucket,
    key,
    partSizeBytes: options.partSizeBytes,
    initiatedMs: Date.now(),
    owner: options.owner,
  };
}

/**
 * `upload` (as read from the store) when it is an open upload of `bucket/key`; NoSuchUpload
 * otherwise, worded as for a missing ID: an upload ID is no use with another object.
 */
export function checkUploadOf<T extends MultipartUpload>(
  upload: T | undefined,
  bucket: string,
  key: string,
  uploadId: string,
): T {
  if (!upload || upload.bucket !== bucket || upload.key !== key) throw noSuchUpload(uploadId);
  return upload;
}

/** `"ABC…"`: the ETag of a part whose MD5 is `md5Hex`. */
export function partEtag(md5Hex: string): string {
  return `"${md5Hex.toUpperCase()}"`;
}

/** ETags compare without their quotes and case, as OSS and S3 compare them. */
export function sameEtag(a: string, b: string): boolean {
  const bare = (s: string) => s.replace(/"/g, '').trim().toUpperCase();
  return bare(a) === bare(b);
}

export function checkPartNumber(partNumber: number): void {
  if (!Number.isInteger(partNumber) || partNumber < 1 || partNumber > MAX_PART_NUMBER) {
    throw new MultipartError(
      'InvalidArgument',
      `a part number is a whole number from 1 to ${MAX_PART_NUMBER}`,
    );
  }
}

export function checkPartSize(
  partSizeBytes: number,
  limits: { minBytes: number; maxBytes: number },
): void {
  if (
    !Number.isSafeInteger(partSizeBytes) ||
    partSizeBytes < limits.minBytes ||
    partSizeBytes > limits.maxBytes
  ) {
    throw new MultipartError(
      'InvalidArgument',
      `the part size is ${limits.minBytes}-${limits.maxBytes} bytes here`,
    );
  }
}

/** A part longer than its upload's part size is refused before (or while) it is read. */
export function checkPartLength(upload: MultipartUpload, sizeBytes: number): void {
  if (sizeBytes > upload.partSizeBytes) {
    throw new MultipartError(
      'EntityTooLarge',
      `a part of this upload is at most ${upload.partSizeBytes} bytes`,
    );
  }
}

/** A part's body ended after `receivedBytes`: it must be the length the request declared. */
export function checkPartBody(receivedBytes: number, sizeBytes: number): void {
  if (receivedBytes !== sizeBytes) {
    throw new MultipartError(
      'InvalidArgument',
      `the part's body is ${receivedBytes} bytes, not the ${sizeBytes} declared`,
    );
  }
}

/**
 * The parts a completion list names, in order, once it passes the rules every backend applies:
 * a list of 1…K without gaps, ascending (InvalidPartOrder), each part stored with the ETag given
 * (InvalidPart), and each part but the last exactly the upload's part size (EntityTooSmall).
 */
export function checkCompletion(
  upload: MultipartUpload,
  stored: PartInfo[],
  requested: CompletedPart[],
): { parts: PartInfo[]; size: number } {
  if (requested.length === 0 || requested.length > MAX_PART_NUMBER) {
    throw new MultipartError('InvalidPart', `a completion lists 1-${MAX_PART_NUMBER} parts`);
  }
  for (let i = 1; i < requested.length; i++) {
    if (!(requested[i].partNumber > requested[i - 1].partNumber)) {
      throw new MultipartError('InvalidPartOrder', 'parts are listed by ascending number');
    }
  }

  const byNumber = new Map(stored.map((p) => [p.partNumber, p]));
  const parts: PartInfo[] = [];
  let size = 0;
  for (let i = 0; i < requested.length; i++) {
    const want = requested[i];
    // Part N starts at (N - 1) × part size in the object: a gap would leave a hole.
    if (want.partNumber !== i + 1) {
      throw new MultipartError(
        'InvalidPart',
        `parts are numbered 1, 2, 3… without gaps; part ${i + 1} is not listed`,
      );
    }
    const have = byNumber.get(want.partNumber);
    if (!have) {
      throw new MultipartError('InvalidPart', `part ${want.partNumber} has not been uploaded`);
    }
    if (typeof want.etag !== 'string' || !sameEtag(have.etag, want.etag)) {
      throw new MultipartError(
        'InvalidPart',
        `part ${want.partNumber} is stored with ETag ${have.etag}, not ${want.etag}`,
      );
    }
    if (i < requested.length - 1 && have.size !== upload.partSizeBytes) {
      throw new MultipartError(
        'EntityTooSmall',
        `part ${have.partNumber} is ${have.size} bytes; every part but the last is ` +
          `${upload.partSizeBytes}`,
      );
    }
    parts.push(have);
    size += have.size;
  }
  return { parts, size };
}

/**
 * One upload's turn in `purgeMultipartUploads`: runs `abort` when `options` picks `upload`, and
 * says whether it aborted it. An upload another closer completed or aborted first is not counted.
 */
export async function purgeUpload(
  upload: MultipartUpload,
  options: PurgeUploadsOptions,
  abort: () => Promise<void>,
): Promise<boolean> {
  if (options.bucket !== undefined && upload.bucket !== options.bucket) return false;
  if (options.initiatedBeforeMs !== undefined && upload.initiatedMs >= options.initiatedBeforeMs) {
    return false;
  }

  try {
    await abort();
    return true;
  } catch (err) {
    if (!(err instanceof MultipartError && err.code === 'NoSuchUpload')) throw err;
    return false;
  }
}

interface UploadState {
  /** A completion or abort is under way: new part writers are refused. */
  closing?: Promise<unknown>;
  /** Per part number, the end of the queue of its writers. */
  tails: Map<number, Promise<void>>;
  writers: Set<{ controller: AbortController; done: Promise<void> }>;
  /** Closers waiting for the one under way. */
  waiting: number;
}

/**
 * Keeps the writers of one upload apart within this process: writers of the same part take
 * turns (a retried part must not interleave with the attempt it replaces), and a completion or
 * abort first stops the part writers in flight and refuses new ones, so no byte lands in a file
 * that is becoming the object.
 *
 * TODO(oss-multipart-locks): the guard is per process. Servers sharing one store (several
 * `serve` on one data folder or one S3 bucket) do not coordinate; a client that sends the same
 * part to two of them at once, or completes while a part is in flight elsewhere, can store a
 * mixed part. A lock in the metadata database would close this.
 */
export class UploadGuard {
  private readonly uploads = new Map<string, UploadState>();

  private state(uploadId: string): UploadState {
    let s = this.uploads.get(uploadId);
    if (!s) {
      s = { tails: new Map(), writers: new Set(), waiting: 0 };
      this.uploads.set(uploadId, s);
    }
    return s;
  }

  private forget(uploadId: string, s: UploadState): void {
    const idle = !s.closing && s.waiting === 0 && s.tails.size === 0 && s.writers.size === 0;
    if (idle) this.uploads.delete(uploadId);
  }

  /** Runs `write` as the only writer of one part; `signal` aborts when the upload closes. */
  async part<T>(
    uploadId: string,
    partNumber: number,
    write: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const s = this.state(uploadId);
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const previous = s.tails.get(partNumber) ?? Promise.resolve();
    const tail = previous.then(() => mine);
    s.tails.set(partNumber, tail);

    const writer = { controller: new AbortController(), done: mine };
    try {
      await previous;
      if (s.closing) throw noSuchUpload(uploadId);
      s.writers.add(writer);
      return await write(writer.controller.signal);
    } finally {
      s.writers.delete(writer);
      release();
      if (s.tails.get(partNumber) === tail) s.tails.delete(partNumber);
      this.forget(uploadId, s);
    }
  }

  /** Runs `close` (a completion or an abort) with no part writer running. */
  async close<T>(uploadId: string, close: () => Promise<T>): Promise<T> {
    const s = this.state(uploadId);
    // One closer at a time: the second finds the upload gone, or still there after a refusal.
    s.waiting++;
    while (s.closing) await s.closing.catch(() => undefined);
    s.waiting--;

    const run = (async () => {
      for (const w of s.writers) w.controller.abort(noSuchUpload(uploadId));
      await Promise.all([...s.writers].map((w) => w.done));
      return close();
    })();
    s.closing = run;
    try {
      return await run;
    } finally {
      s.closing = undefined;
      this.forget(uploadId, s);
    }
  }
}

/** `body` as a stream that fails with `signal`'s reason when it aborts. */
export function abortable(body: NodeJS.ReadableStream, signal: AbortSignal): { stop: () => void } {
  const onAbort = () =>
    (body as NodeJS.ReadableStream & { destroy?: (err?: Error) => void }).destroy?.(
      signal.reason as Error,
    );
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  return { stop: () => signal.removeEventListener('abort', onAbort) };
}
