/**
 * VDI (VirtualBox) inspection: the 512-byte header and the block map, nothing else.
 *
 * We accept what qemu and VirtualBox write for standalone disks: version 1.1, image type
 * normal (dynamic) or fixed, 512-byte sectors, no block extra data. Undo and differencing
 * images, and any image naming a parent or link UUID, depend on another file and are refused.
 */
import type { ByteSource, InspectLimits, InspectResult, RefusalReason } from '../types.js';

export const VDI_SIGNATURE = 0xbeda107f;
export const VDI_VERSION_1_1 = 0x00010001;
export const VDI_HEADER_BYTES = 512;
/** Header size field of a v1.1 header, counted from offset 0x48. */
export const VDI_HEADER_SIZE_FIELD = 0x180;
export const VDI_TYPE_NORMAL = 1;
export const VDI_TYPE_FIXED = 2;
const VDI_TYPE_UNDO = 3;
const VDI_TYPE_DIFF = 4;
export const VDI_UNALLOCATED = 0xffffffff;
export const VDI_ZERO_BLOCK = 0xfffffffe;
const MIN_BLOCK_BYTES = 512;
const MAX_BLOCK_BYTES = 256 * 1024 * 1024;

export interface VdiLayout {
  blockSize: number;
  dataOffset: number;
  /** One entry per block: an index into the data area, or `VDI_UNALLOCATED` / `VDI_ZERO_BLOCK`. */
  blockMap: Uint32Array;
}

export function probeVdi(head: Buffer): boolean {
  return head.length >= 0x44 && head.readUInt32LE(0x40) === VDI_SIGNATURE;
}

function refused(size: number, reasons: RefusalReason[], extra?: Partial<InspectResult>) {
  const result: InspectResult = {
    format: 'vdi',
    virtualSize: 0,
    actualSize: size,
    features: [],
    ...extra,
    safe: false,
    reasons,
  };
  return result;
}

function isZero(buf: Buffer): boolean {
  for (const byte of buf) if (byte !== 0) return false;
  return true;
}

