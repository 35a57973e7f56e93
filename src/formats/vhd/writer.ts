import { randomUUID } from 'node:crypto';
import { ReleaseSplitter } from '../common/buffer-pool.js';
import { clusterize } from '../common/extents.js';
import { pageAlignedBuffer } from '../common/aligned.js';
import { FileSink, StreamSink } from '../common/sink.js';
import { U32List } from '../common/u32-list.js';
import { ZERO_BUFFER, isZeroRange, zeroRuns } from '../common/zero.js';
import { FormatError } from '../errors.js';
import type { ExtentSource, WriteOptions } from '../types.js';
import {
  COOKIE,
  DYN_COOKIE,
  DYN_HEADER_BYTES,
  FOOTER_BYTES,
  TYPE_DYNAMIC,
  TYPE_FIXED,
  VHD_EPOCH_SECONDS,
  chsGeometry,
  vhdChecksum,
} from './constants.js';

/**
 * VHD writer: dynamic (2 MiB blocks, bitmaps all ones) or fixed.
 *
 * Size policy: the disk keeps its exact size (rounded up to whole sectors) and the footer says
 * so with creator `qem2`, the tag qemu writes for `force_size=on`. qemu, Hyper-V and Azure then
 * read current_size; the CHS geometry is the spec's (rounded down) for the few readers that
 * still size by CHS. Inventing a creator tag would make qemu ≤ 7.2 fall back to CHS.
 */

const BLOCK_BYTES = 2 * 1024 * 1024;
const BITMAP_BYTES = 512;
const BAT_OFFSET = FOOTER_BYTES + DYN_HEADER_BYTES;
/** qemu's VHD ceiling: 2040 GiB. */
const MAX_VHD_BYTES = 2040 * 2 ** 30;
/** Page-aligned, so it can go out with O_DIRECT next to the block's data (`directIo`). */
const ALL_ONES_BITMAP = pageAlignedBuffer(BITMAP_BYTES).fill(0xff);

function vhdSize(virtualSize: number): number {
  const size = Math.ceil(virtualSize / 512) * 512;
  if (size > MAX_VHD_BYTES) {
    throw new FormatError('VHD_TOO_LARGE', `VHD holds at most 2040 GiB, input is ${virtualSize}`);
  }
  return size;
}

export function buildFooter(size: number, type: number, dataOffset: bigint, uuid: Buffer): Buffer {
  const f = Buffer.alloc(FOOTER_BYTES);
  COOKIE.copy(f, 0);
  f.writeUInt32BE(2, 8); // features: the reserved bit that must be set
  f.writeUInt32BE(0x00010000, 12);
  f.writeBigUInt64BE(dataOffset, 16);
  f.writeUInt32BE(Math.max(0, Math.floor(Date.now() / 1000) - VHD_EPOCH_SECONDS), 24);
  f.write('qem2', 28, 'latin1');
  f.writeUInt32BE(0x00050003, 32);
  f.write('Wi2k', 36, 'latin1');
  f.writeBigUInt64BE(BigInt(size), 40);
  f.writeBigUInt64BE(BigInt(size), 48);
  const g = chsGeometry(size / 512);
  f.writeUInt16BE(g.cylinders, 56);
  f[58] = g.heads;
  f[59] = g.sectorsPerTrack;
  f.writeUInt32BE(type, 60);
  uuid.copy(f, 68);
  f.writeUInt32BE(vhdChecksum(f, 64), 64);
  return f;
}

function buildDynHeader(blocks: number): Buffer {
  const h = Buffer.alloc(DYN_HEADER_BYTES);
  DYN_COOKIE.copy(h, 0);
  h.writeBigUInt64BE(0xffffffffffffffffn, 8);
  h.writeBigUInt64BE(BigInt(BAT_OFFSET), 16);
  h.writeUInt32BE(0x00010000, 24);
  h.writeUInt32BE(blocks, 28);
  h.writeUInt32BE(BLOCK_BYTES, 32);
  h.writeUInt32BE(vhdChecksum(h, 36), 36);
  return h;
}

function newUuid(): Buffer {
  return Buffer.from(randomUUID().replace(/-/g, ''), 'hex');
}

interface DynPlan {
  size: number;
  blocks: number;
  batBytes: number;
  firstBlock: number;
  footer: Buffer;
}

function dynPlan(virtualSize: number): DynPlan {
  const size = vhdSize(virtualSize);
  const blocks = Math.ceil(size / BLOCK_BYTES);
  const batBytes = Math.ceil((blocks * 4) / 512) * 512;
  const footer = buildFooter(size, TYPE_DYNAMIC, BigInt(FOOTER_BYTES), newUuid());
  return { size, blocks, batBytes, firstBlock: BAT_OFFSET + batBytes, footer };
}

/** Footer copy, dynamic header, BAT: the first `firstBlock` bytes of the file. */
function dynPrefix(p: DynPlan, bat: Buffer): Buffer {
  return Buffer.concat([p.footer, buildDynHeader(p.blocks), bat]);
}

function emptyBat(p: DynPlan): Buffer {
  // Every entry reads as unallocated (0xFFFFFFFF, all bits set), so a byte fill sets them all;
  // the padding after the last entry stays zero, as qemu writes it.
  const bat = Buffer.alloc(p.batBytes, 0);
  bat.fill(0xff, 0, p.blocks * 4);
  return bat;
}

