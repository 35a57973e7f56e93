import { constants as fsConstants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { ReleaseSplitter } from './buffer-pool.js';
import { zeroRuns } from './zero.js';

/**
 * A local output file written with positioned writes. One write system call is in flight at a
 * time — concurrent pwrites to one ext4 file only contend on its inode lock (measured: ~9% of a
 * convert's CPU spinning in `rwsem_spin_on_owner` with two in flight) — and buffers queued
 * meanwhile at consecutive positions go out together in one `writev`. Buffers handed to `writeAt`
 * must not change until their `onWritten` runs.
 *
 * With `direct`, writes whose position and lengths are whole sectors go through a second
 * descriptor opened with O_DIRECT: from the caller's memory to the device, without a copy into
 * the page cache and its later writeback. That pays for output that is flushed as soon as it is
 * written (an export: the object must be durable before it is reported done); a conversion the
 * user reads back at once is better served by the cache. The kernel refuses (EINVAL) memory that
 * is not aligned (see aligned.ts): such writes, and unaligned ones, take the buffered descriptor.
 */
export class FileSink {
  private queue: PendingWrite[] = [];
  private queuedBytes = 0;
  private writing: Promise<void> | undefined;
  private waiting: Array<() => void> = [];
  private failure: unknown;
  /** Direct writes refused in a row; past a few the device is taken not to do sector I/O. */
  private directRefusals = 0;
  bytesWritten = 0;
  /** Bytes that went out with O_DIRECT (diagnostics and tests). */
  directBytes = 0;

  private constructor(
    private readonly handle: FileHandle,
    private direct: FileHandle | undefined,
  ) {}

  static async create(path: string, options: { direct?: boolean } = {}): Promise<FileSink> {
    const handle = await open(path, 'w');
    let direct: FileHandle | undefined;
    if (options.direct && O_DIRECT !== undefined) {
      try {
        direct = await open(path, O_WRONLY | O_DIRECT);
      } catch (err) {
        // A file system without O_DIRECT (EINVAL): everything goes through the page cache.
        if ((err as NodeJS.ErrnoException).code !== 'EINVAL') {
          await handle.close();
          throw err;
        }
      }
    }
    return new FileSink(handle, direct);
  }

  /** Queues a write; `onWritten` runs once the bytes are in the file (buf may then be reused). */
  async writeAt(buf: Buffer, position: number, onWritten?: () => void): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.queuedBytes >= MAX_QUEUED_BYTES && !this.failure) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    if (this.failure) throw this.failure;
    if (buf.length === 0) {
      onWritten?.();
      return;
    }
    this.queue.push({ buf, position, onWritten });
    this.queuedBytes += buf.length;
    this.bytesWritten += buf.length;
    this.writing ??= this.pump();
  }

  /**
   * Writes the non-zero `granuleBytes` runs of `data` at `position` and skips the zero ones, which
   * must already read as zeros (a fresh file, or one truncated to size). `release` runs once all
   * the writes completed.
   */
  async writeSparse(
    data: Buffer,
    position: number,
    granuleBytes: number,
    release?: () => void,
  ): Promise<void> {
    const runs: [number, number][] = [];
    zeroRuns(data, granuleBytes, (s, end, zero) => {
      if (!zero) runs.push([s, end]);
    });
    const split = new ReleaseSplitter(release);
    try {
      for (const [s, end] of runs)
        await this.writeAt(data.subarray(s, end), position + s, split.share());
    } finally {
      split.done();
    }
  }

  /** Sets the file length (sparse extension when growing). */
  async truncate(length: number): Promise<void> {
    await this.drain();
    await this.handle.truncate(length);
  }

  async drain(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    try {
      await this.drain();
    } finally {
      await this.direct?.close();
      await this.handle.close();
    }
  }

  /** Writes queued buffers until the queue is empty, joining consecutive ones. */
  private async pump(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.failure) {
        const batch = this.takeBatch();
        try {
          await this.writeFully(
            batch.map((w) => w.buf),
            batch[0].position,
          );
        } catch (err) {
          this.failure ??= err;
        }
        for (const w of batch) {
          this.queuedBytes -= w.buf.length;
          if (!this.failure) w.onWritten?.();
        }
        this.wake();
      }
    } finally {
      this.writing = undefined;
      this.wake();
    }
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const resume of waiting) resume();
  }

  /** The queue's head and the buffers that continue it byte for byte, within the batch limits. */
  private takeBatch(): PendingWrite[] {
    const batch = [this.queue[0]];
    let end = batch[0].position + batch[0].buf.length;
    let bytes = batch[0].buf.length;
    let i = 1;
    for (; i < this.queue.length && i < MAX_BATCH_BUFFERS; i++) {
      const next = this.queue[i];
      if (next.position !== end || bytes + next.buf.length > MAX_BATCH_BYTES) break;
      batch.push(next);
      end += next.buf.length;
      bytes += next.buf.length;
    }
    this.queue.splice(0, i);
    return batch;
  }

  private async writeFully(bufs: Buffer[], position: number): Promise<void> {
    if (this.direct && position % SECTOR_BYTES === 0) {
      if (bufs.every((b) => b.length % SECTOR_BYTES === 0)) {
        try {
          await writeAll(this.direct, bufs, position);
          this.directRefusals = 0;
          for (const b of bufs) this.directBytes += b.length;
          return;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
          // Unaligned memory; the same bytes go through the page cache (a partial direct write
          // is simply written again).
          if (++this.directRefusals >= MAX_DIRECT_REFUSALS) {
            await this.direct.close();
            this.direct = undefined;
          }
        }
      }
    }
    await writeAll(this.handle, bufs, position);
  }
}

