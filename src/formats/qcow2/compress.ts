/**
 * Compression of qcow2 clusters, run on worker threads (compress-worker.ts) for the compressed
 * writer (`qemu-img convert -c`).
 *
 * qcow2 stores a compressed cluster as raw deflate (no zlib header) and qemu inflates it with a
 * 4 KiB window (`inflateInit2(-12)`), so clusters must be deflated with `windowBits` 12: a larger
 * window produces back-references qemu cannot follow. A cluster that deflate does not shrink by
 * at least a sector is stored uncompressed, as qemu does; one whose samples look incompressible
 * (encrypted or already-compressed data) is not even tried.
 */
import { deflateRawSync } from 'node:zlib';
import { looksIncompressible } from '../common/entropy.js';

export interface CompressJob {
  id: number;
  /** `count` clusters of `clusterBytes` each, back to back (shared: nothing is copied). */
  input: SharedArrayBuffer;
  /** Cluster `i`'s deflated bytes go at `i × clusterBytes` (same size as `input`). */
  output: SharedArrayBuffer;
  count: number;
  clusterBytes: number;
  level: number;
}

export interface CompressResult {
  id: number;
  /** Deflated length of each cluster, or `STORE_UNCOMPRESSED`. */
  lengths: Int32Array;
  error?: string;
}

/** The cluster does not compress: write it as an ordinary data cluster. */
export const STORE_UNCOMPRESSED = -1;

/** qemu's window for compressed clusters (see the module comment). */
const WINDOW_BITS = 12;
const SECTOR_BYTES = 512;

export function compressClusters(job: CompressJob): CompressResult {
  const input = Buffer.from(job.input);
  const output = Buffer.from(job.output);
  const lengths = new Int32Array(job.count);
  const limit = job.clusterBytes - SECTOR_BYTES;

  for (let i = 0; i < job.count; i++) {
    const at = i * job.clusterBytes;
    const cluster = input.subarray(at, at + job.clusterBytes);
    lengths[i] = STORE_UNCOMPRESSED;
    if (looksIncompressible(cluster)) continue;

    const deflated = deflateRawSync(cluster, { level: job.level, windowBits: WINDOW_BITS });
    if (deflated.length > limit) continue;
    output.set(deflated, at);
    lengths[i] = deflated.length;
  }
  return { id: job.id, lengths };
}
