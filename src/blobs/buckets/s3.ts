/**
 * Bucket objects in an S3-compatible store: `<prefix>buckets/<bucket>/<key>` inside the one
 * configured S3 bucket.
 *
 * Uploads: bodies up to one part (8 MiB) are one PutObject; larger ones a multipart upload with
 * up to `PART_CONCURRENCY` parts in flight, completed only when the stream finishes and aborted
 * on error or destroy — S3 never shows an incomplete multipart object, so nothing partial is ever
 * visible under the key. Memory: at most (concurrency + 1) parts.
 */
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
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { S3Config } from '../../config/index.js';
import { isNotFound, prefixed } from '../s3/client.js';
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

export class S3ObjectStore implements ObjectStore {
  readonly kind = 's3' as const;

  constructor(
    private readonly client: S3Client,
    private readonly config: Pick<S3Config, 'bucket' | 'prefix'>,
  ) {}

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

  async close(): Promise<void> {}
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
