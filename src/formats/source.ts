import { open } from 'node:fs/promises';
import { findDataRanges } from './raw/data-ranges.js';
import type { ByteSource } from './types.js';

/**
 * A ByteSource over a local file: positioned reads, never a whole-file read. Short reads are
 * retried until the requested length or the end of the file.
 *
 * @example
 *   const src = await openFileSource('disk.qcow2');
 *   try { console.log(src.size); } finally { await src.close(); }
 */
export async function openFileSource(path: string): Promise<ByteSource> {
  const handle = await open(path, 'r');
  let size: number;
  try {
    size = (await handle.stat()).size;
  } catch (err) {
    await handle.close();
    throw err;
  }

  return {
    size,
    async read(offset: number, length: number): Promise<Buffer> {
      const want = clampLength(offset, length, size);
      const buf = Buffer.allocUnsafe(want);
      let done = 0;
      while (done < want) {
        const { bytesRead } = await handle.read(buf, done, want - done, offset + done);
        if (bytesRead === 0) break; // the file shrank under us: return what we have
        done += bytesRead;
      }
      return done === want ? buf : buf.subarray(0, done);
    },
    async readInto(buf: Buffer, offset: number, length: number): Promise<number> {
      const want = Math.min(clampLength(offset, length, size), buf.length);
      let done = 0;
      while (done < want) {
        const { bytesRead } = await handle.read(buf, done, want - done, offset + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
      return done;
    },
    dataRanges: () => findDataRanges(path, size),
    close: () => handle.close(),
  };
}

/** A ByteSource over bytes in memory (tests, small uploads). */
export function bufferSource(buf: Buffer): ByteSource {
  return {
    size: buf.length,
    async read(offset: number, length: number): Promise<Buffer> {
      const want = clampLength(offset, length, buf.length);
      return Buffer.from(buf.subarray(offset, offset + want));
    },
    async close() {},
  };
}

function clampLength(offset: number, length: number, size: number): number {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new RangeError(`invalid read range ${offset}+${length}`);
  }
  return Math.max(0, Math.min(length, size - offset));
}

/**
 * Reads at most `length` bytes at `offset` without ever asking the source for bytes past its end
 * (callers handle the short buffer). Every parser uses it where a length comes from the file.
 */
export function readClamped(source: ByteSource, offset: number, length: number): Promise<Buffer> {
  const start = Math.min(Math.max(0, offset), source.size);
  return source.read(start, Math.max(0, Math.min(length, source.size - start)));
}
