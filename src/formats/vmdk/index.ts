/** VMDK: inspector (sparse extents and descriptor files), reader and streamOptimized writer. */
import type { FormatModule } from '../types.js';
import { inspectVmdk, probeVmdk } from './inspect.js';

// Readers and writers load on first use: a conversion needs one reader and one writer, and
// importing every format's up front (zlib, worker_threads, crypto too) costs each start ~10 ms.

export const vmdkFormat: FormatModule = {
  format: 'vmdk',
  probe: (head) => probeVmdk(head),
  inspect: inspectVmdk,
  open: async (source, inspected) => (await import('./reader.js')).openVmdk(source, inspected),
  write: async (input, out, options) =>
    (await import('./writer.js')).writeStreamOptimized(input, out, options),
};
