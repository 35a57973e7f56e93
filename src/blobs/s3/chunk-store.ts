/**
 * Chunks as objects of an S3-compatible bucket: `<prefix>chunks/<address>`.
 *
 * A PUT is atomic on S3 (an object appears complete or not at all), so no temporary name is
 * needed. "Touching" an existing chunk copies it onto itself, which renews its LastModified on
 * AWS S3 and MinIO: the collector's grace period then protects a chunk a writer has just reused.
 * Some stores keep LastModified on a self-copy (s3rver does); when the copy reports the same
 * second as before although a second or more has passed, the chunk's bytes are put again.
 */
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { S3Config } from '../../config/index.js';
import {
  ChunkNotFoundError,
  chunkAddress,
  checkAddress,
  type ChunkInfo,
  type ChunkStore,
  type PutChunkResult,
} from '../chunk-store.js';
import { isNotFound, prefixed } from './client.js';

export class S3ChunkStore implements ChunkStore {
  readonly kind = 's3' as const;
  private readonly keyPrefix: string;
  private readonly trashPrefix: string;

  constructor(
    private readonly client: S3Client,
    private readonly config: Pick<S3Config, 'bucket' | 'prefix'>,
    private readonly ownsClient = false,
  ) {
    this.keyPrefix = prefixed(config, 'chunks/');
    this.trashPrefix = prefixed(config, 'chunks-trash/');
  }

  private key(address: string): string {
    return this.keyPrefix + checkAddress(address);
  }

  async put(data: Buffer, options: { address?: string } = {}): Promise<PutChunkResult> {
    const address = options.address ?? chunkAddress(data);
    const Key = this.key(address);

    const stored = await this.lastModifiedMs(Key);
    if (stored === undefined) {
      await this.putBytes(Key, data);
      return { address, written: true };
    }

    // Identical bytes are stored: renew their LastModified, or put them again where the store's
    // self-copy does not, or the chunk vanished (a collection took it) since the HEAD.
    if (!(await this.touch(Key, stored))) await this.putBytes(Key, data);
    return { address, written: false };
  }

  /**
   * Copies the object onto itself; true when that renewed its LastModified, or when it need not
   * have: LastModified has whole seconds, so a copy within the second of the old stamp cannot
   * move it, and the old stamp is as young as a renewed one would be. That second is judged by
   * this process's clock: on a store whose clock runs ahead, a stamp can stay unrenewed for up
   * to the clock's lead longer.
   */
  private async touch(Key: string, storedMs: number): Promise<boolean> {
    let copied: number | undefined;
    try {
      const res = await this.client.send(
        new CopyObjectCommand({
          Bucket: this.config.bucket,
          Key,
          CopySource: encodeURI(`${this.config.bucket}/${Key}`),
          MetadataDirective: 'REPLACE',
          Metadata: { touched: String(Date.now()) },
        }),
      );
      copied = res.CopyObjectResult?.LastModified?.getTime() ?? (await this.lastModifiedMs(Key));
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    if (copied === undefined) return false;

    const second = (ms: number) => Math.floor(ms / 1000);
    if (second(copied) > second(storedMs)) return true;
    return Date.now() - storedMs < 1000;
  }

  private async putBytes(Key: string, data: Buffer): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.config.bucket,
        Key,
        Body: data,
        ContentLength: data.length,
        ContentType: 'application/octet-stream',
      }),
    );
  }

  /** The object's LastModified (epoch ms), undefined when there is no such object. */
  private async lastModifiedMs(Key: string): Promise<number | undefined> {
    try {
      const res = await this.client.send(
        new HeadObjectCommand({ Bucket: this.config.bucket, Key }),
      );
      return res.LastModified?.getTime() ?? 0;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  async get(address: string): Promise<Buffer> {
    try {
      const res = await this.client.send(
        new GetObjectCommand({ Bucket: this.config.bucket, Key: this.key(address) }),
      );
      return Buffer.from(await res.Body!.transformToByteArray());
    } catch (err) {
      if (isNotFound(err)) throw new ChunkNotFoundError(address);
      throw err;
    }
  }

  async has(address: string): Promise<boolean> {
    try {
      await this.client.send(
        new HeadObjectCommand({ Bucket: this.config.bucket, Key: this.key(address) }),
      );
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  async delete(address: string): Promise<boolean> {
    // S3's DELETE succeeds whether or not the key exists; HEAD first to report which it was.
    if (!(await this.has(address))) return false;
    await this.client.send(
      new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.key(address) }),
    );
    return true;
  }

  async *list(): AsyncIterable<ChunkInfo> {
    // ListObjects (v1) paged by Marker: supported by every S3 implementation we target.
    let marker: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsCommand({
          Bucket: this.config.bucket,
          Prefix: this.keyPrefix,
          Marker: marker,
        }),
      );
      const contents = page.Contents ?? [];
      marker = page.IsTruncated ? contents.at(-1)?.Key : undefined;
      for (const o of contents) {
        if (!o.Key) continue;
        yield {
          address: o.Key.slice(this.keyPrefix.length),
          size: o.Size ?? 0,
          modifiedMs: o.LastModified?.getTime() ?? 0,
        };
      }
    } while (marker);
  }

  // S3 has no rename: quarantine is a server-side copy to `chunks-trash/`, then a delete.
  async quarantine(address: string): Promise<boolean> {
    if (!(await this.has(address))) return false;
    await this.copy(this.key(address), this.trashPrefix + address);
    await this.client.send(
      new DeleteObjectCommand({ Bucket: this.config.bucket, Key: this.key(address) }),
    );
    return true;
  }

  async restore(address: string): Promise<void> {
    await this.copy(this.trashPrefix + checkAddress(address), this.key(address));
    await this.purge(address);
  }

  async purge(address: string): Promise<void> {
    await this.client.send(
      new DeleteObjectCommand({
        Bucket: this.config.bucket,
        Key: this.trashPrefix + checkAddress(address),
      }),
    );
  }

  async *listQuarantined(): AsyncIterable<string> {
    let marker: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsCommand({
          Bucket: this.config.bucket,
          Prefix: this.trashPrefix,
          Marker: marker,
        }),
      );
      const contents = page.Contents ?? [];
      marker = page.IsTruncated ? contents.at(-1)?.Key : undefined;
      for (const o of contents) if (o.Key) yield o.Key.slice(this.trashPrefix.length);
    } while (marker);
  }

  private async copy(from: string, to: string): Promise<void> {
    await this.client.send(
      new CopyObjectCommand({
        Bucket: this.config.bucket,
        Key: to,
        CopySource: encodeURI(`${this.config.bucket}/${from}`),
      }),
    );
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.destroy();
  }
}
