/**
 * The streamOptimized writer's compression, run on worker threads (deflate-worker.ts): turns a
 * batch of grains into the bytes of the stream (marker, zlib data, padding to a sector) so the
 * main thread only concatenates.
 *
 * Level trade-off: qemu uses zlib's default level 6. Level 1 costs far less CPU and loses a few
 * percent of ratio on typical disk data. Grains whose samples do not compress at all (encrypted
 * or already-compressed data) are stored in deflate's stored blocks: still a valid zlib stream,
 * written at memcpy speed, 15 bytes larger than the input.
 */
import { deflateSync } from 'node:zlib';
import { looksIncompressible } from '../common/entropy.js';

export interface DeflateJob {
  id: number;
  /** `lbas.length` grains of `grainBytes` each, back to back (shared: nothing is copied). */
  input: SharedArrayBuffer;
  /** Where the stream bytes go; `outputBytesFor(count, grainBytes)` long. */
  output: SharedArrayBuffer;
  grainBytes: number;
  /** First sector (LBA) of each grain. */
  lbas: Float64Array;
  level: number;
}

export interface DeflateResult {
  id: number;
  /** Bytes of `output` used: the batch's stream bytes, a multiple of 512. */
  length: number;
  /** Sector offset of each grain's marker inside `output`. */
  offsets: Uint32Array;
  error?: string;
}

const SECTOR_BYTES = 512;
const MARKER_BYTES = 12;
const ADLER_MOD = 65521;
const STORED_BLOCK_BYTES = 65535;
const OVERFLOW = 'compressed batch exceeds its buffer';
/** Bytes of the zlib stream `writeStoredZlib` makes of `length` bytes. */
function storedZlibBytes(length: number): number {
  return 2 + Math.max(1, Math.ceil(length / STORED_BLOCK_BYTES)) * 5 + length + 4;
}

/**
 * Writes a zlib stream of stored (uncompressed) deflate blocks for `data` into `out` at `at`,
 * built by hand: what `deflateSync` at level 0 produces, written straight into the shared output
 * so an incompressible grain costs neither a zlib engine nor a fresh buffer (per-grain garbage
 * is what held the workers' memory up until their next GC).
 */
function writeStoredZlib(data: Buffer, out: Buffer, at: number): number {
  const start = at;
  const blocks = Math.max(1, Math.ceil(data.length / STORED_BLOCK_BYTES));
  out[at++] = 0x78; // deflate, 32 KiB window
  out[at++] = 0x01; // fastest; (0x7801 % 31 === 0) as the header check requires
  for (let b = 0; b < blocks; b++) {
    const chunk = data.subarray(b * STORED_BLOCK_BYTES, (b + 1) * STORED_BLOCK_BYTES);
    out[at] = b === blocks - 1 ? 1 : 0; // BFINAL on the last block, BTYPE 00 (stored)
    out.writeUInt16LE(chunk.length, at + 1);
    out.writeUInt16LE(~chunk.length & 0xffff, at + 3);
    out.set(chunk, at + 5);
    at += 5 + chunk.length;
  }
  out.writeUInt32BE(adler32(data), at);
  return at + 4 - start;
}

function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  // Reduce every 5552 bytes (zlib's NMAX) so the sums stay small integers.
  for (let start = 0; start < data.length; start += 5552) {
    const end = Math.min(start + 5552, data.length);
    for (let i = start; i < end; i++) {
      a += data[i];
      b += a;
    }
    a %= ADLER_MOD;
    b %= ADLER_MOD;
  }
  return ((b << 16) | a) >>> 0;
}

/** Room for a batch's output: deflate grows incompressible data by well under 1 KiB a grain. */
export function outputBytesFor(count: number, grainBytes: number): number {
  return count * (grainBytes + 1024);
}

export function compressBatch(job: DeflateJob): DeflateResult {
  const input = Buffer.from(job.input);
  const output = Buffer.from(job.output);
  const count = job.lbas.length;
  const offsets = new Uint32Array(count);
  let total = 0;

  for (let i = 0; i < count; i++) {
    const grain = input.subarray(i * job.grainBytes, (i + 1) * job.grainBytes);
    const at = total + MARKER_BYTES;
    let dataBytes: number;
    if (looksIncompressible(grain)) {
      if (at + storedZlibBytes(grain.length) > output.length) throw new Error(OVERFLOW);
      dataBytes = writeStoredZlib(grain, output, at);
    } else {
      const data = deflateSync(grain, { level: job.level });
      if (at + data.length > output.length) throw new Error(OVERFLOW);
      output.set(data, at);
      dataBytes = data.length;
    }
    const padded = Math.ceil((MARKER_BYTES + dataBytes) / SECTOR_BYTES) * SECTOR_BYTES;
    if (total + padded > output.length) throw new Error(OVERFLOW);

    offsets[i] = total / SECTOR_BYTES;
    output.writeBigUInt64LE(BigInt(job.lbas[i]), total);
    output.writeUInt32LE(dataBytes, total + 8);
    output.fill(0, at + dataBytes, total + padded);
    total += padded;
  }
  return { id: job.id, length: total, offsets };
}
