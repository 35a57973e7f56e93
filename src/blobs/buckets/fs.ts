/**
 * Bucket objects as files: `<root>/<bucket>/<seg>.d/<seg>.d/<last>.o` for key `seg/seg/last`.
 *
 * Folders end in `.d` and objects in `.o`, so a key and a longer key below it (`a` and `a/b`) can
 * both exist, as on OSS, and no key segment (`..`, `.`, empty) can name a folder outside the
 * bucket. Uploads go to `<root>/.uploads/<random>` (same file system) and are renamed into place
 * when complete; a failed or aborted upload removes its temporary file.
 *
 * Resumable multipart uploads (their layout on disk too) are in `fs-multipart.ts`.
 *
 * Listing walks the bucket's folders and sorts: fine for thousands of objects per bucket.
 * TODO(oss-listing): an index (or the metadata database) would make listings of very large
 * buckets cheap; each page currently walks the whole prefix.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { Writable, type Readable } from 'node:stream';
import { infoOf, isMissing, renameIntoBucket } from './fs-common.js';
import { FsMultipartUploads } from './fs-multipart.js';
import { MultipartForwarder } from './multipart.js';
import {
  InvalidObjectKeyError,
  ObjectNotFoundError,
  checkBucketName,
  checkObjectKey,
  pageObjects,
  putThroughStream,
  type ByteRange,
  type ListObjectsOptions,
  type ListObjectsResult,
  type ObjectInfo,
  type ObjectStore,
  type ObjectWriteStream,
} from './object-store.js';

const UPLOADS_DIR = '.uploads';
/** A segment's bytes plus the 2-byte suffix must fit a 255-byte file name. */
const MAX_SEGMENT_BYTES = 253;

export class FsObjectStore extends MultipartForwarder implements ObjectStore {
  readonly kind = 'fs' as const;
  protected readonly multipart: FsMultipartUploads;

  constructor(readonly root: string) {
    super();
    this.multipart = new FsMultipartUploads({
      root,
      pathOf: (bucket, key) => this.pathOf(bucket, key),
      bucketDir: (bucket) => this.bucketDir(bucket),
    });
  }

  private bucketDir(bucket: string): string {
    checkBucketName(bucket);
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

  put(bucket: string, key: string, body: Readable | Buffer): Promise<ObjectInfo> {
    return putThroughStream(this, bucket, key, body);
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
      await renameIntoBucket(temp, final, this.bucketDir(bucket));
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

  async close(): Promise<void> {}
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
  return isMissing(err) ? new ObjectNotFoundError(bucket, key) : err;
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
      await renameIntoBucket(this.temp, this.final, this.bucketDir);
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