/** One pass; data goes straight to its place, zero parts of an allocated block stay holes. */
export async function writeVhdDynamicFile(
  input: ExtentSource,
  path: string,
  options: WriteOptions,
) {
  const p = dynPlan(input.virtualSize);
  const bat = emptyBat(p);
  const sink = await FileSink.create(path, { direct: options.directIo });
  try {
    let next = p.firstBlock;
    const blockAt = new Map<number, number>(); // only the current block is ever looked up
    for await (const e of input.extents({ signal: options.signal })) {
      const data = e.data;
      if (!e.zero && data) {
        const runs: [number, number][] = [];
        zeroRuns(data, 4096, (s, end, zero) => {
          if (!zero) runs.push([s, end]);
        });
        const split = new ReleaseSplitter(e.release);
        for (const [rs, re] of runs) {
          for (let pos = e.offset + rs; pos < e.offset + re;) {
            const b = Math.floor(pos / BLOCK_BYTES);
            const stop = Math.min(e.offset + re, (b + 1) * BLOCK_BYTES);
            let start = blockAt.get(b);
            if (start === undefined) {
              start = next;
              next += BITMAP_BYTES + BLOCK_BYTES;
              blockAt.clear();
              blockAt.set(b, start);
              bat.writeUInt32BE(start / 512, b * 4);
              await sink.writeAt(ALL_ONES_BITMAP, start);
            }
            const within = pos - b * BLOCK_BYTES;
            await sink.writeAt(
              data.subarray(pos - e.offset, stop - e.offset),
              start + BITMAP_BYTES + within,
              split.share(),
            );
            pos = stop;
          }
        }
        split.done();
      }
      options.onProgress?.(e.offset + e.length, input.virtualSize);
    }
    await sink.writeAt(dynPrefix(p, bat), 0);
    await sink.writeAt(p.footer, next);
    await sink.drain();
  } finally {
    await sink.close();
  }
  return { bytesWritten: sink.bytesWritten };
}

/** Map first (which blocks hold data), then a forward-only stream. */
export async function writeVhdDynamicStream(
  input: ExtentSource,
  out: NodeJS.WritableStream,
  options: WriteOptions,
) {
  const p = dynPlan(input.virtualSize);
  const allocated = new U32List();
  for await (const run of input.map()) {
    if (run.zero || run.length === 0) continue;
    const first = Math.floor(run.offset / BLOCK_BYTES);
    const last = Math.ceil((run.offset + run.length) / BLOCK_BYTES) - 1;
    for (let b = first; b <= last; b++) if ((allocated.last() ?? -1) < b) allocated.push(b);
  }
  const bat = emptyBat(p);
  for (let k = 0; k < allocated.length; k++) {
    bat.writeUInt32BE(
      (p.firstBlock + k * (BITMAP_BYTES + BLOCK_BYTES)) / 512,
      allocated.get(k) * 4,
    );
  }

  const sink = new StreamSink(out);
  await sink.write(dynPrefix(p, bat));
  let k = 0;
  const writeBlock = async (data: Buffer) => {
    await sink.write(ALL_ONES_BITMAP);
    await sink.write(data);
  };
  for await (const run of clusterize(input.extents({ signal: options.signal }), BLOCK_BYTES)) {
    for (let i = 0; i < run.count; i++) {
      const b = run.cluster + i;
      const data = run.data.subarray(i * BLOCK_BYTES, (i + 1) * BLOCK_BYTES);
      while (k < allocated.length && allocated.get(k) < b) {
        await writeBlock(ZERO_BUFFER.subarray(0, BLOCK_BYTES));
        k++;
      }
      if (k < allocated.length && allocated.get(k) === b) {
        await writeBlock(data);
        k++;
      } else if (!isZeroRange(data)) {
        throw new FormatError(
          'INPUT_CHANGED',
          `block ${b} has data the allocation map did not list`,
        );
      }
    }
    options.onProgress?.(
      Math.min(input.virtualSize, (run.cluster + run.count) * BLOCK_BYTES),
      input.virtualSize,
    );
  }
  for (; k < allocated.length; k++) await writeBlock(ZERO_BUFFER.subarray(0, BLOCK_BYTES));
  await sink.write(p.footer);
  return { bytesWritten: sink.bytesWritten };
}

/** Fixed VHD to a file: sparse data, then the footer. */
export async function writeVhdFixedFile(input: ExtentSource, path: string, options: WriteOptions) {
  const size = vhdSize(input.virtualSize);
  const footer = buildFooter(size, TYPE_FIXED, 0xffffffffffffffffn, newUuid());
  const sink = await FileSink.create(path, { direct: options.directIo });
  try {
    await sink.truncate(size + FOOTER_BYTES);
    for await (const e of input.extents({ signal: options.signal })) {
      const data = e.data;
      if (!e.zero && data) {
        const runs: [number, number][] = [];
        zeroRuns(data, 4096, (s, end, zero) => {
          if (!zero) runs.push([s, end]);
        });
        for (const [s, end] of runs) await sink.writeAt(data.subarray(s, end), e.offset + s);
      }
      options.onProgress?.(e.offset + e.length, input.virtualSize);
    }
    await sink.writeAt(footer, size);
    await sink.drain();
  } finally {
    await sink.close();
  }
  return { bytesWritten: sink.bytesWritten };
}

/** Fixed VHD to a stream: every byte, then the footer (trivially streamable). */
export async function writeVhdFixedStream(
  input: ExtentSource,
  out: NodeJS.WritableStream,
  options: WriteOptions,
) {
  const size = vhdSize(input.virtualSize);
  const sink = new StreamSink(out);
  for await (const e of input.extents({ signal: options.signal })) {
    if (e.zero || !e.data) await sink.writeZeros(e.length, ZERO_BUFFER);
    else await sink.write(e.data);
    options.onProgress?.(e.offset + e.length, input.virtualSize);
  }
  await sink.writeZeros(size - input.virtualSize, ZERO_BUFFER);
  await sink.write(buildFooter(size, TYPE_FIXED, 0xffffffffffffffffn, newUuid()));
  return { bytesWritten: sink.bytesWritten };
}
