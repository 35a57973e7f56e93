/**
 * `ecsimg oss cp LOCAL oss://BUCKET/KEY` (and `ecsimg import`'s upload): one streamed PUT for a
 * file up to the big-file threshold (64 MiB by default), a resumable multipart upload above it.
 *
 * A multipart upload sends parts of one size (`--part-size`, default 8 MiB, raised so no file
 * needs more than 10000 parts), a few at once (`--parallel`, default 4), each streamed from the
 * file. Right after initiating it writes what it needs to resume to
 * `~/.ecsimg/uploads/<hash>.json`, named by the server, the local file's absolute path and the
 * destination, holding the upload ID, the part size and the file's size and mtime. Whatever
 * stops the command (a network error, Ctrl-C, a server restart), running it again resumes: it
 * lists the parts the server holds, checks each against the local bytes (size, and the MD5 the
 * server's ETag carries — a part that does not match is sent again, so the listing is never
 * trusted blindly), sends only what is missing and completes. A file whose size or mtime changed
 * starts a new upload, and the stale one is aborted. The state file goes when the upload is
 * complete.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  credentialsOf,
  objectAuthHeaders,
  objectCall,
  objectUrl,
  readAnswer,
  request,
  type OssPath,
} from './client/objects.js';
import { ApiError, type ApiClient } from './client/http-client.js';
import { profileFilePath } from './client/profiles.js';
import { formatBytes } from './gc.js';
import { CliError, EXIT, type CliIo } from './io.js';
import { progress, type Progress } from './progress.js';

export const DEFAULT_BIGFILE_THRESHOLD_BYTES = 64 * 1024 * 1024;
export const DEFAULT_PART_SIZE_BYTES = 8 * 1024 * 1024;
export const DEFAULT_PARALLEL = 4;
/** The server numbers parts 1–10000. */
const MAX_PARTS = 10_000;
const MIB = 1024 * 1024;

export interface UploadOptions {
  /** Files larger than this go in parts. */
  bigfileThresholdBytes?: number;
  partSizeBytes?: number;
  /** Parts in flight at once. */
  parallel?: number;
}

/** What a resumed run needs; one file per (server, local file, destination). */
interface UploadState {
  endpoint: string;
  file: string;
  size: number;
  mtimeMs: number;
  bucket: string;
  key: string;
  uploadId: string;
  partSize: number;
  startedAt: string;
}

/** `123`, `64K`, `8M`, `8MiB`, `1G` (binary units) as bytes; CliError naming `flag` otherwise. */
export function parseSize(text: string, flag: string): number {
  const m = /^(\d+)\s*(?:([kmg])(?:i?b)?)?$/i.exec(text.trim());
  if (!m) {
    throw new CliError(`${flag} takes a size such as 8M or 65536`, EXIT.usage, 'e.g. 16M');
  }
  const unit = { k: 1024, m: MIB, g: 1024 * MIB }[(m[2] ?? '').toLowerCase()] ?? 1;
  return Number(m[1]) * unit;
}

/** Uploads `file` to `to` (a key ending in `/` gets the file's name); returns where it went. */
export async function uploadFile(
  io: CliIo,
  client: ApiClient,
  file: string,
  to: OssPath,
  options: UploadOptions = {},
): Promise<OssPath> {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.io);
  }
  const key = to.key === '' || to.key.endsWith('/') ? to.key + path.basename(file) : to.key;
  const target = { bucket: to.bucket, key };

  if (stat.size > (options.bigfileThresholdBytes ?? DEFAULT_BIGFILE_THRESHOLD_BYTES)) {
    await new MultipartUpload(io, client, file, target, stat, options).run();
  } else {
    await putWhole(io, client, file, target, stat.size);
  }
  return target;
}

/** One streamed PUT: the object appears once every byte arrived. */
async function putWhole(
  io: CliIo,
  client: ApiClient,
  file: string,
  target: OssPath,
  size: number,
): Promise<void> {
  const url = objectUrl(client, target);
  const headers = {
    ...objectAuthHeaders(credentialsOf(client), 'PUT', url),
    'content-length': String(size),
    'content-type': 'application/octet-stream',
  };

  const { req, response } = request('PUT', url, headers);
  const bar = progress(io, size, `upload ${path.basename(file)}`);
  const sent = pipeline(fs.createReadStream(file), bar.meter(), req);
  // A refusal can arrive while we still send; the answer, not the broken pipe, is what counts.
  sent.catch(() => undefined);
  await readAnswer(await response);
  await sent;
  bar.finish();
  io.stdout.write(`uploaded ${file} to oss://${target.bucket}/${target.key} (${size} bytes)\n`);
}

/** Passes bytes through and hashes them with MD5 (the server's part ETag). */
class Md5Tap extends Transform {
  private readonly hash = crypto.createHash('md5');
  hex = '';

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.hash.update(chunk);
    cb(null, chunk);
  }

  override _flush(cb: TransformCallback): void {
    this.hex = this.hash.digest('hex');
    cb();
  }
}

