/** qcow2 on-disk constants (QEMU docs/interop/qcow2.txt). All fields are big-endian. */

export const QCOW2_MAGIC = 0x514649fb; // 'QFI\xfb'
export const V2_HEADER_BYTES = 72;
export const V3_MIN_HEADER_BYTES = 104;
export const MIN_CLUSTER_BITS = 9;
export const MAX_CLUSTER_BITS = 21; // qemu's limit: 2 MiB clusters
/** qemu's own caps, used as sanity limits on untrusted headers. */
export const MAX_L1_BYTES = 32 * 1024 * 1024;
export const MAX_REFCOUNT_TABLE_BYTES = 8 * 1024 * 1024;
export const MAX_SNAPSHOTS = 65536;

export const INCOMPAT_DIRTY = 1;
export const INCOMPAT_CORRUPT = 2;
export const INCOMPAT_DATA_FILE = 4;
export const INCOMPAT_COMPRESSION_TYPE = 8;
export const INCOMPAT_EXTENDED_L2 = 16;
export const INCOMPAT_KNOWN = 0x1f;

export const EXT_END = 0;
export const EXT_BACKING_FORMAT = 0xe2792aca;
export const EXT_FEATURE_NAMES = 0x6803f857;
export const EXT_BITMAPS = 0x23852875;
export const EXT_FULL_DISK_ENCRYPTION = 0x0537be77;
export const EXT_DATA_FILE = 0x44415441;

/** Where the reader finds what the inspector checked. */
export interface Qcow2Layout {
  version: 2 | 3;
  clusterBits: number;
  virtualSize: number;
  l1Offset: number;
  l1Size: number;
  fileSize: number;
}

/** A decoded L2 entry. */
export type L2Entry =
  | { kind: 'unallocated' }
  | { kind: 'zero' }
  | { kind: 'data'; hostOffset: number }
  | { kind: 'compressed'; hostOffset: number; compressedBytes: number }
  | { kind: 'invalid'; why: string };

/** Reads a u64 as a number; -1 when it does not fit in a safe integer. */
export function readU64(buf: Buffer, at: number): number {
  const hi = buf.readUInt32BE(at);
  const lo = buf.readUInt32BE(at + 4);
  if (hi > 0x1fffff) return -1;
  return hi * 0x100000000 + lo;
}

/** L1 entry → L2 table offset (0 = none), or -1 when reserved bits are set. */
export function decodeL1(buf: Buffer, at: number): number {
  const hi = buf.readUInt32BE(at);
  const lo = buf.readUInt32BE(at + 4);
  // bits 0-8 and 56-62 are reserved; bit 63 is "copied" (refcount 1)
  if ((lo & 0x1ff) !== 0 || (hi & 0x7f000000) !== 0) return -1;
  return (hi & 0x00ffffff) * 0x100000000 + (lo >>> 0);
}

/** Decodes the L2 entry at `at` of a table read from a qcow2 with these parameters. */
export function decodeL2(buf: Buffer, at: number, clusterBits: number, version: number): L2Entry {
  const hi = buf.readUInt32BE(at);
  const lo = buf.readUInt32BE(at + 4);

  if (hi & 0x40000000) {
    // Compressed: with x = 62 - (cluster_bits - 8), bits 0..x-1 are the host byte offset and
    // bits x..61 the number of additional 512-byte sectors.
    const v = (BigInt(hi) << 32n) | BigInt(lo);
    const x = BigInt(62 - (clusterBits - 8));
    const offset = Number(v & ((1n << x) - 1n));
    const sectors = Number((v >> x) & ((1n << (62n - x)) - 1n)) + 1;
    if (!Number.isSafeInteger(offset)) return { kind: 'invalid', why: 'offset too large' };
    return {
      kind: 'compressed',
      hostOffset: offset,
      compressedBytes: sectors * 512 - (offset % 512),
    };
  }

  if ((lo & 0x1fe) !== 0 || (hi & 0x3f000000) !== 0) {
    return { kind: 'invalid', why: 'reserved bits set' };
  }
  const zeroFlag = (lo & 1) !== 0;
  if (zeroFlag && version < 3) return { kind: 'invalid', why: 'zero flag in a version 2 image' };
  const offset = (hi & 0x00ffffff) * 0x100000000 + ((lo & 0xfffffe00) >>> 0);
  if (zeroFlag) return { kind: 'zero' };
  if (offset === 0) return { kind: 'unallocated' };
  if (offset % 2 ** clusterBits !== 0) return { kind: 'invalid', why: 'misaligned host offset' };
  return { kind: 'data', hostOffset: offset };
}
