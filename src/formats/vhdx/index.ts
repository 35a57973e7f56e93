/** VHDX: inspector and reader (no writer: `-O` does not offer vhdx). */
import type { FormatModule } from '../types.js';
import { inspectVhdx, probeVhdx } from './inspect.js';

// Readers and writers load on first use: a conversion needs one reader and one writer, and
// importing every format's up front (zlib, worker_threads, crypto too) costs each start ~10 ms.

export const vhdxFormat: FormatModule = {
  format: 'vhdx',
  probe: (head) => probeVhdx(head),
  inspect: inspectVhdx,
  open: async (source, inspected) => (await import('./reader.js')).openVhdx(source, inspected),
};
