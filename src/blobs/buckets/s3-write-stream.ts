/**
 * The streaming writer behind `S3ObjectStore.createWriteStream` and `put`.
 *
 * Bodies up to one part (8 MiB) are one PutObject; larger ones a multipart upload with
 * up to `PART_CONCURRENCY` parts in flight, completed only when the stream finishes and aborted
 * on error or destroy — S3 never shows an incomplete multipart object, so nothing partial is ever
 * visible under the key. Memory: at most (concurrency + 1) parts.
 */
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  UploadPartCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Writable } from 'node:stream';
import type { ObjectInfo, ObjectWriteStream } from './object-store.js';

export const PART_SIZE_BYTES = 8 * 1024 * 1024;
const PART_CONCURRENCY = 3;

export class S3ObjectWriteStream extends Writable implements ObjectWriteStream {
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
