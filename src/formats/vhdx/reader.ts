/**
 * VHDX reader: fully present payload blocks are read from the file; not present, undefined,
 * zero and unmapped blocks read as zeros (differencing disks, the only users of partially
 * present blocks and sector bitmaps, are refused by the inspector).
 */
import type { ByteSource, DiskReader, InspectResult } from '../types.js';
import { BlockDiskReader, ZERO_BLOCK } from '../vdi/block-io.js';
import type { VhdxLayout } from './inspect.js';

export async function openVhdx(source: ByteSource, inspected: InspectResult): Promise<DiskReader> {
  if (inspected.format !== 'vhdx' || !inspected.safe || !inspected.layout) {
    throw new Error('vhdx: refusing to open an image the inspector did not pass');
  }
  const { blockSize, blockOffsets } = inspected.layout as VhdxLayout;
  return new BlockDiskReader({
    format: 'vhdx',
    source,
    virtualSize: inspected.virtualSize,
    blockSize,
    lookup: { locate: (index) => (blockOffsets[index] < 0 ? ZERO_BLOCK : blockOffsets[index]) },
  });
}
