/**
 * VHDX (MS-VHDX v1) inspection: file identifier, the two headers, the two region tables, the
 * metadata region and the BAT. Everything is found by GUID and guarded by CRC-32C.
 *
 * Refusal codes: VHDX_TRUNCATED, VHDX_BAD_CHECKSUM (no valid header or region table),
 * VHDX_BAD_HEADER, VHDX_LOG_REPLAY_REQUIRED, VHDX_BAD_METADATA, VHDX_DIFFERENCING,
 * VHDX_OUT_OF_BOUNDS, VHDX_TOO_LARGE, VHDX_TABLE_TOO_LARGE, VHDX_BAD_BAT.
 */
import type { ByteSource, InspectLimits, InspectResult, RefusalReason } from '../types.js';
import { crc32cWithZeroField } from './crc32c.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** The header area (identifier, headers, region tables) is the first 1 MiB. */
const HEADER_AREA_BYTES = MiB;
const HEADER_OFFSETS = [64 * KiB, 128 * KiB];
const HEADER_BYTES = 4 * KiB;
const REGION_TABLE_OFFSETS = [192 * KiB, 256 * KiB];
const REGION_TABLE_BYTES = 64 * KiB;
const MAX_ENTRIES = 2047;
const MAX_METADATA_ITEM_BYTES = 64 * KiB;

const REGION_BAT = '2dc27766-f623-4200-9d64-115e9bfd4a08';
const REGION_METADATA = '8b7ca206-4790-4b9a-b8fe-575f050f886e';
const ITEM_FILE_PARAMETERS = 'caa16737-fa36-4d43-b3b6-33f0aa44e76b';
const ITEM_VIRTUAL_DISK_SIZE = '2fa54224-cd1b-4876-b211-5dbed83bf4b8';
const ITEM_VIRTUAL_DISK_ID = 'beca12ab-b2e6-4523-93ef-c309e000c746';
const ITEM_LOGICAL_SECTOR_SIZE = '8141bf1d-a96f-4709-ba47-f233a8faab5f';
const ITEM_PHYSICAL_SECTOR_SIZE = 'cda348c7-445d-4471-9cc9-e9885251c556';
const ITEM_PARENT_LOCATOR = 'a8d35f2d-b30b-454d-abf7-d3d84834ab0c';
const KNOWN_ITEMS = new Set([
  ITEM_FILE_PARAMETERS,
  ITEM_VIRTUAL_DISK_SIZE,
  ITEM_VIRTUAL_DISK_ID,
  ITEM_LOGICAL_SECTOR_SIZE,
  ITEM_PHYSICAL_SECTOR_SIZE,
]);

export const BAT_NOT_PRESENT = 0;
export const BAT_FULLY_PRESENT = 6;
const BAT_PARTIALLY_PRESENT = 7;

export interface VhdxLayout {
  blockSize: number;
  /** Payload block → file offset of its data, or -1 when it reads as zeros. */
  blockOffsets: Float64Array;
}

export function probeVhdx(head: Buffer): boolean {
  return head.length >= 8 && head.toString('latin1', 0, 8) === 'vhdxfile';
}

/** GUIDs are stored mixed-endian: the first three fields little-endian, the rest as bytes. */
function guidAt(buf: Buffer, at: number): string {
  const hex = (start: number, end: number) => buf.subarray(at + start, at + end).toString('hex');
  const le = (start: number, len: number) =>
    Buffer.from(buf.subarray(at + start, at + start + len))
      .reverse()
      .toString('hex');
  return `${le(0, 4)}-${le(4, 2)}-${le(6, 2)}-${hex(8, 10)}-${hex(10, 16)}`;
}

class Refusal extends Error {
  constructor(readonly reason: RefusalReason) {
    super(reason.code);
  }
}

function refuse(code: string, message: string): never {
  throw new Refusal({ code, message });
}

interface Partial {
  virtualSize: number;
  clusterSize?: number;
}

export async function inspectVhdx(
  source: ByteSource,
  limits: InspectLimits,
): Promise<InspectResult> {
  const partial: Partial = { virtualSize: 0 };
  try {
    return await inspectOrRefuse(source, limits, partial);
  } catch (err) {
    if (!(err instanceof Refusal)) throw err;
    return {
      format: 'vhdx',
      ...partial,
      actualSize: source.size,
      features: [],
      safe: false,
      reasons: [err.reason],
    };
  }
}

