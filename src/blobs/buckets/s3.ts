/**
 * Bucket objects in an S3-compatible store: `<prefix>buckets/<bucket>/<key>` inside the one
 * configured S3 bucket.
 *
 * Resumable multipart uploads are in `s3-multipart.ts`, and the writer behind
 * `createWriteStream` and `put` (one PutObject, or the store's multipart API for a large body)
 * in `s3-write-stream.ts`.
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import type { S3Config } from '../../config/index.js';
import { isNotFound, prefixed } from '../s3/client.js';
import { MultipartForwarder } from './multipart.js';
import { S3MultipartUploads } from './s3-multipart.js';
import { S3ObjectWriteStream } from './s3-write-stream.js';
import {
  ObjectNotFoundError,
  checkBucketName,
  checkObjectKey,
  putThroughStream,
  type ByteRange,
  type ListObjectsOptions,
  type ListObjectsResult,
  type ObjectInfo,
  type ObjectStore,
  type ObjectWriteStream,
} from './object-store.js';

export interface S3ObjectStoreOptions {
  /**
   * Smallest part size an upload may be initiated with (default S3's 5 MiB). Tests lower it to
   * keep their data small: s3rver does not enforce the minimum.
   */
  minPartSizeBytes?: number;
}

export class S3ObjectStore extends MultipartForwarder implements ObjectStore {
  readonly kind = 's3' as const;
  protected readonly multipart: S3MultipartUploads;

  constructor(
    private readonly client: S3Client,
    private readonly config: Pick<S3Config, 'bucket' | 'prefix'>,
    options: S3ObjectStoreOptions = {},
  ) {
    super();
    this.multipart = new S3MultipartUploads({
      client,
      config,
      minPartSizeBytes: options.minPartSizeBytes,
      storeKey: (bucket, key) => this.key(bucket, key),
      head: (bucket, key) => this.head(bucket, key),
    });
  }

  private base(bucket: string): string {
    checkBucketName(bucket);
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

  put(bucket: string, key: string, body: Readable | Buffer): Promise<ObjectInfo> {
    return putThroughStream(this, bucket, key, body);
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
