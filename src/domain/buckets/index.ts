/**
 * OSS buckets: owned by one account, placed in one region, named by OSS's rules and unique
 * across the whole installation (as OSS names are across the cloud).
 *
 * How faithful: bucket and object access follow OSS's owner-only default (a bucket of another
 * account answers AccessDenied, an unknown name NoSuchBucket). ACLs, bucket policies, storage
 * classes, versioning and lifecycle rules are not emulated.
 *
 * Multipart uploads (blobs/buckets/multipart.ts for the rules) belong to the account that
 * initiated them as well as to their bucket and key: any other caller, bucket or key gets
 * NoSuchUpload, never a hint that the ID exists. Unlike OSS, which refuses to delete a bucket
 * holding unfinished uploads, DeleteBucket aborts them (nothing can list them for the user).
 */
import { Readable } from 'node:stream';
import {
  DEFAULT_PART_SIZE_BYTES,
  InvalidObjectKeyError,
  MultipartError,
  ObjectNotFoundError,
  noSuchUpload,
  checkObjectKey,
  openObjectSource,
  type ByteRange,
  type CompletedPart,
  type ListObjectsOptions,
  type MultipartUpload,
  type ObjectInfo,
  type ObjectStore,
  type ObjectWriteStream,
  type PartInfo,
} from '../../blobs/index.js';
import type { ByteSource } from '../../formats/types.js';
import type { Store } from '../../store/index.js';
import type { BucketRow } from '../../store/repositories/buckets.js';
import { EcsError } from '../errors/index.js';

/** OSS: 3–63 characters, lower-case letters, digits and hyphens, a letter or digit at each end. */
export const BUCKET_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

export function isValidBucketName(name: string): boolean {
  return BUCKET_NAME_PATTERN.test(name);
}

export interface Bucket {
  name: string;
  accountId: string;
  regionId: string;
  createdAt: number;
}

function toBucket(row: BucketRow): Bucket {
  return {
    name: row.name,
    accountId: row.account_id,
    regionId: row.region_id,
    createdAt: row.created_at,
  };
}

export class BucketService {
  constructor(
    private readonly store: Store,
    readonly objects: ObjectStore,
    private readonly now: () => number = Date.now,
  ) {}

  async create(accountId: string, name: string, regionId: string): Promise<Bucket> {
    if (!isValidBucketName(name)) throw new EcsError('InvalidBucketName', { bucket: name });
    const row = { name, account_id: accountId, region_id: regionId, created_at: this.now() };
    if (!(await this.store.buckets.insert(row))) {
      throw new EcsError('BucketAlreadyExists', { bucket: name });
    }
    await this.objects.createBucket(name);
    return toBucket(row);
  }

  /**
   * The caller's bucket, for the bucket API: NoSuchBucket when unknown, AccessDenied when another
   * account owns it (as OSS answers).
   */
  async require(accountId: string, name: string): Promise<Bucket> {
    if (!isValidBucketName(name)) throw new EcsError('InvalidBucketName', { bucket: name });
    const row = await this.store.buckets.find(name);
    if (!row) throw new EcsError('NoSuchBucket', { bucket: name });
    if (row.account_id !== accountId) throw new EcsError('AccessDenied', { bucket: name });
    return toBucket(row);
  }

  /**
   * The bucket an image is imported from or exported to, with the ECS codes: a malformed name,
   * a bucket missing, owned by another account, or in another region all answer as on the cloud.
   *
   * @example
   *   await buckets.requireForImage(accountId, params.OSSBucket, params.RegionId);
   */
  async requireForImage(accountId: string, name: string, regionId: string): Promise<Bucket> {
    if (!isValidBucketName(name))
      throw new EcsError('InvalidOSSBucket.Malformed', { bucket: name });
    const row = await this.store.buckets.find(name);
    // Another account's bucket is indistinguishable from a missing one, as on the cloud.
    if (!row || row.account_id !== accountId) {
      throw new EcsError('InvalidOSSBucket.NotFound', { bucket: name });
    }
    if (row.region_id !== regionId) {
      throw new EcsError('InvalidOSSBucket.NotFound', { bucket: name });
    }
    return toBucket(row);
  }