async function inspectOrRefuse(
  source: ByteSource,
  limits: InspectLimits,
  partial: Partial,
): Promise<InspectResult> {
  const fileSize = source.size;
  if (fileSize < HEADER_AREA_BYTES) {
    refuse('VHDX_TRUNCATED', `file of ${fileSize} bytes is shorter than the 1 MiB header area`);
  }
  const area = await source.read(0, REGION_TABLE_OFFSETS[1] + REGION_TABLE_BYTES);
  if (area.toString('latin1', 0, 8) !== 'vhdxfile') refuse('VHDX_BAD_HEADER', 'no "vhdxfile"');

  // Headers: the valid one with the higher sequence number is current.
  let current: Buffer | undefined;
  let bestSequence = -1n;
  for (const offset of HEADER_OFFSETS) {
    const h = area.subarray(offset, offset + HEADER_BYTES);
    if (h.toString('latin1', 0, 4) !== 'head') continue;
    if (crc32cWithZeroField(h, 4) !== h.readUInt32LE(4)) continue;
    const sequence = h.readBigUInt64LE(8);
    if (sequence > bestSequence) {
      bestSequence = sequence;
      current = h;
    }
  }
  if (!current) refuse('VHDX_BAD_CHECKSUM', 'neither header has a valid signature and CRC-32C');
  if (current.readUInt16LE(66) !== 1) refuse('VHDX_BAD_HEADER', 'header version is not 1');
  if (!current.subarray(48, 64).equals(Buffer.alloc(16))) {
    refuse('VHDX_LOG_REPLAY_REQUIRED', 'the log holds entries that must be replayed first');
  }
  const logLength = current.readUInt32LE(68);
  const logOffset = Number(current.readBigUInt64LE(72));
  const taken: [number, number, string][] = [[0, HEADER_AREA_BYTES, 'the header area']];
  if (logLength > 0) taken.push(claim(taken, logOffset, logLength, fileSize, 'the log'));

  // Region tables: both copies are written identically; the first valid one is used.
  let regions: Map<string, { offset: number; length: number }> | undefined;
  for (const offset of REGION_TABLE_OFFSETS) {
    const t = area.subarray(offset, offset + REGION_TABLE_BYTES);
    if (t.toString('latin1', 0, 4) !== 'regi') continue;
    if (crc32cWithZeroField(t, 4) !== t.readUInt32LE(4)) continue;
    regions = parseRegions(t);
    break;
  }
  if (!regions) refuse('VHDX_BAD_CHECKSUM', 'neither region table has a valid CRC-32C');
  const bat = regions.get(REGION_BAT);
  const metadata = regions.get(REGION_METADATA);
  if (!bat || !metadata) refuse('VHDX_BAD_HEADER', 'BAT or metadata region missing');
  taken.push(claim(taken, metadata.offset, metadata.length, fileSize, 'the metadata region'));
  taken.push(claim(taken, bat.offset, bat.length, fileSize, 'the BAT region'));

  const meta = await readMetadata(source, metadata.offset, metadata.length);
  const { blockSize, virtualSize, logicalSectorSize } = meta;
  partial.virtualSize = virtualSize;
  partial.clusterSize = blockSize;
  if (virtualSize > limits.maxVirtualSizeBytes) {
    refuse('VHDX_TOO_LARGE', `virtual size ${virtualSize} exceeds ${limits.maxVirtualSizeBytes}`);
  }

  // BAT: payload entries interleaved with one sector-bitmap entry per chunk.
  const chunkRatio = (2 ** 23 * logicalSectorSize) / blockSize;
  const dataBlocks = Math.ceil(virtualSize / blockSize);
  const entries = dataBlocks + Math.floor(Math.max(0, dataBlocks - 1) / chunkRatio);
  if (entries * 8 > limits.maxTableBytes) {
    refuse('VHDX_TABLE_TOO_LARGE', `BAT of ${entries * 8} bytes exceeds ${limits.maxTableBytes}`);
  }
  if (entries * 8 > bat.length) refuse('VHDX_OUT_OF_BOUNDS', 'BAT region too small for the disk');
  const raw = await source.read(bat.offset, entries * 8);

  const blockOffsets = new Float64Array(dataBlocks);
  let present = 0;
  for (let block = 0; block < dataBlocks; block++) {
    const index = block + Math.floor(block / chunkRatio);
    const entry = raw.readBigUInt64LE(index * 8);
    const state = Number(entry & 7n);
    blockOffsets[block] = -1;
    if (state === BAT_PARTIALLY_PRESENT) {
      refuse('VHDX_DIFFERENCING', `block ${block} is partially present (differencing disk)`);
    }
    if (state === 4 || state === 5) refuse('VHDX_BAD_BAT', `block ${block} has state ${state}`);
    if (state !== BAT_FULLY_PRESENT) continue; // not present, undefined, zero, unmapped

    const offset = Number(entry >> 20n) * MiB;
    const length = Math.min(blockSize, virtualSize - block * blockSize);
    if (offset < HEADER_AREA_BYTES || offset + length > fileSize) {
      refuse('VHDX_OUT_OF_BOUNDS', `block ${block} at ${offset} is outside the file's data area`);
    }
    for (const [start, len, what] of taken.slice(1)) {
      if (offset < start + len && start < offset + length) {
        refuse('VHDX_OUT_OF_BOUNDS', `block ${block} overlaps ${what}`);
      }
    }
    blockOffsets[block] = offset;
    present++;
  }

  const layout: VhdxLayout = { blockSize, blockOffsets };
  return {
    format: 'vhdx',
    subformat: 'dynamic',
    virtualSize,
    actualSize: fileSize,
    clusterSize: blockSize,
    features: present === dataBlocks ? ['fully-allocated'] : [],
    safe: true,
    reasons: [],
    layout,
  };
}

