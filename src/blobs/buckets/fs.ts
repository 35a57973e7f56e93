/**
 * Bucket objects as files: `<root>/<bucket>/<seg>.d/<seg>.d/<last>.o` for key `seg/seg/last`.
 *
 * Folders end in `.d` and objects in `.o`, so a key and a longer key below it (`a` and `a/b`) can
 * both exist, as on OSS, and no key segment (`..`, `.`, empty) can name a folder outside the
 * bucket. Uploads go to `<root>/.uploads/<random>` (same file system) and are renamed into place
 * when complete; a failed or aborted upload removes its temporary file.
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
 *
 * Listing walks the bucket's folders and sorts: fine for thousands of objects per bucket.
 * TODO(oss-listing): an index (or the metadata database) would make listings of very large
 * buckets cheap; each page currently walks the whole prefix.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  MAX_PART_SIZE_BYTES,
  MIN_PART_SIZE_BYTES,
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
  InvalidObjectKeyError,
  ObjectNotFoundError,
  checkObjectKey,
  pageObjects,
  type ByteRange,
  type ListObjectsOptions,
  type ListObjectsResult,
  type ObjectInfo,
  type ObjectStore,
  type ObjectWriteStream,
} from './object-store.js';

const UPLOADS_DIR = '.uploads';
const MULTIPART_DIR = '.multipart';
/** Part records read at once when listing an upload's parts. */
const PART_READ_CONCURRENCY = 32;
/** A segment's bytes plus the 2-byte suffix must fit a 255-byte file name. */
const MAX_SEGMENT_BYTES = 253;

function etagOf(st: fs.Stats): string {
  const tag = crypto
    .createHash('sha1')
    .update(`${st.ino}:${st.size}:${st.mtimeMs}`)
    .digest('hex')
    .slice(0, 32);
  return `"${tag}"`;
}

function infoOf(key: string, st: fs.Stats): ObjectInfo {
  return { key, size: st.size, lastModifiedMs: Math.floor(st.mtimeMs), etag: etagOf(st) };
}

/** `parts/<N>.json`: what a resuming client is told about part N. */
interface PartRecord {
  size: number;
  md5: string;
  lastModifiedMs: number;
}

export class FsObjectStore implements ObjectStore {
  readonly kind = 'fs' as const;
  readonly partSizeLimits = { minBytes: MIN_PART_SIZE_BYTES, maxBytes: MAX_PART_SIZE_BYTES };
  private readonly guard = new UploadGuard();

  constructor(readonly root: string) {}

  private bucketDir(bucket: string): string {
    // Bucket names are checked by the domain (OSS rules); this guards the path regardless.
    if (!/^[a-z0-9][a-z0-9-]{1,62}$/.test(bucket)) throw new Error(`invalid bucket ${bucket}`);
    return path.join(this.root, bucket);
  }

  /** The file of `key`; throws InvalidObjectKeyError for keys we cannot store. */
  pathOf(bucket: string, key: string): string {
    const segments = checkObjectKey(key).split('/');
    for (const s of segments) {
      if (Buffer.byteLength(s) > MAX_SEGMENT_BYTES) {
        throw new InvalidObjectKeyError(
          `each /-separated part of a key is at most ${MAX_SEGMENT_BYTES} bytes here`,
        );
      }
    }
    const last = segments.pop()!;
    return path.join(this.bucketDir(bucket), ...segments.map((s) => `${s}.d`), `${last}.o`);
  }

  async createBucket(bucket: string): Promise<void> {
    await fsp.mkdir(this.bucketDir(bucket), { recursive: true });
  }

  async deleteBucket(bucket: string): Promise<void> {
    await fsp.rm(this.bucketDir(bucket), { recursive: true, force: true });
  }

  async put(bucket: string, key: string, body: Readable | Buffer): Promise<ObjectInfo> {
    const out = this.createWriteStream(bucket, key);
    await pipeline(Buffer.isBuffer(body) ? Readable.from([body]) : body, out);
    return out.done;
  }

  createWriteStream(bucket: string, key: string): ObjectWriteStream {
    const final = this.pathOf(bucket, key);
    const temp = path.join(this.root, UPLOADS_DIR, crypto.randomBytes(12).toString('hex'));
    return new FsObjectWriteStream(temp, final, key, this.bucketDir(bucket));
  }

