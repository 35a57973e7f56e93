import { FormatError } from '../errors.js';
import type { FormatModule } from '../types.js';
import { QCOW2_MAGIC, type Qcow2Layout } from './constants.js';
import { inspectQcow2 } from './inspect.js';

// Readers and writers load on first use: a conversion needs one reader and one writer, and
// importing every format's up front (zlib, worker_threads, crypto too) costs each start ~10 ms.

/** qcow2 v2/v3: inspect, read (incl. compressed and zero clusters), write v3. */
export const qcow2Module: FormatModule = {
  format: 'qcow2',
  probe: (head) => head.length >= 4 && head.readUInt32BE(0) === QCOW2_MAGIC,
  inspect: inspectQcow2,
  async open(source, inspected) {
    if (!inspected.safe || !inspected.layout) {
      throw new FormatError('UNSAFE_IMAGE', 'qcow2 reader needs an image the inspector accepted');
    }
    const { Qcow2Reader } = await import('./reader.js');
    return Qcow2Reader.open(source, inspected.layout as Qcow2Layout);
  },
  write: async (input, out, options) =>
    (await import('./writer.js')).writeQcow2Stream(input, out, options),
  writeFile: async (input, path, options) =>
    (await import('./writer.js')).writeQcow2File(input, path, options),
};
