/** VDI reader: the block map from inspection drives a generic block reader. */
import type { ByteSource, DiskReader, InspectResult } from '../types.js';
import { BlockDiskReader, ZERO_BLOCK } from './block-io.js';
import { VDI_ZERO_BLOCK, type VdiLayout } from './inspect.js';

export async function openVdi(source: ByteSource, inspected: InspectResult): Promise<DiskReader> {
  if (inspected.format !== 'vdi' || !inspected.safe || !inspected.layout) {
    throw new Error('vdi: refusing to open an image the inspector did not pass');
  }
  const { blockSize, dataOffset, blockMap } = inspected.layout as VdiLayout;

  return new BlockDiskReader({
    format: 'vdi',
    source,
    virtualSize: inspected.virtualSize,
    blockSize,
    lookup: {
      // VDI_UNALLOCATED and VDI_ZERO_BLOCK both read as zeros (no parent: differencing is refused).
      locate: (index) => {
        const entry = blockMap[index];
        return entry >= VDI_ZERO_BLOCK ? ZERO_BLOCK : dataOffset + entry * blockSize;
      },
    },
  });
}
