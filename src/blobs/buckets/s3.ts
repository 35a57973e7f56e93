/**
 * Bucket objects in an S3-compatible store: `<prefix>buckets/<bucket>/<key>` inside the one
 * configured S3 bucket.
 *
 * Uploads: bodies up to one part (8 MiB) are one PutObject; larger ones a multipart upload with
 * up to `PART_CONCURRENCY` parts in flight, completed only when the stream finishes and aborted
 * on error or destroy — S3 never shows an incomplete multipart object, so nothing partial is ever
 * visible under the key. Memory: at most (concurrency + 1) parts.
 *
 * Resumable multipart uploads (multipart.ts) use the store's own multipart API for the bytes
 * (CreateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload), and keep
 * what the protocol needs beside them under `<prefix>multipart/<upload ID>/`:
 *   - `upload.json`: bucket, key, owner, part size, when initiated, and the store's upload ID;
 *   - `parts/<NNNNN>/<stamp>.<size>.<md5>.<store ETag>`: one empty object per stored part, its
 *     facts in its name, so a single ListObjects page describes 1000 parts.
 * We do not rely on ListParts or ListMultipartUploads: s3rver, which the tests run against,
 * implements neither (nor AbortMultipartUpload, answered 405), and the facts a client checks (our
 * own MD5 of each part) are not what every store reports as a part's ETag (SSE-KMS, MinIO with
 * encryption). A part's record is removed before the part is sent again and written only after
 * the store acknowledged it, so a listed part is always one the store holds. Parts are at least
 * 5 MiB (S3's minimum for all parts but the last, which s3rver does not enforce); an S3 lifecycle
 * rule aborting incomplete multipart uploads is still worth setting on the bucket, for uploads
 * whose records a crash lost.
 */
import crypto from 'node:crypto';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Readable, Transform, Writable, pipeline as pipeStreams } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Config } from '../../config/index.js';
import { isNotFound, prefixed } from '../s3/client.js';
import {
  MAX_PART_SIZE_BYTES,
  MultipartError,
  UploadGuard,
  abortable,
  checkCompletion,
  checkPartLength,
  checkPartNumber,
  checkPartSize,
  isUploadId,
  newUploadId,
  noSuchUpload,
  partEtag,
  type CompletedPart,
  type MultipartUpload,
  type PartInfo,
  type PurgeUploadsOptions,
} from './multipart.js';
import {
  ObjectNotFoundError,
  checkObjectKey,
  type ByteRange,
  type ListObjectsOptions,
  type ListObjectsResult,
  type ObjectInfo,
  type ObjectStore,
  type ObjectWriteStream,
} from './object-store.js';

export const PART_SIZE_BYTES = 8 * 1024 * 1024;
const PART_CONCURRENCY = 3;
/** S3 refuses to complete an upload with a part under 5 MiB that is not the last. */
export const S3_MIN_PART_SIZE_BYTES = 5 * 1024 * 1024;
/** Record objects deleted at once when an upload ends. */
const DELETE_CONCURRENCY = 16;

/** What `upload.json` holds: the upload, and the store's own ID for it. */
interface StoredUpload extends MultipartUpload {
  storeUploadId: string;
}

/** A part's record: its facts, parsed from the record object's name. */
interface PartRecord {
  info: PartInfo;
  /** The ETag the store gave the part (CompleteMultipartUpload wants it back). */
  storeEtag: string;
  key: string;
}

export interface S3ObjectStoreOptions {
  /**
   * Smallest part size an upload may be initiated with (default S3's 5 MiB). Tests lower it to
   * keep their data small: s3rver does not enforce the minimum.
   */
  minPartSizeBytes?: number;
}

