import { FormatError } from '../errors.js';
import type { FormatModule } from '../types.js';
import { QCOW2_MAGIC, type Qcow2Layout } from './constants.js';
import { inspectQcow2 } from './inspect.js';
import { Qcow2Reader } from './reader.js';
import { writeQcow2File, writeQcow2Stream } from './writer.js';

/** qcow2 v2/v3: inspect, read (incl. compressed and zero clusters), write v3. */
export const qcow2Module: FormatModule = {
  format: 'qcow2',
  probe: (head) => head.length >= 4 && head.readUInt32BE(0) === QCOW2_MAGIC,
  inspect: inspectQcow2,
  async open(source, inspected) {
    if (!inspected.safe || !inspected.layout) {
      throw new FormatError('UNSAFE_IMAGE', 'qcow2 reader needs an image the inspector accepted');
    }
    return Qcow2Reader.open(source, inspected.layout as Qcow2Layout);
  },
  write: writeQcow2Stream,
  writeFile: writeQcow2File,
};