export async function inspectVdi(
  source: ByteSource,
  limits: InspectLimits,
): Promise<InspectResult> {
  const fileSize = source.size;
  const header = await source.read(0, Math.min(VDI_HEADER_BYTES, fileSize));
  if (header.length < VDI_HEADER_BYTES) {
    return refused(fileSize, [
      { code: 'VDI_TRUNCATED', message: `file of ${fileSize} bytes is shorter than a VDI header` },
    ]);
  }
  if (header.readUInt32LE(0x40) !== VDI_SIGNATURE) {
    return refused(fileSize, [{ code: 'VDI_BAD_HEADER', message: 'no VDI signature at 0x40' }]);
  }

  // Header fields, in on-disk order.
  const preHeader = header.subarray(0, 4).toString('latin1');
  const version = header.readUInt32LE(0x44);
  const headerSize = header.readUInt32LE(0x48);
  const imageType = header.readUInt32LE(0x4c);
  const bmapOffset = header.readUInt32LE(0x154);
  const dataOffset = header.readUInt32LE(0x158);
  const sectorSize = header.readUInt32LE(0x168);
  const diskSize = Number(header.readBigUInt64LE(0x170));
  const blockSize = header.readUInt32LE(0x178);
  const blockExtra = header.readUInt32LE(0x17c);
  const blocks = header.readUInt32LE(0x180);
  const blocksAllocated = header.readUInt32LE(0x184);
  const linkUuid = header.subarray(0x1a8, 0x1b8);
  const parentUuid = header.subarray(0x1b8, 0x1c8);
  const subformat = imageType === VDI_TYPE_FIXED ? 'fixed' : 'normal';
  const base = { virtualSize: diskSize, subformat, clusterSize: blockSize };

  // Anything that ties this disk to another file is refused before its geometry matters.
  if (imageType === VDI_TYPE_DIFF || imageType === VDI_TYPE_UNDO || !isZero(parentUuid)) {
    const message = 'differencing/undo VDI images depend on a parent image';
    return refused(fileSize, [{ code: 'VDI_DIFFERENCING', message }], base);
  }
  if (!isZero(linkUuid)) {
    const message = 'VDI with a link UUID depends on another image';
    return refused(fileSize, [{ code: 'VDI_DIFFERENCING', message }], base);
  }

  const problems: string[] = [];
  if (preHeader !== '<<< ') problems.push('pre-header text does not start with "<<< "');
  if (version !== VDI_VERSION_1_1) problems.push(`version 0x${version.toString(16)} is not 1.1`);
  if (headerSize < VDI_HEADER_SIZE_FIELD || headerSize > VDI_HEADER_BYTES - 0x48) {
    problems.push(`header size ${headerSize} is not a v1.1 header`);
  }
  if (imageType !== VDI_TYPE_NORMAL && imageType !== VDI_TYPE_FIXED) {
    problems.push(`image type ${imageType} is unknown`);
  }
  if (sectorSize !== 512) problems.push(`sector size ${sectorSize} is not 512`);
  if (blockSize < MIN_BLOCK_BYTES || blockSize > MAX_BLOCK_BYTES || blockSize & (blockSize - 1)) {
    problems.push(`block size ${blockSize} is not a power of two in [512 B, 256 MiB]`);
  }
  if (blockExtra !== 0) problems.push(`block extra data (${blockExtra} bytes) is not supported`);
  if (diskSize % 512 !== 0) problems.push(`disk size ${diskSize} is not a multiple of 512`);
  if (problems.length === 0 && blocks !== Math.ceil(diskSize / blockSize)) {
    problems.push(`${blocks} blocks do not cover a disk of ${diskSize} bytes`);
  }
  if (blocksAllocated > blocks) problems.push('more blocks allocated than the disk has');
  if (problems.length > 0) {
    return refused(fileSize, [{ code: 'VDI_BAD_HEADER', message: problems.join('; ') }], base);
  }

  if (diskSize > limits.maxVirtualSizeBytes) {
    const message = `virtual size ${diskSize} exceeds the limit ${limits.maxVirtualSizeBytes}`;
    return refused(fileSize, [{ code: 'VDI_TOO_LARGE', message }], base);
  }
  const bmapBytes = blocks * 4;
  if (bmapBytes > limits.maxTableBytes) {
    const message = `block map of ${bmapBytes} bytes exceeds the limit ${limits.maxTableBytes}`;
    return refused(fileSize, [{ code: 'VDI_TABLE_TOO_LARGE', message }], base);
  }

  // The block map must sit between the header and the data area, inside the file.
  const headerEnd = 0x48 + headerSize;
  if (bmapOffset < headerEnd || bmapOffset + bmapBytes > dataOffset || dataOffset > fileSize) {
    const message =
      `block map [${bmapOffset}, +${bmapBytes}) / data at ${dataOffset} do not fit between the ` +
      `header (${headerEnd}) and the end of the ${fileSize}-byte file`;
    return refused(fileSize, [{ code: 'VDI_OUT_OF_BOUNDS', message }], base);
  }

  const raw = await source.read(bmapOffset, bmapBytes);
  if (raw.length !== bmapBytes) {
    return refused(fileSize, [{ code: 'VDI_TRUNCATED', message: 'block map runs past the end' }]);
  }
  // Copy into an aligned array: the buffer may be a view at any byte offset.
  const blockMap = new Uint32Array(blocks);
  for (let i = 0; i < blocks; i++) blockMap[i] = raw.readUInt32LE(i * 4);

  // Every allocated block: index below blocks_allocated, stored inside the file, used once.
  const used = new Uint8Array(blocksAllocated);
  let allocated = 0;
  let zeroBlocks = 0;
  for (let i = 0; i < blocks; i++) {
    const entry = blockMap[i];
    if (entry === VDI_UNALLOCATED) continue;
    if (entry === VDI_ZERO_BLOCK) {
      zeroBlocks++;
      continue;
    }
    const end = dataOffset + (entry + 1) * blockSize;
    if (entry >= blocksAllocated || end > fileSize) {
      const message = `block ${i} points at data block ${entry}, outside the file`;
      return refused(fileSize, [{ code: 'VDI_OUT_OF_BOUNDS', message }], base);
    }
    if (used[entry]) {
      const message = `data block ${entry} is mapped twice (at virtual block ${i})`;
      return refused(fileSize, [{ code: 'VDI_OVERLAP', message }], base);
    }
    used[entry] = 1;
    allocated++;
  }

  const features: string[] = [];
  if (zeroBlocks > 0) features.push('zero-blocks');
  const layout: VdiLayout = { blockSize, dataOffset, blockMap };
  return {
    format: 'vdi',
    subformat,
    virtualSize: diskSize,
    actualSize: fileSize,
    clusterSize: blockSize,
    features,
    safe: true,
    reasons: [],
    layout: { ...layout, allocatedBlocks: allocated },
  };
}
