/**
 * Resumable multipart uploads (multipart.ts) of the S3 backend (`s3.ts`). They use the store's
 * own multipart API for the bytes (CreateMultipartUpload, UploadPart, CompleteMultipartUpload,
 * AbortMultipartUpload), and keep what the protocol needs beside them under
 * `<prefix>multipart/<upload ID>/`:
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
  ListObjectsCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Readable, Transform, pipeline as pipeStreams } from 'node:stream';
import type { TransformCallback } from 'node:stream';
import type { S3Config } from '../../config/index.js';
import { isNotFound, prefixed } from '../s3/client.js';
import {
  MAX_PART_SIZE_BYTES,
  MultipartError,
  UploadGuard,
  abortable,
  checkCompletion,
  checkPartBody,
  checkPartLength,
  checkPartNumber,
  checkPartSize,
  checkUploadOf,
  isUploadId,
  newUpload,
  noSuchUpload,
  partEtag,
  purgeUpload,
  type CompletedPart,
  type MultipartStore,
  type MultipartUpload,
  type PartInfo,
  type PurgeUploadsOptions,
} from './multipart.js';
import { ObjectNotFoundError, type ObjectInfo } from './object-store.js';

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

/** What the uploads need of the object store they complete into (`S3ObjectStore`). */
export interface S3MultipartOptions {
  client: S3Client;
  config: Pick<S3Config, 'bucket' | 'prefix'>;
  /** Smallest part size an upload may be initiated with (default S3's 5 MiB). */
  minPartSizeBytes?: number;
  /** The store's key of the object `bucket/key`. */
  storeKey(bucket: string, key: string): string;
  /** The object `bucket/key` as the store describes it; undefined when absent. */
  head(bucket: string, key: string): Promise<ObjectInfo | undefined>;
}

export class S3MultipartUploads implements MultipartStore {
  readonly partSizeLimits: { minBytes: number; maxBytes: number };
  private readonly guard = new UploadGuard();
  private readonly client: S3Client;
  private readonly config: Pick<S3Config, 'bucket' | 'prefix'>;

  constructor(private readonly objects: S3MultipartOptions) {
    this.client = objects.client;
    this.config = objects.config;
    this.partSizeLimits = {
      minBytes: objects.minPartSizeBytes ?? S3_MIN_PART_SIZE_BYTES,
      maxBytes: MAX_PART_SIZE_BYTES,
    };
  }

  async initiateMultipartUpload(
    bucket: string,
    key: string,
    options: { partSizeBytes: number; owner: string },
  ): Promise<MultipartUpload> {
    checkPartSize(options.partSizeBytes, this.partSizeLimits);
    const created = await this.client.send(
      new CreateMultipartUploadCommand({
        Bucket: this.config.bucket,
        Key: this.objects.storeKey(bucket, key),
      }),
    );
    const upload: StoredUpload = {
      ...newUpload(bucket, key, options),
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
            Key: this.objects.storeKey(bucket, key),
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
      checkPartBody(meter.bytes, sizeBytes);

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
            Key: this.objects.storeKey(bucket, key),
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
      const info = await this.objects.head(bucket, key);
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
        const abort = () => this.abortMultipartUpload(upload.bucket, upload.key, id);
        if (await purgeUpload(upload, options, abort)) purged++;
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
    return checkUploadOf(await this.readUpload(uploadId), bucket, key, uploadId);
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
          Key: this.objects.storeKey(bucket, key),
          UploadId: storeUploadId,
        }),
      );
    } catch (err) {
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== 404 && status !== 405 && status !== 501) throw err;
    }
  }
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