  async writeViaFile(
    bucket: string,
    key: string,
    fill: (path: string) => Promise<void>,
  ): Promise<ObjectInfo> {
    const final = this.pathOf(bucket, key);
    const temp = path.join(this.root, UPLOADS_DIR, crypto.randomBytes(12).toString('hex'));
    await fsp.mkdir(path.dirname(temp), { recursive: true });
    try {
      await fill(temp);
      // One flush of the finished file before it gets its name (a crash cannot leave a named
      // object with missing data); fdatasync reaches what any descriptor wrote.
      const handle = await fsp.open(temp, 'r+');
      try {
        await handle.datasync();
      } finally {
        await handle.close();
      }
      // The bucket may have been deleted meanwhile: then the object has nowhere to go.
      await fsp.access(this.bucketDir(bucket));
      await fsp.mkdir(path.dirname(final), { recursive: true });
      await fsp.rename(temp, final);
      await syncFolders(path.dirname(final), this.bucketDir(bucket));
    } catch (err) {
      await fsp.rm(temp, { force: true });
      throw err;
    }
    return infoOf(key, await fsp.stat(final));
  }

  async get(
    bucket: string,
    key: string,
    range?: ByteRange,
  ): Promise<{ info: ObjectInfo; body: Readable }> {
    const file = this.pathOf(bucket, key);
    const handle = await fsp.open(file, 'r').catch((err) => {
      throw notFound(err, bucket, key);
    });
    const info = infoOf(key, await handle.stat());
    const end = Math.min(range?.end ?? info.size - 1, info.size - 1);
    // Reading through the handle opened above: a concurrent replace cannot mix two versions.
    const body = handle.createReadStream({ start: range?.start ?? 0, end, autoClose: true });
    return { info, body };
  }

  async read(bucket: string, key: string, offset: number, length: number): Promise<Buffer> {
    const handle = await fsp.open(this.pathOf(bucket, key), 'r').catch((err) => {
      throw notFound(err, bucket, key);
    });
    try {
      const buf = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await handle.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === length ? buf : buf.subarray(0, got);
    } finally {
      await handle.close();
    }
  }

