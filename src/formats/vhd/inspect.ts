import { reason } from '../errors.js';
import type { ByteSource, InspectLimits, InspectResult, RefusalReason } from '../types.js';
import {
  COOKIE,
  DYN_COOKIE,
  DYN_HEADER_BYTES,
  FOOTER_BYTES,
  TYPE_DIFFERENCING,
  TYPE_DYNAMIC,
  TYPE_FIXED,
  UNALLOCATED,
  effectiveSize,
  vhdChecksum,
  type VhdLayout,
} from './constants.js';

const MAX_BLOCK_BYTES = 256 * 1024 * 1024;

/**
 * Inspects a VHD: the footer at EOF−512 (the only copy in a fixed disk), and for dynamic disks
 * the footer copy at 0, the dynamic header and the whole BAT (bounded by maxTableBytes).
 * Differencing disks name a parent file and are refused.
 */
export async function inspectVhd(
  source: ByteSource,
  limits: InspectLimits,
): Promise<InspectResult> {
  const reasons: RefusalReason[] = [];
  const result: InspectResult = {
    format: 'vhd',
    virtualSize: 0,
    actualSize: source.size,
    features: [],
    safe: false,
    reasons,
  };
  const refuse = (code: string, message: string) => {
    if (!reasons.some((r) => r.code === code)) reasons.push(reason(code, message));
  };
  const done = () => {
    result.safe = reasons.length === 0;
    return result;
  };

  if (source.size < FOOTER_BYTES) {
    refuse('VHD_TRUNCATED', `file of ${source.size} bytes has no room for a footer`);
    return done();
  }
  const footer = await source.read(source.size - FOOTER_BYTES, FOOTER_BYTES);
  const head = await source.read(0, FOOTER_BYTES);
  const footerOk = footer.subarray(0, 8).equals(COOKIE);
  if (!footerOk) {
    // A copy at 0 but no footer at the end: cut off (or a fixed disk whose tail was lost).
    refuse('VHD_TRUNCATED', 'no footer at the end of the file');
    return done();
  }
  if (footer.readUInt32BE(64) !== vhdChecksum(footer, 64)) {
    refuse('VHD_BAD_CHECKSUM', 'footer checksum mismatch');
    return done();
  }

  const type = footer.readUInt32BE(60);
  const dataOffset = footer.readBigUInt64BE(16);
  result.features.push(`creator:${footer.toString('latin1', 28, 32).replace(/\0/g, '')}`);
  if (type === TYPE_DIFFERENCING) {
    refuse('VHD_DIFFERENCING', 'differencing disk: data lives in a parent file');
    return done();
  }
  if (type !== TYPE_FIXED && type !== TYPE_DYNAMIC) {
    refuse('VHD_UNSUPPORTED_TYPE', `disk type ${type}`);
    return done();
  }

  const virtualSize = effectiveSize(footer);
  result.virtualSize = virtualSize;
  if (virtualSize > limits.maxVirtualSizeBytes) {
    refuse('VIRTUAL_SIZE_TOO_LARGE', `${virtualSize} bytes > limit ${limits.maxVirtualSizeBytes}`);
    return done();
  }
  if (virtualSize % 512 !== 0) refuse('VHD_BAD_FOOTER', `size ${virtualSize} is not whole sectors`);

  if (type === TYPE_FIXED) {
    result.subformat = 'fixed';
    if (virtualSize > source.size - FOOTER_BYTES) {
      refuse('VHD_TRUNCATED', `fixed disk of ${virtualSize} bytes in a ${source.size}-byte file`);
    }
    const layout: VhdLayout = {
      type: 'fixed',
      virtualSize,
      fileSize: source.size,
      batOffset: 0,
      batEntries: 0,
      blockSize: 0,
      bitmapBytes: 0,
    };
    result.layout = layout;
    result.allocatedSize = virtualSize;
    return done();
  }

  // Dynamic: the copy at 0 must be the same footer, then the dynamic header.
  result.subformat = 'dynamic';
  if (!head.equals(footer)) refuse('VHD_FOOTER_MISMATCH', 'footer copy at offset 0 differs');
  if (
    dataOffset < 512n ||
    dataOffset + BigInt(DYN_HEADER_BYTES + FOOTER_BYTES) > BigInt(source.size)
  ) {
    refuse('VHD_TABLE_OUTSIDE_FILE', `dynamic header at ${dataOffset}`);
    return done();
  }
  const hdrOffset = Number(dataOffset);
  const hdr = await source.read(hdrOffset, DYN_HEADER_BYTES);
  if (!hdr.subarray(0, 8).equals(DYN_COOKIE)) {
    refuse('VHD_BAD_HEADER', 'dynamic header cookie missing');
    return done();
  }
  if (hdr.readUInt32BE(36) !== vhdChecksum(hdr, 36)) {
    refuse('VHD_BAD_CHECKSUM', 'dynamic header checksum mismatch');
  }
  const batOffset = hdr.readBigUInt64BE(16);
  const batEntries = hdr.readUInt32BE(28);
  const blockSize = hdr.readUInt32BE(32);
  if (blockSize < 512 || blockSize > MAX_BLOCK_BYTES || (blockSize & (blockSize - 1)) !== 0) {
    refuse('VHD_BAD_HEADER', `block size ${blockSize}`);
    return done();
  }
  result.clusterSize = blockSize;
  const batBytes = batEntries * 4;
  if (batBytes > limits.maxTableBytes) {
    refuse('VHD_TABLE_TOO_LARGE', `BAT of ${batBytes} bytes`);
    return done();
  }
  if (batEntries * blockSize < virtualSize) {
    refuse('VHD_BAT_TOO_SMALL', `${batEntries} blocks cannot hold ${virtualSize} bytes`);
  }
  const headerEnd = hdrOffset + DYN_HEADER_BYTES;
  const batStart = Number(batOffset);
  if (batOffset > BigInt(source.size) || batStart + batBytes > source.size - FOOTER_BYTES) {
    refuse('VHD_TABLE_OUTSIDE_FILE', `BAT at ${batOffset}+${batBytes}`);
    return done();
  }
  if (batStart < headerEnd && hdrOffset < batStart + batBytes) {
    refuse('VHD_OVERLAPS_HEADER', 'BAT overlaps the dynamic header');
  }
  if (batStart < FOOTER_BYTES) refuse('VHD_OVERLAPS_HEADER', 'BAT overlaps the footer copy');
  if (reasons.length > 0) return done();

  // Every allocated block (bitmap + data) must sit after the metadata and before the footer.
  const bitmapBytes = Math.ceil(blockSize / 512 / 8 / 512) * 512;
  const bat = await source.read(batStart, batBytes);
  const metaEnd = Math.max(headerEnd, batStart + batBytes);
  let allocated = 0;
  for (let i = 0; i < batEntries; i++) {
    const sector = bat.readUInt32BE(i * 4);
    if (sector === UNALLOCATED) continue;
    const start = sector * 512;
    if (start < metaEnd) {
      refuse('VHD_OVERLAPS_HEADER', `block ${i} at ${start} overlaps the header or BAT`);
      break;
    }
    if (start + bitmapBytes + blockSize > source.size - FOOTER_BYTES) {
      refuse('VHD_BLOCK_OUTSIDE_FILE', `block ${i} at ${start} runs past the footer`);
      break;
    }
    allocated++;
  }
  const layout: VhdLayout = {
    type: 'dynamic',
    virtualSize,
    fileSize: source.size,
    batOffset: batStart,
    batEntries,
    blockSize,
    bitmapBytes,
  };
  result.layout = layout;
  result.allocatedSize = Math.min(virtualSize, allocated * blockSize);
  return done();
}