export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;
  readonly partSizeLimits: { minBytes: number; maxBytes: number };
  private readonly guard = new UploadGuard();

  constructor(
    private readonly client: S3Client,
    private readonly config: Pick<S3Config, 'bucket' | 'prefix'>,
    options: S3ObjectStoreOptions = {},
  ) {
    this.partSizeLimits = {
      minBytes: options.minPartSizeBytes ?? S3_MIN_PART_SIZE_BYTES,
      maxBytes: MAX_PART_SIZE_BYTES,
    };
  }

  private base(bucket: string): string {
    if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(bucket)) throw new Error(`invalid bucket ${bucket}`);
    return prefixed(this.config, `buckets/${bucket}/`);
  }

  private key(bucket: string, key: string): string {
    return this.base(bucket) + checkObjectKey(key);
  }

  // Buckets are prefixes: nothing to create or remove beyond their objects.
  async createBucket(bucket: string): Promise<void> {
    this.base(bucket);
  }

  async deleteBucket(bucket: string): Promise<void> {
    this.base(bucket);
  }

  async put(bucket: string, key: string, body: Readable | Buffer): Promise<ObjectInfo> {
    const out = this.createWriteStream(bucket, key);
    await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, out);
    return out.done;
  }

  createWriteStream(bucket: string, key: string): ObjectWriteStream {
    return new S3ObjectWriteStream(this.client, this.config.bucket, this.key(bucket, key), () =>
      this.head(bucket, key).then((info) => info!),
    );
  }

  async get(
    bucket: string,
    key: string,
    range?: ByteRange,
  ): Promise<{ info: ObjectInfo; body: Readable }> {
    const info = await this.head(bucket, key);
    if (!info) throw new ObjectNotFoundError(bucket, key);
    if (info.size === 0) return { info, body: Readable.from([]) };

    const end = Math.min(range?.end ?? info.size - 1, info.size - 1);
    const res = await this.client
      .send(
        new GetObjectCommand({
          Bucket: this.config.bucket,
          Key: this.key(bucket, key),
          Range: `bytes=${range?.start ?? 0}-${end}`,
          IfMatch: info.etag,
        }),
      )
      .catch((err) => {
        throw isNotFound(err) ? new ObjectNotFoundError(bucket, key) : err;
      });
    return { info, body: res.Body as Readable };
  }

  async read(bucket: string, key: string, offset: number, length: number): Promise<Buffer> {
    if (length <= 0) return Buffer.alloc(0);
    const res = await this.client
      .send(
        new GetObjectCommand({
          Bucket: this.config.bucket,
          Key: this.key(bucket, key),
          Range: `bytes=${offset}-${offset + length - 1}`,
        }),
      )
      .catch((err) => {
        if (isNotFound(err)) throw new ObjectNotFoundError(bucket, key);
        // Reading at or past the end: S3 answers 416; a ByteSource answers with no bytes.
        if (
          (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416
        ) {
          return undefined;
        }
        throw err;
      });
    if (!res) return Buffer.alloc(0);
    return Buffer.from(await res.Body!.transformToByteArray());
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    try {
      const res = await this.client.send(
        new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.key(bucket, key) }),
      );
      return {
        key,
        size: res.ContentLength ?? 0,
        lastModifiedMs: res.LastModified?.getTime() ?? 0,
        etag: res.ETag ?? '""',
      };
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async list(bucket: string, options: ListObjectsOptions = {}): Promise<ListObjectsResult> {
    const base = this.base(bucket);
    const maxKeys = Math.min(1000, Math.max(1, options.maxKeys ?? 100));
    // ListObjects (v1): its Marker is our marker, and s3rver's v2 paging is unreliable.
    const res = await this.client.send(
      new ListObjectsCommand({
        Bucket: this.config.bucket,
        Prefix: base + (options.prefix ?? ''),
        Marker: options.marker ? base + options.marker : undefined,
        Delimiter: options.delimiter || undefined,
        MaxKeys: maxKeys,
      }),
    );
    const objects = (res.Contents ?? []).map((o) => ({
      key: o.Key!.slice(base.length),
      size: o.Size ?? 0,
      lastModifiedMs: o.LastModified?.getTime() ?? 0,
      etag: o.ETag ?? '""',
    }));
    const commonPrefixes = (res.CommonPrefixes ?? []).map((p) => p.Prefix!.slice(base.length));
    const isTruncated = res.IsTruncated === true;
    // The next page starts after the last entry; after a common prefix, after all keys below it.
    const lastObject = objects.at(-1)?.key;
    const lastPrefix = commonPrefixes.at(-1);
    const last =
      lastPrefix !== undefined && (lastObject === undefined || lastPrefix > lastObject)
        ? lastPrefix + '\u{10ffff}'
        : lastObject;
    return { objects, commonPrefixes, isTruncated, nextMarker: isTruncated ? last : undefined };
  }

  async delete(bucket: string, key: string): Promise<boolean> {
    if (!(await this.head(bucket, key))) return false;
    await this.client.send(
      new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.key(bucket, key) }),
    );
    return true;
  }

  async initiateMultipartUpload(
    bucket: string,
    key: string,
    options: { partSizeBytes: number; owner: string },
  ): Promise<MultipartUpload> {
    checkPartSize(options.partSizeBytes, this.partSizeLimits);
    const created = await this.client.send(
      new CreateMultipartUploadCommand({ Bucket: this.config.bucket, Key: this.key(bucket, key) }),
    );
    const upload: StoredUpload = {
      uploadId: newUploadId(),
      bucket,
      key,
      partSizeBytes: options.partSizeBytes,
      initiatedMs: Date.now(),
      owner: options.owner,
      storeUploadId: created.UploadId!,
    };
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.config.bucket,
          Key: this.uploadBase(upload.uploadId) + 'upload.json',
          Body: JSON.stringify(upload),
          ContentType: 'application/json',
        }),
      );
    } catch (err) {
      await this.abortStoreUpload(bucket, key, upload.storeUploadId).catch(() => undefined);
      throw err;
    }
    return publicUpload(upload);
  }

  async getMultipartUpload(bucket: string, key: string, uploadId: string) {
    return publicUpload(await this.requireUpload(bucket, key, uploadId));
  }

  async uploadPart(
    bucket: string,
    key: string,
    uploadId: string,
    partNumber: number,
    body: NodeJS.ReadableStream | Buffer,
    sizeBytes: number,
  ): Promise<PartInfo> {
    checkPartNumber(partNumber);
    const upload = await this.requireUpload(bucket, key, uploadId);
    checkPartLength(upload, sizeBytes);
    const source = Buffer.isBuffer(body) ? Readable.from([body]) : (body as Readable);

    return this.guard.part(uploadId, partNumber, async (signal) => {
      // The store is about to hold other bytes under this number: the part stops being listed.
      await this.deleteRecords(await this.listRecords(uploadId, partNumber));

      const meter = new PartMeter(upload.partSizeBytes);
      // The SDK pipes the body without watching its errors: a body that fails mid-way must
      // abort the request, or the store would wait for the missing bytes.
      const request = new AbortController();
      meter.once('error', (err) => request.abort(err));
      pipeStreams(source, meter, () => undefined);
      const watch = abortable(source, signal);

      const sending = this.client
        .send(
          new UploadPartCommand({
            Bucket: this.config.bucket,
            Key: this.key(bucket, key),
            UploadId: upload.storeUploadId,
            PartNumber: partNumber,
            Body: meter,
            ContentLength: sizeBytes,
          }),
          { abortSignal: request.signal },
        )
        .catch((err) => {
          meter.destroy();
          throw translateStoreError(err, uploadId);
        });
      // Both must succeed: the store may have taken every byte before the body failed at its
      // very end (a BadDigest found once the last byte was read). The body's failure, when it
      // has one, is the answer.
      const [sent, ended] = await Promise.allSettled([sending, meter.ended]);
      watch.stop();
      if (ended.status === 'rejected' && !(ended.reason instanceof PartStreamClosed)) {
        throw ended.reason;
      }
      if (sent.status === 'rejected') throw sent.reason;
      if (ended.status === 'rejected') throw ended.reason;
      const storeEtag = sent.value.ETag ?? '';
      if (meter.bytes !== sizeBytes) {
        throw new MultipartError(
          'InvalidArgument',
          `the part's body is ${meter.bytes} bytes, not the ${sizeBytes} declared`,
        );
      }

      const info: PartInfo = {
        partNumber,
        size: meter.bytes,
        etag: partEtag(meter.digest()),
        lastModifiedMs: Date.now(),
      };
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.config.bucket,
          Key: this.recordKey(uploadId, info, storeEtag),
          Body: '',
        }),
      );
      return info;
    });
  }

  async listParts(bucket: string, key: string, uploadId: string): Promise<PartInfo[]> {
    await this.requireUpload(bucket, key, uploadId);
    return (await this.currentRecords(uploadId)).map((r) => r.info);
  }

  async completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: CompletedPart[],
  ): Promise<ObjectInfo> {
    await this.requireUpload(bucket, key, uploadId);

    return this.guard.close(uploadId, async () => {
      const upload = await this.requireUpload(bucket, key, uploadId);
      const records = await this.currentRecords(uploadId);
      const checked = checkCompletion(
        upload,
        records.map((r) => r.info),
        parts,
      );
      const storeEtags = new Map(records.map((r) => [r.info.partNumber, r.storeEtag]));

      await this.client
        .send(
          new CompleteMultipartUploadCommand({
            Bucket: this.config.bucket,
            Key: this.key(bucket, key),
            UploadId: upload.storeUploadId,
            MultipartUpload: {
              Parts: checked.parts.map((p) => ({
                PartNumber: p.partNumber,
                ETag: storeEtags.get(p.partNumber),
              })),
            },
          }),
        )
        .catch((err) => {
          throw translateStoreError(err, uploadId);
        });
      await this.deleteUpload(uploadId);
      const info = await this.head(bucket, key);
      if (!info) throw new ObjectNotFoundError(bucket, key);
      return info;
    });
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    await this.requireUpload(bucket, key, uploadId);
    await this.guard.close(uploadId, async () => {
      const upload = await this.requireUpload(bucket, key, uploadId);
      await this.abortStoreUpload(bucket, key, upload.storeUploadId);
      await this.deleteUpload(uploadId);
    });
  }

  async purgeMultipartUploads(options: PurgeUploadsOptions): Promise<number> {
    const root = prefixed(this.config, 'multipart/');
    let purged = 0;
    let marker: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsCommand({
          Bucket: this.config.bucket,
          Prefix: root,
          Delimiter: '/',
          Marker: marker,
        }),
      );
      const ids = (page.CommonPrefixes ?? []).map((p) => p.Prefix!.slice(root.length, -1));
      for (const id of ids.filter(isUploadId)) {
        const upload = await this.readUpload(id);
        if (!upload) {
          // Records without an upload (a part that finished after an abort): nobody can use
          // them, so any collection may drop them.
          if (options.bucket === undefined && options.initiatedBeforeMs !== undefined) {
            await this.deleteUpload(id);
            purged++;
          }
          continue;
        }
        if (options.bucket !== undefined && upload.bucket !== options.bucket) continue;
        if (
          options.initiatedBeforeMs !== undefined &&
          upload.initiatedMs >= options.initiatedBeforeMs
        ) {
          continue;
        }
        try {
          await this.abortMultipartUpload(upload.bucket, upload.key, id);
          purged++;
        } catch (err) {
          if (!(err instanceof MultipartError && err.code === 'NoSuchUpload')) throw err;
        }
      }
      marker = page.IsTruncated
        ? (page.NextMarker ?? page.CommonPrefixes?.at(-1)?.Prefix)
        : undefined;
    } while (marker);
    return purged;
  }

  private uploadBase(uploadId: string): string {
    // Only IDs of our own form become keys.
    if (!isUploadId(uploadId)) throw noSuchUpload(uploadId);
    return prefixed(this.config, `multipart/${uploadId}/`);
  }

  private recordKey(uploadId: string, part: PartInfo, storeEtag: string): string {
    const md5 = part.etag.replace(/"/g, '').toLowerCase();
    const etag = Buffer.from(storeEtag).toString('base64url');
    const stamp = String(part.lastModifiedMs).padStart(13, '0');
    return `${this.partsPrefix(uploadId, part.partNumber)}${stamp}.${part.size}.${md5}.${etag}`;
  }

  /** `…/parts/` or, for one part, `…/parts/00042/` (zero-padded: listings come in order). */
  private partsPrefix(uploadId: string, partNumber?: number): string {
    const base = `${this.uploadBase(uploadId)}parts/`;
    return partNumber === undefined ? base : `${base}${String(partNumber).padStart(5, '0')}/`;
  }

  private async readUpload(uploadId: string): Promise<StoredUpload | undefined> {
    try {
      const res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.config.bucket,
          Key: this.uploadBase(uploadId) + 'upload.json',
        }),
      );
      return JSON.parse(await res.Body!.transformToString()) as StoredUpload;
    } catch (err) {
      if (err instanceof MultipartError || err instanceof SyntaxError || isNotFound(err)) {
        return undefined;
      }
      throw err;
    }
  }

  private async requireUpload(bucket: string, key: string, uploadId: string) {
    const upload = await this.readUpload(uploadId);
    if (!upload || upload.bucket !== bucket || upload.key !== key) throw noSuchUpload(uploadId);
    return upload;
  }

  /** Every part record of the upload (or of one part), replaced ones included. */
  private async listRecords(uploadId: string, partNumber?: number): Promise<PartRecord[]> {
    const prefix = this.partsPrefix(uploadId, partNumber);
    const base = this.partsPrefix(uploadId);
    const records: PartRecord[] = [];
    let marker: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsCommand({ Bucket: this.config.bucket, Prefix: prefix, Marker: marker }),
      );
      for (const o of page.Contents ?? []) {
        const m = /^(\d{5})\/(\d{13})\.(\d+)\.([0-9a-f]{32})\.([\w-]*)$/.exec(
          o.Key!.slice(base.length),
        );
        if (!m) continue;
        records.push({
          key: o.Key!,
          storeEtag: Buffer.from(m[5], 'base64url').toString(),
          info: {
            partNumber: Number(m[1]),
            lastModifiedMs: Number(m[2]),
            size: Number(m[3]),
            etag: partEtag(m[4]),
          },
        });
      }
      marker = page.IsTruncated ? page.Contents?.at(-1)?.Key : undefined;
    } while (marker);
    return records;
  }

  /** The newest record of each part (an older one is a replaced part whose delete failed). */
  private async currentRecords(uploadId: string): Promise<PartRecord[]> {
    const newest = new Map<number, PartRecord>();
    for (const r of await this.listRecords(uploadId)) {
      const seen = newest.get(r.info.partNumber);
      if (!seen || r.info.lastModifiedMs >= seen.info.lastModifiedMs) {
        newest.set(r.info.partNumber, r);
      }
    }
    return [...newest.values()].sort((a, b) => a.info.partNumber - b.info.partNumber);
  }

  private async deleteRecords(records: Array<{ key: string }>): Promise<void> {
    for (let i = 0; i < records.length; i += DELETE_CONCURRENCY) {
      await Promise.all(
        records
          .slice(i, i + DELETE_CONCURRENCY)
          .map((r) =>
            this.client.send(new DeleteObjectCommand({ Bucket: this.config.bucket, Key: r.key })),
          ),
      );
    }
  }

  /** Drops `upload.json` first (the upload is gone at once), then the part records. */
  private async deleteUpload(uploadId: string): Promise<void> {
    await this.client.send(
      new DeleteObjectCommand({
        Bucket: this.config.bucket,
        Key: this.uploadBase(uploadId) + 'upload.json',
      }),
    );
    await this.deleteRecords(await this.listRecords(uploadId));
  }

  /**
   * AbortMultipartUpload. An upload the store no longer knows is gone already; a store that
   * does not implement the call (s3rver answers 405) keeps the parts, and nothing we can send
   * would drop them.
   */
  private async abortStoreUpload(bucket: string, key: string, storeUploadId: string) {
    try {
      await this.client.send(
        new AbortMultipartUploadCommand({
          Bucket: this.config.bucket,
          Key: this.key(bucket, key),
          UploadId: storeUploadId,
        }),
      );
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== 404 && status !== 405 && status !== 501) throw err;
    }
  }

  async close(): Promise<void> {}
}