/** A structure must lie inside the file, after the header area, overlapping nothing claimed. */
function claim(
  taken: [number, number, string][],
  offset: number,
  length: number,
  fileSize: number,
  what: string,
): [number, number, string] {
  if (!Number.isSafeInteger(offset) || offset < HEADER_AREA_BYTES || offset + length > fileSize) {
    refuse('VHDX_OUT_OF_BOUNDS', `${what} [${offset}, +${length}) is outside the file`);
  }
  for (const [start, len, other] of taken) {
    if (offset < start + len && start < offset + length) {
      refuse('VHDX_OUT_OF_BOUNDS', `${what} overlaps ${other}`);
    }
  }
  return [offset, length, what];
}

function parseRegions(t: Buffer): Map<string, { offset: number; length: number }> {
  const count = t.readUInt32LE(8);
  if (count > MAX_ENTRIES) refuse('VHDX_BAD_HEADER', `${count} region table entries`);
  const regions = new Map<string, { offset: number; length: number }>();
  for (let i = 0; i < count; i++) {
    const at = 16 + i * 32;
    const guid = guidAt(t, at);
    const offset = Number(t.readBigUInt64LE(at + 16));
    const length = t.readUInt32LE(at + 24);
    const required = t.readUInt32LE(at + 28) & 1;
    if (guid !== REGION_BAT && guid !== REGION_METADATA) {
      if (required) refuse('VHDX_BAD_HEADER', `unknown required region ${guid}`);
      continue;
    }
    if (regions.has(guid)) refuse('VHDX_BAD_HEADER', `region ${guid} listed twice`);
    regions.set(guid, { offset, length });
  }
  return regions;
}

async function readMetadata(source: ByteSource, offset: number, length: number) {
  const table = await source.read(offset, Math.min(length, 64 * KiB));
  if (table.length < 32 || table.toString('latin1', 0, 8) !== 'metadata') {
    refuse('VHDX_BAD_METADATA', 'metadata region lacks its signature');
  }
  const count = table.readUInt16LE(10);
  if (count > MAX_ENTRIES || 32 + count * 32 > table.length) {
    refuse('VHDX_BAD_METADATA', `${count} metadata entries`);
  }

  const items = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const at = 32 + i * 32;
    const guid = guidAt(table, at);
    const itemOffset = table.readUInt32LE(at + 16);
    const itemLength = table.readUInt32LE(at + 20);
    const required = (table.readUInt32LE(at + 24) >>> 2) & 1;
    if (guid === ITEM_PARENT_LOCATOR) refuse('VHDX_DIFFERENCING', 'metadata has a parent locator');
    if (!KNOWN_ITEMS.has(guid)) {
      if (required) refuse('VHDX_BAD_METADATA', `unknown required metadata item ${guid}`);
      continue;
    }
    if (itemLength > MAX_METADATA_ITEM_BYTES || itemOffset < 64 * KiB) {
      refuse('VHDX_BAD_METADATA', `metadata item ${guid} at ${itemOffset}+${itemLength}`);
    }
    if (itemOffset + itemLength > length) {
      refuse('VHDX_OUT_OF_BOUNDS', `metadata item ${guid} runs past its region`);
    }
    items.set(guid, await source.read(offset + itemOffset, itemLength));
  }

  const item = (guid: string, bytes: number, name: string) => {
    const value = items.get(guid);
    if (!value || value.length < bytes) refuse('VHDX_BAD_METADATA', `missing ${name}`);
    return value;
  };
  const params = item(ITEM_FILE_PARAMETERS, 8, 'file parameters');
  const blockSize = params.readUInt32LE(0);
  if (params.readUInt32LE(4) & 2) refuse('VHDX_DIFFERENCING', 'file parameters say HasParent');
  const virtualSize = Number(item(ITEM_VIRTUAL_DISK_SIZE, 8, 'virtual size').readBigUInt64LE(0));
  const logicalSectorSize = item(ITEM_LOGICAL_SECTOR_SIZE, 4, 'sector size').readUInt32LE(0);

  if (blockSize < MiB || blockSize > 256 * MiB || blockSize & (blockSize - 1)) {
    refuse('VHDX_BAD_METADATA', `block size ${blockSize} is not a power of two in 1..256 MiB`);
  }
  if (logicalSectorSize !== 512 && logicalSectorSize !== 4096) {
    refuse('VHDX_BAD_METADATA', `logical sector size ${logicalSectorSize}`);
  }
  if (virtualSize % logicalSectorSize !== 0 || virtualSize > 64 * 2 ** 40) {
    refuse('VHDX_BAD_METADATA', `virtual size ${virtualSize} is not a sector multiple ≤ 64 TiB`);
  }
  return { blockSize, virtualSize, logicalSectorSize };
}