/** The OSS form of a part ETag for an MD5. */
const etagOf = (md5Hex: string) => `"${md5Hex.toUpperCase()}"`;
const sameEtag = (a: string, b: string) =>
  a.replace(/"/g, '').toUpperCase() === b.replace(/"/g, '').toUpperCase();

class MultipartUpload {
  private readonly statePath: string;
  private readonly parallel: number;
  private readonly label: string;

  constructor(
    private readonly io: CliIo,
    private readonly client: ApiClient,
    private readonly file: string,
    private readonly target: OssPath,
    private readonly stat: fs.Stats,
    private readonly options: UploadOptions,
  ) {
    const name = JSON.stringify([client.endpoint, path.resolve(file), target.bucket, target.key]);
    const hash = crypto.createHash('sha256').update(name).digest('hex').slice(0, 32);
    this.statePath = path.join(path.dirname(profileFilePath(io.env)), 'uploads', `${hash}.json`);
    this.parallel = Math.max(1, options.parallel ?? DEFAULT_PARALLEL);
    this.label = `upload ${path.basename(file)}`;
  }

  async run(): Promise<void> {
    // Resume the upload a previous run left, if it is still for these bytes and still open.
    let state = this.readState();
    let stored = new Map<number, { size: number; etag: string }>();
    if (state && (state.size !== this.stat.size || state.mtimeMs !== this.stat.mtimeMs)) {
      this.io.stderr.write(
        `${this.file} changed since upload ${state.uploadId} began: aborting it, starting again\n`,
      );
      await this.abort(state.uploadId).catch(() => undefined);
      this.forget();
      state = undefined;
    }
    if (state) {
      try {
        stored = await this.listParts(state.uploadId);
      } catch (err) {
        if (!(err instanceof ApiError && err.code === 'NoSuchUpload')) throw err;
        this.io.stderr.write(
          `upload ${state.uploadId} is gone (completed, aborted or expired): starting again\n`,
        );
        this.forget();
        state = undefined;
      }
    }
    state ??= await this.initiate();

    const { partSize } = state;
    const count = Math.max(1, Math.ceil(this.stat.size / partSize));
    const sizeOf = (n: number) => (n < count ? partSize : this.stat.size - (count - 1) * partSize);

    // Parts the server holds count only if they hold our bytes.
    const etags = new Map<number, string>();
    const missing: number[] = [];
    let storedBytes = 0;
    for (let n = 1; n <= count; n++) {
      const have = stored.get(n);
      if (have && have.size === sizeOf(n)) {
        const local = etagOf(await this.md5Of((n - 1) * partSize, sizeOf(n)));
        if (sameEtag(local, have.etag)) {
          etags.set(n, local);
          storedBytes += sizeOf(n);
          continue;
        }
      }
      missing.push(n);
    }
    if (etags.size > 0) {
      this.io.stderr.write(
        `resuming upload ${state.uploadId}: ${etags.size} of ${count} parts already stored\n`,
      );
    }

    const bar = progress(this.io, this.stat.size, this.label);
    bar.skip(storedBytes);
    await this.sendParts(state, { missing, count, sizeOf }, bar, etags);
    await this.checkUnchanged(state);
    const parts = [...etags.entries()]
      .sort(([a], [b]) => a - b)
      .map(([PartNumber, ETag]) => ({ PartNumber, ETag }));
    const done = await objectCall(
      this.client,
      'POST',
      this.target,
      { uploadId: state.uploadId },
      Buffer.from(JSON.stringify({ Parts: parts })),
    ).catch((err: unknown) => {
      bar.finish();
      throw this.stopped(
        err,
        `every part is stored, but completing upload ${state.uploadId} failed`,
      );
    });
    bar.finish();
    this.forget();
    this.io.stdout.write(
      `uploaded ${this.file} to oss://${this.target.bucket}/${this.target.key} ` +
        `(${done.Size} bytes in ${count} parts of ${formatBytes(partSize)}; ` +
        `${missing.length} sent, ${count - missing.length} already stored)\n`,
    );
  }

  /** Starts a new upload and remembers it before the first part is sent. */
  private async initiate(): Promise<UploadState> {
    // No more than 10000 parts: a part size too small for that is raised, to whole MiB.
    const requested = this.options.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES;
    const partSize =
      requested * MAX_PARTS >= this.stat.size
        ? requested
        : Math.ceil(this.stat.size / MAX_PARTS / MIB) * MIB;
    const res = await objectCall(this.client, 'POST', this.target, { uploads: '', partSize });
    const state: UploadState = {
      endpoint: this.client.endpoint,
      file: path.resolve(this.file),
      size: this.stat.size,
      mtimeMs: this.stat.mtimeMs,
      bucket: this.target.bucket,
      key: this.target.key,
      uploadId: String(res.UploadId),
      partSize: Number(res.PartSize),
      startedAt: new Date().toISOString(),
    };
    this.writeState(state);
    this.io.stderr.write(
      `multipart upload ${state.uploadId} in parts of ${formatBytes(state.partSize)} ` +
        '(if it is interrupted, run the same command again to resume)\n',
    );
    return state;
  }

