/** VMDK: inspector (sparse extents and descriptor files), reader and streamOptimized writer. */
import type { FormatModule } from '../types.js';
import { inspectVmdk, probeVmdk } from './inspect.js';
import { openVmdk } from './reader.js';
import { writeStreamOptimized } from './writer.js';

export const vmdkFormat: FormatModule = {
  format: 'vmdk',
  probe: (head) => probeVmdk(head),
  inspect: inspectVmdk,
  open: openVmdk,
  write: writeStreamOptimized,
};
