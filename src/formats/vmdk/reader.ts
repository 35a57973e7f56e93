/**
 * VMDK reader for monolithicSparse (grains stored as-is) and streamOptimized (each grain a
 * marker {lba, size} followed by zlib data). Grain locations come from the inspector's checked
 * tables; compressed grains are bounded again here, since their sizes live in the data area.
 */
import { inflateSync } from 'node:zlib';
import type { ByteSource, DiskReader, InspectResult } from '../types.js';
import { BlockDiskReader, LOADED_BLOCK, ZERO_BLOCK } from '../vdi/block-io.js';
import { GRAIN_MARKER_BYTES, SECTOR_BYTES } from './header.js';
import type { VmdkLayout } from './inspect.js';

/** Compressed grains are read ahead in windows this large (they are stored back to back). */
const READ_AHEAD_BYTES = 4 * 1024 * 1024;

export async function openVmdk(source: ByteSource, inspected: InspectResult): Promise<DiskReader> {
  if (inspected.format !== 'vmdk' || !inspected.safe || !inspected.layout) {
    throw new Error('vmdk: refusing to open an image the inspector did not pass');
  }
  const layout = inspected.layout as VmdkLayout;
  const { grains, grainBytes, zeroGrainEntry } = layout;
  const isZero = (entry: number) =>
    entry === 0 || (zeroGrainEntry !== 0 && entry === zeroGrainEntry);
  const grainReader = new CompressedGrainReader(source, layout, inspected.virtualSize);

  return new BlockDiskReader({
    format: 'vmdk',
    source,
    virtualSize: inspected.virtualSize,
    blockSize: grainBytes,
    lookup: {
      locate: (index) => {
        const entry = grains[index];
        if (isZero(entry)) return ZERO_BLOCK;
        return layout.compressed ? LOADED_BLOCK : entry * SECTOR_BYTES;
      },
      load: (index) => grainReader.load(index, grains[index]),
    },
  });
}

class CompressedGrainReader {
  private window: Buffer = Buffer.alloc(0);
  private windowStart = 0;
  /** A marker's size may exceed the grain only by deflate's worst-case expansion. */
  private readonly maxCompressedBytes: number;

  constructor(
    private readonly source: ByteSource,
    private readonly layout: VmdkLayout,
    private readonly virtualSize: number,
  ) {
    this.maxCompressedBytes = layout.grainBytes + (layout.grainBytes >> 3) + 1024;
  }

  async load(index: number, sector: number): Promise<Buffer> {
    const { grainBytes, grainSectors } = this.layout;
    const offset = sector * SECTOR_BYTES;
    const marker = await this.bytes(offset, GRAIN_MARKER_BYTES);
    const lba = marker.readBigUInt64LE(0);
    const size = marker.readUInt32LE(8);
    if (lba !== BigInt(index) * BigInt(grainSectors)) {
      throw new Error(`vmdk: grain ${index}'s marker says LBA ${lba}`);
    }
    if (size === 0 || size > this.maxCompressedBytes) {
      throw new Error(`vmdk: grain ${index} claims ${size} compressed bytes`);
    }
    if (offset + GRAIN_MARKER_BYTES + size > this.source.size) {
      throw new Error(`vmdk: grain ${index} runs past the end of the file`);
    }
    const compressed = await this.bytes(offset + GRAIN_MARKER_BYTES, size);

    let grain: Buffer;
    try {
      // maxOutputLength turns a decompression bomb into an error instead of an allocation.
      grain = inflateSync(compressed, { maxOutputLength: grainBytes });
    } catch (err) {
      throw new Error(`vmdk: grain ${index} does not inflate: ${(err as Error).message}`);
    }
    const expected = Math.min(grainBytes, this.virtualSize - index * grainBytes);
    if (grain.length < expected) {
      throw new Error(`vmdk: grain ${index} inflates to ${grain.length} bytes, not ${expected}`);
    }
    if (grain.length === grainBytes) return grain;
    const padded = Buffer.alloc(grainBytes);
    grain.copy(padded);
    return padded;
  }

  /** `length` bytes at `offset`, from the read-ahead window when they are in it. */
  private async bytes(offset: number, length: number): Promise<Buffer> {
    const inWindow =
      offset >= this.windowStart && offset + length <= this.windowStart + this.window.length;
    if (!inWindow) {
      const want = Math.min(Math.max(READ_AHEAD_BYTES, length), this.source.size - offset);
      this.window = await this.source.read(offset, want);
      this.windowStart = offset;
      if (this.window.length < length) throw new Error('vmdk: file ends inside a grain');
    }
    return this.window.subarray(offset - this.windowStart, offset - this.windowStart + length);
  }
}
