/** VDI (VirtualBox): inspector, reader and dynamic-image writer. */
import type { FormatModule } from '../types.js';
import { inspectVdi, probeVdi } from './inspect.js';

// Readers and writers load on first use: a conversion needs one reader and one writer, and
// importing every format's up front (zlib, worker_threads, crypto too) costs each start ~10 ms.

export const vdiFormat: FormatModule = {
  format: 'vdi',
  probe: (head) => probeVdi(head),
  inspect: inspectVdi,
  open: async (source, inspected) => (await import('./reader.js')).openVdi(source, inspected),
  write: async (input, out, options) => (await import('./writer.js')).writeVdi(input, out, options),
  writeFile: async (input, path, options) =>
    (await import('./writer.js')).writeVdiFile(input, path, options),
};
