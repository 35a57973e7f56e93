/**
 * The hosted sparse extent header (`KDMV`, 512 bytes, little-endian) and stream markers, per
 * VMware's "Virtual Disk Format 5.0" and what qemu 7.2 writes.
 */

export const SECTOR_BYTES = 512;
export const VMDK_MAGIC = 0x564d444b; // 'KDMV' read as a little-endian u32
export const GD_AT_END = 0xffffffffffffffffn;

export const FLAG_NEWLINE_TEST = 1 << 0;
export const FLAG_REDUNDANT_GT = 1 << 1;
export const FLAG_ZEROED_GRAIN_GTE = 1 << 2;
export const FLAG_COMPRESSED = 1 << 16;
export const FLAG_MARKERS = 1 << 17;

export const COMPRESSION_NONE = 0;
export const COMPRESSION_DEFLATE = 1;

export const MARKER_EOS = 0;
export const MARKER_GT = 1;
export const MARKER_GD = 2;
export const MARKER_FOOTER = 3;
/** u64 lba + u32 size: what precedes every compressed grain. */
export const GRAIN_MARKER_BYTES = 12;

export interface SparseHeader {
  version: number;
  flags: number;
  /** Sectors. */
  capacity: bigint;
  /** Sectors per grain. */
  grainSize: bigint;
  descriptorOffset: bigint;
  descriptorSize: bigint;
  numGTEsPerGT: number;
  rgdOffset: bigint;
  gdOffset: bigint;
  overHead: bigint;
  uncleanShutdown: number;
  /** The four newline-test bytes `\n \r\n`. */
  newlineTestOk: boolean;
  compressAlgorithm: number;
}

export function parseSparseHeader(buf: Buffer): SparseHeader {
  return {
    version: buf.readUInt32LE(4),
    flags: buf.readUInt32LE(8),
    capacity: buf.readBigUInt64LE(12),
    grainSize: buf.readBigUInt64LE(20),
    descriptorOffset: buf.readBigUInt64LE(28),
    descriptorSize: buf.readBigUInt64LE(36),
    numGTEsPerGT: buf.readUInt32LE(44),
    rgdOffset: buf.readBigUInt64LE(48),
    gdOffset: buf.readBigUInt64LE(56),
    overHead: buf.readBigUInt64LE(64),
    uncleanShutdown: buf[72],
    newlineTestOk: buf[73] === 0x0a && buf[74] === 0x20 && buf[75] === 0x0d && buf[76] === 0x0a,
    compressAlgorithm: buf.readUInt16LE(77),
  };
}

export function serializeSparseHeader(h: SparseHeader): Buffer {
  const buf = Buffer.alloc(SECTOR_BYTES);
  buf.writeUInt32LE(VMDK_MAGIC, 0);
  buf.writeUInt32LE(h.version, 4);
  buf.writeUInt32LE(h.flags >>> 0, 8);
  buf.writeBigUInt64LE(h.capacity, 12);
  buf.writeBigUInt64LE(h.grainSize, 20);
  buf.writeBigUInt64LE(h.descriptorOffset, 28);
  buf.writeBigUInt64LE(h.descriptorSize, 36);
  buf.writeUInt32LE(h.numGTEsPerGT, 44);
  buf.writeBigUInt64LE(h.rgdOffset, 48);
  buf.writeBigUInt64LE(h.gdOffset, 56);
  buf.writeBigUInt64LE(h.overHead, 64);
  buf[72] = h.uncleanShutdown;
  buf.set([0x0a, 0x20, 0x0d, 0x0a], 73);
  buf.writeUInt16LE(h.compressAlgorithm, 77);
  return buf;
}

/** A 512-byte metadata marker: {u64 numSectors, u32 size = 0, u32 type, zero padding}. */
export function metadataMarker(type: number, numSectors: number): Buffer {
  const buf = Buffer.alloc(SECTOR_BYTES);
  buf.writeBigUInt64LE(BigInt(numSectors), 0);
  buf.writeUInt32LE(type, 12);
  return buf;
}