  /**
   * Sends `missing` parts, `parallel` at a time. After a failure no new part starts; those in
   * flight finish (each stored part is one less to send on the next run), then it is reported.
   */
  private async sendParts(
    state: UploadState,
    plan: { missing: number[]; count: number; sizeOf: (n: number) => number },
    bar: Progress,
    etags: Map<number, string>,
  ): Promise<void> {
    const { missing, count, sizeOf } = plan;
    const queue = [...missing];
    let failure: unknown;
    const worker = async () => {
      while (failure === undefined && queue.length > 0) {
        const n = queue.shift()!;
        try {
          etags.set(n, await this.sendPart(state, n, (n - 1) * state.partSize, sizeOf(n), bar));
        } catch (err) {
          failure ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.parallel, queue.length) }, worker));
    if (failure !== undefined) {
      bar.finish();
      throw this.stopped(
        failure,
        `upload of ${this.file} stopped with ${etags.size} of ${count} parts stored`,
      );
    }
  }

  /** A failure that leaves the upload resumable, said with the way to resume it. */
  private stopped(failure: unknown, what: string): CliError {
    const reason =
      failure instanceof ApiError && failure.status > 0
        ? `${failure.code} (HTTP ${failure.status}): ${failure.message}`
        : (failure as Error).message;
    return new CliError(
      `${what}: ${reason}`,
      failure instanceof ApiError && failure.status >= 400 && failure.status < 500
        ? EXIT.refused
        : EXIT.io,
      'run the same command again: it resumes, and sends only the parts not stored yet',
    );
  }

  /** One part, streamed from the file; resolves with its ETag, checked against our MD5. */
  private async sendPart(
    state: UploadState,
    partNumber: number,
    offset: number,
    size: number,
    bar: Progress,
  ): Promise<string> {
    const url = objectUrl(this.client, this.target, { partNumber, uploadId: state.uploadId });
    const headers = {
      ...objectAuthHeaders(credentialsOf(this.client), 'PUT', url),
      'content-length': String(size),
      'content-type': 'application/octet-stream',
    };
    const { req, response } = request('PUT', url, headers);
    const md5 = new Md5Tap();
    // Never empty: only the last part is shorter than the part size, and it holds a byte.
    const bytes = fs.createReadStream(this.file, { start: offset, end: offset + size - 1 });
    const sent = pipeline(bytes, md5, bar.meter(), req);
    // A refusal can arrive while we still send; the answer, not the broken pipe, is what counts.
    sent.catch(() => undefined);

    const answer = await readAnswer(await response);
    await sent;
    const etag = etagOf(md5.hex);
    if (!sameEtag(String(answer.ETag), etag)) {
      throw new ApiError(
        'InvalidPart',
        `the server stored part ${partNumber} with ETag ${answer.ETag}, not ${etag}`,
        0,
      );
    }
    return etag;
  }

  /** Every part the server holds, through the listing's pages. */
  private async listParts(uploadId: string) {
    const parts = new Map<number, { size: number; etag: string }>();
    let marker = 0;
    for (;;) {
      const page = await objectCall(this.client, 'GET', this.target, {
        uploadId,
        'part-number-marker': marker,
      });
      for (const p of page.Parts.Part as Array<Record<string, any>>) {
        parts.set(Number(p.PartNumber), { size: Number(p.Size), etag: String(p.ETag) });
      }
      if (!page.IsTruncated) return parts;
      marker = Number(page.NextPartNumberMarker);
    }
  }

  private async md5Of(offset: number, size: number): Promise<string> {
    const hash = crypto.createHash('md5');
    await pipeline(fs.createReadStream(this.file, { start: offset, end: offset + size - 1 }), hash);
    return hash.digest('hex');
  }

  private async abort(uploadId: string): Promise<void> {
    await objectCall(this.client, 'DELETE', this.target, { uploadId });
  }

  /** A file that changed while its parts were sent would complete as a mix of two versions. */
  private async checkUnchanged(state: UploadState): Promise<void> {
    const now = fs.statSync(this.file);
    if (now.size === state.size && now.mtimeMs === state.mtimeMs) return;
    this.forget();
    await this.abort(state.uploadId).catch(() => undefined);
    throw new CliError(
      `${this.file} changed while it was being uploaded`,
      EXIT.io,
      'upload it again once nothing writes to it',
    );
  }

  private readState(): UploadState | undefined {
    try {
      const state = JSON.parse(fs.readFileSync(this.statePath, 'utf8')) as UploadState;
      return state.uploadId && state.partSize > 0 ? state : undefined;
    } catch {
      // None, or unreadable: a fresh upload (a stale one expires on the server).
      return undefined;
    }
  }

  private writeState(state: UploadState): void {
    fs.mkdirSync(path.dirname(this.statePath), { recursive: true, mode: 0o700 });
    const temp = `${this.statePath}.${process.pid}.tmp`;
    fs.writeFileSync(temp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
    fs.renameSync(temp, this.statePath);
  }

  private forget(): void {
    fs.rmSync(this.statePath, { force: true });
  }
}