/** Writes every byte of `bufs` at `position`, going on after short writes. */
async function writeAll(handle: FileHandle, bufs: Buffer[], position: number): Promise<void> {
  while (bufs.length > 0) {
    let { bytesWritten } =
      bufs.length === 1
        ? await handle.write(bufs[0], 0, bufs[0].length, position)
        : await handle.writev(bufs, position);
    position += bytesWritten;
    // A short write: drop what went out and go on with the rest.
    while (bufs.length > 0 && bytesWritten >= bufs[0].length) {
      bytesWritten -= bufs[0].length;
      bufs = bufs.slice(1);
    }
    if (bytesWritten > 0) bufs = [bufs[0].subarray(bytesWritten), ...bufs.slice(1)];
  }
}

const { O_DIRECT, O_WRONLY } = fsConstants;
/** O_DIRECT wants positions and lengths in whole logical blocks: 512 bytes on common devices. */
const SECTOR_BYTES = 512;
const MAX_DIRECT_REFUSALS = 16;

interface PendingWrite {
  buf: Buffer;
  position: number;
  onWritten?: () => void;
}

/**
 * Bytes queued before `writeAt` waits: enough to keep the next write ready while one is in the
 * kernel; more only adds memory (peak RSS budget 150 MiB).
 */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;
/** One writev joins at most this much (and at most IOV_MAX-safe counts of buffers). */
const MAX_BATCH_BYTES = 8 * 1024 * 1024;
const MAX_BATCH_BUFFERS = 256;

/** Sequential writes to a stream, honouring back-pressure. */
export class StreamSink {
  bytesWritten = 0;
  private failure: unknown;

  constructor(private readonly out: NodeJS.WritableStream) {
    out.once('error', (err) => {
      this.failure ??= err;
    });
  }

  async write(buf: Buffer): Promise<void> {
    if (this.failure) throw this.failure;
    if (buf.length === 0) return;
    this.bytesWritten += buf.length;
    if (!this.out.write(buf)) await this.waitDrain();
    if (this.failure) throw this.failure;
  }

  private waitDrain(): Promise<void> {
    return new Promise((resolve, reject) => {
      const cleanup = () => {
        this.out.removeListener('drain', onDrain);
        this.out.removeListener('error', onError);
      };
      const onDrain = () => {
        cleanup();
        resolve();
      };
      const onError = (err: unknown) => {
        cleanup();
        reject(err);
      };
      this.out.on('drain', onDrain);
      this.out.on('error', onError);
    });
  }

  /** Writes `length` zero bytes without allocating them all at once. */
  async writeZeros(length: number, zeroBuf: Buffer): Promise<void> {
    while (length > 0) {
      const n = Math.min(length, zeroBuf.length);
      await this.write(zeroBuf.subarray(0, n));
      length -= n;
    }
  }
}
