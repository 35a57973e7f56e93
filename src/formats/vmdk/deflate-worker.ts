/**
 * Worker thread for the streamOptimized writer: turns a batch of grains into the bytes of the
 * stream (marker, zlib data, padding to a sector) so the main thread only concatenates.
 *
 * Level trade-off: qemu uses zlib's default level 6. Level 1 costs far less CPU and loses a few
 * percent of ratio on typical disk data. Grains whose samples do not compress at all (encrypted
 * or already-compressed data) are stored with level 0: still a valid zlib stream, written at
 * memcpy speed, and at most 0.1 % larger than the input.
 */
import { parentPort } from 'node:worker_threads';
import { deflateSync } from 'node:zlib';

export interface DeflateJob {
  id: number;
  /** `count` grains of `grainBytes` each, back to back. */
  grains: ArrayBuffer;
  grainBytes: number;
  /** First sector (LBA) of each grain. */
  lbas: Float64Array;
  level: number;
}

export interface DeflateResult {
  id: number;
  /** The stream bytes for the batch, a multiple of 512. */
  out: ArrayBuffer;
  /** Sector offset of each grain's marker inside `out`. */
  offsets: Uint32Array;
  error?: string;
}

const SECTOR_BYTES = 512;
const MARKER_BYTES = 12;
const SAMPLE_BYTES = 4096;
/** A sample that deflates to more than this fraction of its size counts as incompressible. */
const INCOMPRESSIBLE_RATIO = 0.97;

function incompressible(grain: Buffer): boolean {
  if (grain.length < 4 * SAMPLE_BYTES) return false;
  const mid = (grain.length >> 1) & ~(SAMPLE_BYTES - 1);
  for (const start of [0, mid]) {
    const sample = grain.subarray(start, start + SAMPLE_BYTES);
    if (deflateSync(sample, { level: 1 }).length < SAMPLE_BYTES * INCOMPRESSIBLE_RATIO)
      return false;
  }
  return true;
}

export function compressBatch(job: DeflateJob): DeflateResult {
  const input = Buffer.from(job.grains);
  const count = job.lbas.length;
  const pieces: Buffer[] = [];
  const offsets = new Uint32Array(count);
  let total = 0;

  for (let i = 0; i < count; i++) {
    const grain = input.subarray(i * job.grainBytes, (i + 1) * job.grainBytes);
    const level = incompressible(grain) ? 0 : job.level;
    const data = deflateSync(grain, { level });
    pieces.push(data);
    offsets[i] = total / SECTOR_BYTES;
    total += Math.ceil((MARKER_BYTES + data.length) / SECTOR_BYTES) * SECTOR_BYTES;
  }

  // A fresh, zero-filled ArrayBuffer (not the Buffer pool) so it can be transferred.
  const out = new Uint8Array(total);
  const view = Buffer.from(out.buffer);
  for (let i = 0; i < count; i++) {
    const at = offsets[i] * SECTOR_BYTES;
    view.writeBigUInt64LE(BigInt(job.lbas[i]), at);
    view.writeUInt32LE(pieces[i].length, at + 8);
    view.set(pieces[i], at + MARKER_BYTES);
  }
  return { id: job.id, out: out.buffer, offsets };
}

parentPort?.on('message', (job: DeflateJob) => {
  let result: DeflateResult;
  try {
    result = compressBatch(job);
  } catch (err) {
    result = {
      id: job.id,
      out: new ArrayBuffer(0),
      offsets: new Uint32Array(0),
      error: String(err),
    };
  }
  parentPort!.postMessage(result, [result.out]);
});