  /**
   * The object ImportImage reads: InvalidOSSObject.Malformed / NotFound / Size (empty).
   */
  async requireObjectForImage(
    accountId: string,
    bucket: string,
    key: string,
    regionId: string,
  ): Promise<ObjectInfo> {
    await this.requireForImage(accountId, bucket, regionId);
    try {
      checkObjectKey(key);
    } catch {
      throw new EcsError('InvalidOSSObject.Malformed', { key });
    }
    const info = await this.headChecked(bucket, key);
    if (!info) throw new EcsError('InvalidOSSObject.NotFound', { bucket, key });
    if (info.size === 0) throw new EcsError('InvalidOSSObject.Size', { key });
    return info;
  }

  async list(accountId: string, regionId?: string): Promise<Bucket[]> {
    return (await this.store.buckets.list(accountId, regionId)).map(toBucket);
  }

  async delete(accountId: string, name: string): Promise<void> {
    await this.require(accountId, name);
    const { objects } = await this.objects.list(name, { maxKeys: 1 });
    if (objects.length > 0) throw new EcsError('BucketNotEmpty', { bucket: name });
    await this.objects.purgeMultipartUploads({ bucket: name });
    await this.store.buckets.delete(name);
    await this.objects.deleteBucket(name);
  }

  async listObjects(accountId: string, bucket: string, options: ListObjectsOptions) {
    await this.require(accountId, bucket);
    return this.objects.list(bucket, options);
  }

  async headObject(accountId: string, bucket: string, key: string): Promise<ObjectInfo> {
    await this.require(accountId, bucket);
    const info = await this.headChecked(bucket, key);
    if (!info) throw new EcsError('NoSuchKey', { bucket, key });
    return info;
  }

  async deleteObject(accountId: string, bucket: string, key: string): Promise<void> {
    await this.require(accountId, bucket);
    checkKey(key);
    if (!(await this.objects.delete(bucket, key))) throw new EcsError('NoSuchKey', { bucket, key });
  }

  /** Streams an upload into the object; it becomes visible only when `body` ends cleanly. */
  async putObject(
    accountId: string,
    bucket: string,
    key: string,
    body: Readable,
  ): Promise<ObjectInfo> {
    await this.require(accountId, bucket);
    checkKey(key);
    try {
      return await this.objects.put(bucket, key, body);
    } catch (err) {
      // A key the backend cannot store (fs: a part longer than 253 bytes).
      if (err instanceof InvalidObjectKeyError) {
        throw new EcsError('InvalidObjectName', { reason: err.message });
      }
      throw err;
    }
  }

  async getObject(
    accountId: string,
    bucket: string,
    key: string,
    range?: ByteRange,
  ): Promise<{ info: ObjectInfo; body: Readable }> {
    await this.require(accountId, bucket);
    checkKey(key);
    try {
      return await this.objects.get(bucket, key, range);
    } catch (err) {
      if (err instanceof ObjectNotFoundError) throw new EcsError('NoSuchKey', { bucket, key });
      throw err;
    }
  }

  /** For ImportImage: the object as random-access bytes (after `requireObjectForImage`). */
  openSource(bucket: string, key: string): Promise<ByteSource & { info: ObjectInfo }> {
    return openObjectSource(this.objects, bucket, key);
  }

  /** Whether `writeViaFile` works: the backend keeps objects as local files. */
  get writesViaFile(): boolean {
    return this.objects.writeViaFile !== undefined;
  }

  /**
   * For ExportImage on a local backend: `fill` writes a file that becomes `bucket/key` when it
   * resolves (see ObjectStore.writeViaFile). Check `writesViaFile` first.
   */
  writeViaFile(
    bucket: string,
    key: string,
    fill: (path: string) => Promise<void>,
  ): Promise<ObjectInfo> {
    if (!this.objects.writeViaFile) throw new Error(`${this.objects.kind} objects are not files`);
    return this.objects.writeViaFile(bucket, key, fill);
  }

  /** For ExportImage: a Writable that becomes `bucket/key` only when it finishes cleanly. */
  createWriteStream(bucket: string, key: string): ObjectWriteStream {
    return this.objects.createWriteStream(bucket, key);
  }