  async head(bucket: string, key: string): Promise<ObjectInfo | undefined> {
    try {
      return infoOf(key, await fsp.stat(this.pathOf(bucket, key)));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async list(bucket: string, options: ListObjectsOptions = {}): Promise<ListObjectsResult> {
    const prefix = options.prefix ?? '';
    // Start the walk at the deepest folder the prefix names completely.
    const whole = prefix.split('/').slice(0, -1);
    const start = path.join(this.bucketDir(bucket), ...whole.map((s) => `${s}.d`));
    const found: ObjectInfo[] = [];
    await walk(start, whole.length ? whole.join('/') + '/' : '', found);
    found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return pageObjects(found, options);
  }

  async delete(bucket: string, key: string): Promise<boolean> {
    const file = this.pathOf(bucket, key);
    try {
      await fsp.unlink(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    await pruneEmptyFolders(path.dirname(file), this.bucketDir(bucket));
    return true;
  }

  async initiateMultipartUpload(
    bucket: string,
    key: string,
    options: { partSizeBytes: number; owner: string },
  ): Promise<MultipartUpload> {
    checkPartSize(options.partSizeBytes, this.partSizeLimits);
    // A key we could not store is refused now, not after the last part.
    this.pathOf(bucket, key);
    const upload: MultipartUpload = {
      uploadId: newUploadId(),
      bucket,
      key,
      partSizeBytes: options.partSizeBytes,
      initiatedMs: Date.now(),
      owner: options.owner,
    };

    const dir = this.uploadDir(upload.uploadId);
    await fsp.mkdir(path.join(dir, 'parts'), { recursive: true });
    await (await fsp.open(path.join(dir, 'data'), 'wx')).close();
    // Written last: a folder without it is an initiation cut short (purged by its age).
    await writeFileAtomic(path.join(dir, 'upload.json'), JSON.stringify(upload));
    return upload;
  }

  async getMultipartUpload(bucket: string, key: string, uploadId: string) {
    const upload = await this.readUpload(uploadId);
    if (!upload || upload.bucket !== bucket || upload.key !== key) throw noSuchUpload(uploadId);
    return upload;
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
        if (written !== sizeBytes) {
          throw new MultipartError(
            'InvalidArgument',
            `the part's body is ${written} bytes, not the ${sizeBytes} declared`,
          );
        }
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
    const final = this.pathOf(bucket, key);

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

      // The bucket may have been deleted meanwhile: then the object has nowhere to go.
      await fsp.access(this.bucketDir(bucket));
      await fsp.mkdir(path.dirname(final), { recursive: true });
      await fsp.rename(data, final);
      await syncFolders(path.dirname(final), this.bucketDir(bucket));
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
      ids = await fsp.readdir(path.join(this.root, MULTIPART_DIR));
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
    return purged;
  }

  private uploadDir(uploadId: string): string {
    // Only IDs of our own form reach the file system: no path can be smuggled in.
    if (!isUploadId(uploadId)) throw noSuchUpload(uploadId);
    return path.join(this.root, MULTIPART_DIR, uploadId);
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

  async close(): Promise<void> {}
}

function toPartInfo(partNumber: number, record: PartRecord): PartInfo {
  return {
    partNumber,
    size: record.size,
    etag: partEtag(record.md5),
    lastModifiedMs: record.lastModifiedMs,
  };
}

function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
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

async function walk(dir: string, keyPrefix: string, out: ObjectInfo[]): Promise<void> {
  let entries: fs.Dirent[];
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  for (const e of entries) {
    if (e.isDirectory() && e.name.endsWith('.d')) {
      await walk(path.join(dir, e.name), `${keyPrefix}${e.name.slice(0, -2)}/`, out);
    } else if (e.isFile() && e.name.endsWith('.o')) {
      const key = keyPrefix + e.name.slice(0, -2);
      const st = await fsp.stat(path.join(dir, e.name)).catch(() => undefined);
      if (st) out.push(infoOf(key, st));
    }
  }
}

/** Removes folders emptied by a delete, up to (not including) the bucket's folder. */
/**
 * Flushes `dir` and each folder above it up to `top` (the bucket's): the object's bytes were
 * flushed before its rename, but the rename, and folders `mkdir` made for a key's slashes, are
 * only durable once the folders holding them are. A folder an earlier object left durable costs
 * little to flush again.
 */
async function syncFolders(dir: string, top: string): Promise<void> {
  for (let at = dir; ; at = path.dirname(at)) {
    const handle = await fsp.open(at, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (at === top || path.dirname(at) === at || !at.startsWith(top)) return;
  }
}

async function pruneEmptyFolders(dir: string, stop: string): Promise<void> {
  for (let d = dir; d.startsWith(stop) && d !== stop; d = path.dirname(d)) {
    try {
      await fsp.rmdir(d);
    } catch {
      return;
    }
  }
}

function notFound(err: unknown, bucket: string, key: string): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR' ? new ObjectNotFoundError(bucket, key) : err;
}

class FsObjectWriteStream extends Writable implements ObjectWriteStream {
  readonly done: Promise<ObjectInfo>;
  private resolve!: (info: ObjectInfo) => void;
  private reject!: (err: Error) => void;
  /** The temporary file, opened on the first write; a promise so destroy can wait for it. */
  private opening?: Promise<fsp.FileHandle>;
  private committed = false;

  constructor(
    private readonly temp: string,
    private readonly final: string,
    private readonly key: string,
    private readonly bucketDir: string,
  ) {
    super({ highWaterMark: 1024 * 1024 });
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Callers who only await the stream (pipeline) must not see an unhandled rejection.
    this.done.catch(() => undefined);
  }

  private open(): Promise<fsp.FileHandle> {
    this.opening ??= fsp
      .mkdir(path.dirname(this.temp), { recursive: true })
      .then(() => fsp.open(this.temp, 'wx'));
    return this.opening;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.open()
      .then((h) => h.write(chunk))
      .then(() => cb(), cb);
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (err?: Error | null) => void): void {
    this.open()
      .then((h) => h.writev(chunks.map((c) => c.chunk)))
      .then(() => cb(), cb);
  }

  override _final(cb: (err?: Error | null) => void): void {
    (async () => {
      const handle = await this.open();
      await handle.sync();
      await handle.close();
      this.opening = undefined;
      // The bucket may have been deleted while we uploaded: then the object has nowhere to go.
      await fsp.access(this.bucketDir);
      await fsp.mkdir(path.dirname(this.final), { recursive: true });
      await fsp.rename(this.temp, this.final);
      await syncFolders(path.dirname(this.final), this.bucketDir);
      this.committed = true;
      this.resolve(infoOf(this.key, await fsp.stat(this.final)));
    })().then(() => cb(), cb);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    (async () => {
      if (this.committed) return;
      // A destroy can arrive while the first write is still opening the file: wait and close it.
      const handle = await this.opening?.catch(() => undefined);
      await handle?.close().catch(() => undefined);
      await fsp.rm(this.temp, { force: true });
      this.reject(err ?? new Error('upload aborted'));
    })().then(
      () => cb(err),
      () => cb(err),
    );
  }
}
