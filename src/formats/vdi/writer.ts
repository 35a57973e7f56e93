/**
 * VDI writer: a dynamic ("normal") VirtualBox image, as qemu and VirtualBox write it.
 *
 * The block map precedes the data, so it is computed first from the source's allocation map
 * (metadata only, no data reads); then header, map and blocks stream out in order. A block the
 * map calls allocated but whose data turns out to be all zeros is still written (the map is
 * already out); blocks outside the map are never allocated.
 */
import { randomBytes } from 'node:crypto';
import type { ExtentSource, WriteOptions } from '../types.js';
import { FileSink } from '../common/sink.js';
import { dataBlocks, StreamSink } from './block-io.js';
import {
  VDI_HEADER_BYTES,
  VDI_HEADER_SIZE_FIELD,
  VDI_SIGNATURE,
  VDI_TYPE_NORMAL,
  VDI_UNALLOCATED,
  VDI_VERSION_1_1,
} from './inspect.js';

/** 1 MiB: the only block size qemu and VirtualBox create. */
export const VDI_BLOCK_BYTES = 1024 * 1024;
const PRE_HEADER = '<<< Oracle VM VirtualBox Disk Image >>>\n';

interface VdiPlan {
  blocks: number;
  /** 1 where the source's map has data: those blocks get a place in the file. */
  allocatedFlags: Uint8Array;
  allocated: number;
  /** Header and block map: the file's first `dataOffset` bytes. */
  prefix: Buffer;
  dataOffset: number;
}

/** Pass 1: which blocks hold data, from the allocation map (metadata only), and the prefix. */
async function planVdi(input: ExtentSource, options: WriteOptions): Promise<VdiPlan> {
  // VDI sizes are whole sectors; a ragged tail reads as zeros up to the next sector.
  const diskSize = Math.ceil(input.virtualSize / 512) * 512;
  const blocks = Math.ceil(diskSize / VDI_BLOCK_BYTES);

  const allocatedFlags = new Uint8Array(blocks);
  for await (const run of input.map()) {
    options.signal?.throwIfAborted();
    if (run.zero || run.length === 0) continue;
    const first = Math.floor(run.offset / VDI_BLOCK_BYTES);
    const last = Math.floor((run.offset + run.length - 1) / VDI_BLOCK_BYTES);
    allocatedFlags.fill(1, first, last + 1);
  }
  const bmapBytes = blocks * 4;
  const bmap = Buffer.alloc(Math.ceil(bmapBytes / 512) * 512);
  let allocated = 0;
  for (let i = 0; i < blocks; i++) {
    bmap.writeUInt32LE(allocatedFlags[i] ? allocated++ : VDI_UNALLOCATED, i * 4);
  }
  const bmapOffset = VDI_HEADER_BYTES;
  const dataOffset = bmapOffset + bmap.length;

  const header = Buffer.alloc(VDI_HEADER_BYTES);
  header.write(PRE_HEADER, 0, 'latin1');
  header.writeUInt32LE(VDI_SIGNATURE, 0x40);
  header.writeUInt32LE(VDI_VERSION_1_1, 0x44);
  header.writeUInt32LE(VDI_HEADER_SIZE_FIELD, 0x48);
  header.writeUInt32LE(VDI_TYPE_NORMAL, 0x4c);
  header.writeUInt32LE(bmapOffset, 0x154);
  header.writeUInt32LE(dataOffset, 0x158);
  header.writeUInt32LE(512, 0x168);
  header.writeBigUInt64LE(BigInt(diskSize), 0x170);
  header.writeUInt32LE(VDI_BLOCK_BYTES, 0x178);
  header.writeUInt32LE(blocks, 0x180);
  header.writeUInt32LE(allocated, 0x184);
  randomUuidBytes().copy(header, 0x188); // image UUID
  randomUuidBytes().copy(header, 0x198); // last-snapshot UUID (VirtualBox sets it, as qemu does)

  const prefix = Buffer.concat([header, bmap]);
  return { blocks, allocatedFlags, allocated, prefix, dataOffset };
}

function unlistedBlock(index: number): Error {
  return new Error(`vdi: block ${index} has data but the source's map says it is empty`);
}

/** Forward-only: header, map, then every allocated block in order (empty ones as zeros). */
export async function writeVdi(
  input: ExtentSource,
  out: NodeJS.WritableStream,
  options: WriteOptions = {},
): Promise<{ bytesWritten: number }> {
  const plan = await planVdi(input, options);
  const { allocatedFlags, blocks } = plan;
  const sink = new StreamSink(out);
  await sink.write(plan.prefix);

  // Pass 2: the allocated blocks in order; allocated-but-empty blocks are written as zeros.
  const zeroBlock = Buffer.alloc(VDI_BLOCK_BYTES);
  let next = 0;
  const writeZeroBlocksUpTo = async (index: number) => {
    for (; next < index; next++) if (allocatedFlags[next]) await sink.write(zeroBlock);
  };
  const progress = (done: number) => options.onProgress?.(done, input.virtualSize);
  for await (const block of dataBlocks(input, VDI_BLOCK_BYTES, {
    ...options,
    onProgress: progress,
  })) {
    if (!allocatedFlags[block.index]) throw unlistedBlock(block.index);
    await writeZeroBlocksUpTo(block.index);
    await sink.write(block.data);
    next = block.index + 1;
  }
  await writeZeroBlocksUpTo(blocks);
  return { bytesWritten: sink.bytesWritten };
}

/**
 * To a local file: the same layout, but blocks go out as positioned writes (two in flight, the
 * reader's buffers handed back as each completes) and allocated blocks that turn out empty stay
 * holes of the sparse file instead of megabytes of written zeros.
 */
export async function writeVdiFile(
  input: ExtentSource,
  path: string,
  options: WriteOptions = {},
): Promise<{ bytesWritten: number }> {
  const plan = await planVdi(input, options);
  const sink = await FileSink.create(path, { direct: options.directIo });
  try {
    await sink.truncate(plan.dataOffset + plan.allocated * VDI_BLOCK_BYTES);
    await sink.writeAt(plan.prefix, 0);

    // Block i's place is its rank among allocated blocks, counted as the blocks go by.
    let rank = 0;
    let counted = 0;
    const progress = (done: number) => options.onProgress?.(done, input.virtualSize);
    for await (const block of dataBlocks(input, VDI_BLOCK_BYTES, {
      ...options,
      onProgress: progress,
    })) {
      if (!plan.allocatedFlags[block.index]) throw unlistedBlock(block.index);
      for (; counted < block.index; counted++) rank += plan.allocatedFlags[counted];
      const position = plan.dataOffset + rank * VDI_BLOCK_BYTES;
      await sink.writeAt(block.data, position, block.release);
    }
    await sink.drain();
  } finally {
    await sink.close();
  }
  return { bytesWritten: sink.bytesWritten };
}

function randomUuidBytes(): Buffer {
  const uuid = randomBytes(16);
  uuid[6] = (uuid[6] & 0x0f) | 0x40; // version 4
  uuid[8] = (uuid[8] & 0x3f) | 0x80; // RFC 4122 variant
  return uuid;
}