function publicUpload(upload: StoredUpload): MultipartUpload {
  const { storeUploadId: _storeUploadId, ...rest } = upload;
  return rest;
}

/** The store's refusals of a part or a completion, as the protocol's codes. */
function translateStoreError(err: unknown, uploadId: string): unknown {
  const name = (err as { name?: string }).name;
  if (name === 'NoSuchUpload') return noSuchUpload(uploadId);
  if (name === 'InvalidPart') {
    return new MultipartError(
      'InvalidPart',
      'the store holds another version of a part (sent twice at once?); upload it again',
    );
  }
  return err;
}

/** The part's stream was closed before its end without an error of its own. */
class PartStreamClosed extends Error {
  constructor() {
    super('the part stream closed before its end');
  }
}

/**
 * Passes a part's bytes through, counting them and hashing them with MD5, and fails as soon as
 * they pass `limit` (EntityTooLarge). `digest()` is available once the stream has ended.
 */
export class PartMeter extends Transform {
  bytes = 0;
  private readonly hash = crypto.createHash('md5');
  private md5?: string;
  /** Settles when the last byte went through (or with the stream's error). */
  readonly ended: Promise<void>;

  constructor(private readonly limit: number) {
    super();
    this.ended = new Promise((resolve, reject) => {
      this.once('finish', () => resolve());
      this.once('error', reject);
      this.once('close', () => reject(new PartStreamClosed()));
    });
    this.ended.catch(() => undefined);
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    if (this.bytes > this.limit) {
      cb(new MultipartError('EntityTooLarge', `a part of this upload is at most ${this.limit}`));
      return;
    }
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.md5 = this.hash.digest('hex');
    cb();
  }

