import { open, type FileHandle } from 'node:fs/promises';
import { ReleaseSplitter } from './buffer-pool.js';
import { zeroRuns } from './zero.js';

/**
 * A local output file written with positioned writes, a few in flight at a time, so the next
 * read overlaps the current write. Buffers handed to `writeAt` must not change afterwards.
 */
export class FileSink {
  private inflight = new Set<Promise<void>>();
  private failure: unknown;
  bytesWritten = 0;

  private constructor(private readonly handle: FileHandle) {}

  static async create(path: string): Promise<FileSink> {
    return new FileSink(await open(path, 'w'));
  }

  /** Queues a write; `onWritten` runs once the bytes are in the file (buf may then be reused). */
  async writeAt(buf: Buffer, position: number, onWritten?: () => void): Promise<void> {
    if (this.failure) throw this.failure;
    while (this.inflight.size >= MAX_INFLIGHT_WRITES) await Promise.race(this.inflight);
    if (this.failure) throw this.failure;

    const p: Promise<void> = this.writeFully(buf, position).then(
      () => {
        this.inflight.delete(p);
        onWritten?.();
      },
      (err) => {
        this.failure ??= err;
        this.inflight.delete(p);
      },
    );
    this.inflight.add(p);
    this.bytesWritten += buf.length;
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
    await Promise.all(this.inflight);
    if (this.failure) throw this.failure;
  }

  async close(): Promise<void> {
    try {
      await this.drain();
    } finally {
      await this.handle.close();
    }
  }

  private async writeFully(buf: Buffer, position: number): Promise<void> {
    let done = 0;
    while (done < buf.length) {
      const { bytesWritten } = await this.handle.write(
        buf,
        done,
        buf.length - done,
        position + done,
      );
      done += bytesWritten;
    }
  }
}

// Two 4 MiB writes in flight keep the disk busy; more only adds memory (peak RSS budget 150 MiB).
const MAX_INFLIGHT_WRITES = 2;

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