  /**
   * Starts a multipart upload of `key` for the caller's account. Every part but the last will
   * be exactly `partSizeBytes` long (default 8 MiB, or the store's minimum if larger).
   *
   * @example
   *   const up = await buckets.initiateMultipartUpload(accountId, 'images', 'disk.raw', 16 << 20);
   */
  async initiateMultipartUpload(
    accountId: string,
    bucket: string,
    key: string,
    partSizeBytes?: number,
  ): Promise<MultipartUpload> {
    await this.require(accountId, bucket);
    checkKey(key);
    const size =
      partSizeBytes ?? Math.max(DEFAULT_PART_SIZE_BYTES, this.objects.partSizeLimits.minBytes);
    return coded(() =>
      this.objects.initiateMultipartUpload(bucket, key, { partSizeBytes: size, owner: accountId }),
    );
  }

  /** Stores part `partNumber` of the caller's upload (streamed; `sizeBytes` long). */
  async uploadPart(
    accountId: string,
    target: { bucket: string; key: string; uploadId: string },
    partNumber: number,
    body: Readable,
    sizeBytes: number,
  ): Promise<PartInfo> {
    await this.requireUpload(accountId, target);
    return coded(() =>
      this.objects.uploadPart(
        target.bucket,
        target.key,
        target.uploadId,
        partNumber,
        body,
        sizeBytes,
      ),
    );
  }

  /** The caller's upload and the parts it holds so far, by number. */
  async listParts(
    accountId: string,
    target: { bucket: string; key: string; uploadId: string },
  ): Promise<{ upload: MultipartUpload; parts: PartInfo[] }> {
    const upload = await this.requireUpload(accountId, target);
    const parts = await coded(() =>
      this.objects.listParts(target.bucket, target.key, target.uploadId),
    );
    return { upload, parts };
  }

  /** Makes the listed parts the object, atomically (see MultipartStore.completeMultipartUpload). */
  async completeMultipartUpload(
    accountId: string,
    target: { bucket: string; key: string; uploadId: string },
    parts: CompletedPart[],
  ): Promise<ObjectInfo> {
    await this.requireUpload(accountId, target);
    return coded(() =>
      this.objects.completeMultipartUpload(target.bucket, target.key, target.uploadId, parts),
    );
  }

  async abortMultipartUpload(
    accountId: string,
    target: { bucket: string; key: string; uploadId: string },
  ): Promise<void> {
    await this.requireUpload(accountId, target);
    await coded(() =>
      this.objects.abortMultipartUpload(target.bucket, target.key, target.uploadId),
    );
  }

  /**
   * Aborts every upload initiated more than `maxAgeMs` ago (the periodic collector and `ecsimg
   * gc` call this): an abandoned upload must not hold its bytes forever. Returns how many.
   */
  purgeStaleUploads(maxAgeMs: number): Promise<number> {
    return this.objects.purgeMultipartUploads({ initiatedBeforeMs: this.now() - maxAgeMs });
  }

  /** The caller's upload of this bucket and key; NoSuchUpload for anyone else's. */
  private async requireUpload(
    accountId: string,
    target: { bucket: string; key: string; uploadId: string },
  ): Promise<MultipartUpload> {
    await this.require(accountId, target.bucket);
    checkKey(target.key);
    const upload = await coded(() =>
      this.objects.getMultipartUpload(target.bucket, target.key, target.uploadId),
    );
    // Said exactly as for an ID that does not exist.
    if (upload.owner !== accountId) {
      throw new EcsError('NoSuchUpload', { reason: noSuchUpload(target.uploadId).reason });
    }
    return upload;
  }

  private async headChecked(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    checkKey(key);
    return this.objects.head(bucket, key);
  }
}

/** Runs a store call, answering its multipart refusals and key refusals with their codes. */
async function coded<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof MultipartError) throw new EcsError(err.code, { reason: err.reason });
    if (err instanceof InvalidObjectKeyError) {
      throw new EcsError('InvalidObjectName', { reason: err.message });
    }
    throw err;
  }
}

function checkKey(key: string): void {
  try {
    checkObjectKey(key);
  } catch (err) {
    if (err instanceof InvalidObjectKeyError) {
      throw new EcsError('InvalidObjectName', { reason: err.message });
    }
    throw err;
  }
}
