/**
 * Resumable multipart uploads of the folder backend (`fs.ts`), as `multipart.ts` describes them.
 *
 * Multipart uploads live in `<root>/.multipart/<upload ID>/`: `upload.json` (bucket, key, owner,
 * part size, when initiated), `data` and `parts/<N>.json` (size and MD5 of part N). Because the
 * part size is fixed at initiation, part N is written straight to its place in `data`, at
 * (N - 1) × part size, whatever order parts arrive in, and a replaced part overwrites its own
 * bytes. Completion truncates `data` after the last listed part and renames it to the object's
 * file: the object appears whole in one step, and its bytes are never copied a second time.
 * Each part is flushed (fdatasync) before its record is written, because a resuming client
 * trusts the record to describe bytes that are really on disk; completion then only flushes the
 * new length. A part whose body fails loses its record first, so it is never listed half-written.
 */
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { infoOf, isMissing, renameIntoBucket } from './fs-common.js';
import {
  MAX_PART_SIZE_BYTES,
  MIN_PART_SIZE_BYTES,
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
import type { ObjectInfo } from './object-store.js';

const MULTIPART_DIR = '.multipart';
/** Part records read at once when listing an upload's parts. */
const PART_READ_CONCURRENCY = 32;

/** `parts/<N>.json`: what a resuming client is told about part N. */
interface PartRecord {
  size: number;
  md5: string;
  lastModifiedMs: number;
}

/** What the uploads need of the object store they complete into (`FsObjectStore`). */
export interface FsMultipartOptions {
  /** The store's folder; uploads live in `<root>/.multipart/`. */
  root: string;
  /** The file of `bucket/key`; throws InvalidObjectKeyError for keys the store cannot hold. */
  pathOf(bucket: string, key: string): string;
  /** The bucket's folder, which a completed upload's file is renamed into. */
  bucketDir(bucket: string): string;
}

export class FsMultipartUploads implements MultipartStore {
  readonly partSizeLimits = { minBytes: MIN_PART_SIZE_BYTES, maxBytes: MAX_PART_SIZE_BYTES };
  private readonly guard = new UploadGuard();

  constructor(private readonly objects: FsMultipartOptions) {}

  async initiateMultipartUpload(
    bucket: string,
    key: string,
    options: { partSizeBytes: number; owner: string },
  ): Promise<MultipartUpload> {
    checkPartSize(options.partSizeBytes, this.partSizeLimits);
    // A key we could not store is refused now, not after the last part.
    this.objects.pathOf(bucket, key);
    const upload = newUpload(bucket, key, options);

    const dir = this.uploadDir(upload.uploadId);
    await fsp.mkdir(path.join(dir, 'parts'), { recursive: true });
    await (await fsp.open(path.join(dir, 'data'), 'wx')).close();
    // Written last: a folder without it is an initiation cut short (purged by its age).
    await writeFileAtomic(path.join(dir, 'upload.json'), JSON.stringify(upload));
    return upload;
  }

  async getMultipartUpload(bucket: string, key: string, uploadId: string) {
    return checkUploadOf(await this.readUpload(uploadId), bucket, key, uploadId);
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
    const upload = await this.getMultipartUpload(bucket, key, uploadId);
    checkPartLength(upload, sizeBytes);
    const dir = this.uploadDir(uploadId);
    const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;

    return this.guard.part(uploadId, partNumber, async (signal) => {
      // The old part's bytes are about to be overwritten: it stops being listed first.
      const record = path.join(dir, 'parts', `${partNumber}.json`);
      await fsp.rm(record, { force: true });

      const handle = await fsp.open(path.join(dir, 'data'), 'r+').catch((err) => {
        throw isMissing(err) ? noSuchUpload(uploadId) : err;
      });
      const offset = (partNumber - 1) * upload.partSizeBytes;
      const hash = crypto.createHash('md5');
      let written = 0;
      const watch = abortable(source, signal);
      try {
        for await (const chunk of source) {
          const bytes = chunk as Buffer;
          checkPartLength(upload, written + bytes.length);
          hash.update(bytes);
          await writeAt(handle, bytes, offset + written);
          written += bytes.length;
        }
        checkPartBody(written, sizeBytes);
        await handle.datasync();
      } finally {
        watch.stop();
        await handle.close();
      }

      const part: PartRecord = {
        size: written,
        md5: hash.digest('hex'),
        lastModifiedMs: Date.now(),
      };
      await writeFileAtomic(record, JSON.stringify(part)).catch((err) => {
        throw isMissing(err) ? noSuchUpload(uploadId) : err;
      });
      return toPartInfo(partNumber, part);
    });
  }

  async listParts(bucket: string, key: string, uploadId: string): Promise<PartInfo[]> {
    await this.getMultipartUpload(bucket, key, uploadId);
    return this.readParts(uploadId);
  }

  async completeMultipartUpload(
    bucket: string,
    key: string,
    uploadId: string,
    parts: CompletedPart[],
  ): Promise<ObjectInfo> {
    await this.getMultipartUpload(bucket, key, uploadId);
    const final = this.objects.pathOf(bucket, key);

    return this.guard.close(uploadId, async () => {
      // Read again: parts in flight were stopped, and another closer may have gone first.
      const upload = await this.getMultipartUpload(bucket, key, uploadId);
      const { size } = checkCompletion(upload, await this.readParts(uploadId), parts);

      const dir = this.uploadDir(uploadId);
      const data = path.join(dir, 'data');
      const handle = await fsp.open(data, 'r+').catch((err) => {
        throw isMissing(err) ? noSuchUpload(uploadId) : err;
      });
      try {
        // Parts stored beyond the last one listed are dropped; the new length is flushed (the
        // parts' bytes were, each before its record).
        await handle.truncate(size);
        await handle.datasync();
      } finally {
        await handle.close();
      }

      await renameIntoBucket(data, final, this.objects.bucketDir(bucket));
      await fsp.rm(dir, { recursive: true, force: true });
      return infoOf(key, await fsp.stat(final));
    });
  }

  async abortMultipartUpload(bucket: string, key: string, uploadId: string): Promise<void> {
    await this.getMultipartUpload(bucket, key, uploadId);
    await this.guard.close(uploadId, async () => {
      await this.getMultipartUpload(bucket, key, uploadId);
      await fsp.rm(this.uploadDir(uploadId), { recursive: true, force: true });
    });
  }

  async purgeMultipartUploads(options: PurgeUploadsOptions): Promise<number> {
    let ids: string[];
    try {
      ids = await fsp.readdir(path.join(this.objects.root, MULTIPART_DIR));
    } catch (err) {
      if (isMissing(err)) return 0;
      throw err;
    }

    let purged = 0;
    for (const id of ids.filter(isUploadId)) {
      const upload = await this.readUpload(id);
      if (!upload) {
        // An initiation cut short: nobody can use it; it goes once it is as old as a stale one.
        const st = await fsp.stat(this.uploadDir(id)).catch(() => undefined);
        const before = options.initiatedBeforeMs;
        if (st && options.bucket === undefined && before !== undefined && st.mtimeMs < before) {
          await fsp.rm(this.uploadDir(id), { recursive: true, force: true });
          purged++;
        }
        continue;
      }
      const abort = () => this.abortMultipartUpload(upload.bucket, upload.key, id);
      if (await purgeUpload(upload, options, abort)) purged++;
    }
    return purged;
  }

  private uploadDir(uploadId: string): string {
    // Only IDs of our own form reach the file system: no path can be smuggled in.
    if (!isUploadId(uploadId)) throw noSuchUpload(uploadId);
    return path.join(this.objects.root, MULTIPART_DIR, uploadId);
  }

  private async readUpload(uploadId: string): Promise<MultipartUpload | undefined> {
    try {
      const file = path.join(this.uploadDir(uploadId), 'upload.json');
      return JSON.parse(await fsp.readFile(file, 'utf8')) as MultipartUpload;
    } catch (err) {
      if (err instanceof MultipartError || err instanceof SyntaxError || isMissing(err)) {
        return undefined;
      }
      throw err;
    }
  }

  private async readParts(uploadId: string): Promise<PartInfo[]> {
    const folder = path.join(this.uploadDir(uploadId), 'parts');
    const names = await fsp.readdir(folder).catch((err) => {
      throw isMissing(err) ? noSuchUpload(uploadId) : err;
    });
    const numbers = names
      .map((n) => /^(\d{1,5})\.json$/.exec(n)?.[1])
      .filter((n): n is string => n !== undefined)
      .map(Number);

    const parts: PartInfo[] = [];
    for (let i = 0; i < numbers.length; i += PART_READ_CONCURRENCY) {
      const batch = numbers.slice(i, i + PART_READ_CONCURRENCY);
      const read = await Promise.all(
        batch.map(async (n) => {
          try {
            const text = await fsp.readFile(path.join(folder, `${n}.json`), 'utf8');
            return toPartInfo(n, JSON.parse(text) as PartRecord);
          } catch {
            // Replaced or dropped meanwhile, or cut short by a crash: not a stored part.
            return undefined;
          }
        }),
      );
      for (const p of read) if (p) parts.push(p);
    }
    return parts.sort((a, b) => a.partNumber - b.partNumber);
  }
}

function toPartInfo(partNumber: number, record: PartRecord): PartInfo {
  return {
    partNumber,
    size: record.size,
    etag: partEtag(record.md5),
    lastModifiedMs: record.lastModifiedMs,
  };
}

/** Writes all of `bytes` at `position` (a write may take fewer bytes than it is given). */
async function writeAt(handle: fsp.FileHandle, bytes: Buffer, position: number): Promise<void> {
  for (let done = 0; done < bytes.length;) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.length - done, position + done);
    done += bytesWritten;
  }
}

/** Replaces `file` in one step: a reader sees the old content or the new, never a part. */
async function writeFileAtomic(file: string, text: string): Promise<void> {
  const temp = `${file}.${crypto.randomBytes(6).toString('hex')}.tmp`;
  try {
    await fsp.writeFile(temp, text, { flag: 'wx' });
    await fsp.rename(temp, file);
  } catch (err) {
    await fsp.rm(temp, { force: true });
    throw err;
  }
}