  digest(): string {
    if (this.md5 === undefined) throw new Error('the part has not ended');
    return this.md5;
  }
}

class S3ObjectWriteStream extends Writable implements ObjectWriteStream {
  readonly done: Promise<ObjectInfo>;
  private resolve!: (info: ObjectInfo) => void;
  private reject!: (err: Error) => void;
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  private uploadId?: string;
  private readonly parts: Array<Promise<{ PartNumber: number; ETag?: string }>> = [];
  private readonly inFlight = new Set<Promise<unknown>>();
  /** The flush a pending `_write` runs; `_destroy` waits for it before aborting the upload. */
  private flushing?: Promise<void>;
  private committed = false;

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly describe: () => Promise<ObjectInfo>,
  ) {
    super({ highWaterMark: PART_SIZE_BYTES });
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    this.done.catch(() => undefined);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.buffered.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes < PART_SIZE_BYTES) return cb();
    this.flushing = this.flushParts(false);
    this.flushing.then(() => cb(), cb);
  }

  /**
   * Sends every whole part buffered (and, at the end, the remainder) as parts. Stops once the
   * stream is destroyed: Node calls `_destroy` without waiting for a pending `_write`, and an
   * upload this loop went on to create or fill would then never be aborted.
   */
  private async flushParts(final: boolean): Promise<void> {
    while (
      !this.destroyed &&
      (this.bufferedBytes >= PART_SIZE_BYTES || (final && this.bufferedBytes > 0))
    ) {
      const all = Buffer.concat(this.buffered);
      const size = final ? all.length : PART_SIZE_BYTES;
      const part = all.subarray(0, size);
      this.buffered = size < all.length ? [all.subarray(size)] : [];
      this.bufferedBytes = all.length - size;

      if (!this.uploadId) {
        const res = await this.client.send(
          new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: this.key }),
        );
        this.uploadId = res.UploadId!;
      }
      while (this.inFlight.size >= PART_CONCURRENCY) await Promise.race(this.inFlight);
      if (this.destroyed) return;

      const PartNumber = this.parts.length + 1;
      const sent = this.client
        .send(
          new UploadPartCommand({
            Bucket: this.bucket,
            Key: this.key,
            UploadId: this.uploadId,
            PartNumber,
            Body: part,
            ContentLength: part.length,
          }),
        )
        .then((r) => ({ PartNumber, ETag: r.ETag }));
      this.parts.push(sent);
      const tracked: Promise<unknown> = sent.then(
        () => this.inFlight.delete(tracked),
        () => this.inFlight.delete(tracked),
      );
      this.inFlight.add(tracked);
    }
  }

  override _final(cb: (err?: Error | null) => void): void {
    (async () => {
      if (!this.uploadId) {
        // Small object: one atomic PUT.
        const body = Buffer.concat(this.buffered);
        await this.client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.key,
            Body: body,
            ContentLength: body.length,
          }),
        );
      } else {
        await this.flushParts(true);
        const parts = await Promise.all(this.parts);
        // Destroyed meanwhile: `_destroy` aborts the upload; completing it would publish it.
        if (this.destroyed) throw new Error('upload aborted');
        await this.client.send(
          new CompleteMultipartUploadCommand({
            Bucket: this.bucket,
            Key: this.key,
            UploadId: this.uploadId,
            MultipartUpload: { Parts: parts },
          }),
        );
      }
      this.committed = true;
      this.buffered = [];
      this.resolve(await this.describe());
    })().then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    (async () => {
      this.buffered = [];
      if (this.committed) return;
      // A flush still creating the upload or waiting for a free slot: its upload ID and parts
      // must be known before the abort, or they would outlive it.
      await this.flushing?.catch(() => undefined);
      if (this.uploadId) {
        await Promise.allSettled(this.parts);
        await this.client
          .send(
            new AbortMultipartUploadCommand({
              Bucket: this.bucket,
              Key: this.key,
              UploadId: this.uploadId,
            }),
          )
          .catch(() => undefined);
      }
      this.reject(err ?? new Error('upload aborted'));
    })().then(
      () => cb(err),
      () => cb(err),
    );
  }
}
