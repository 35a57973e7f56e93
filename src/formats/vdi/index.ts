/** VDI (VirtualBox): inspector, reader and dynamic-image writer. */
import type { FormatModule } from '../types.js';
import { inspectVdi, probeVdi } from './inspect.js';
import { openVdi } from './reader.js';
import { writeVdi, writeVdiFile } from './writer.js';

export const vdiFormat: FormatModule = {
  format: 'vdi',
  probe: (head) => probeVdi(head),
  inspect: inspectVdi,
  open: openVdi,
  write: writeVdi,
  writeFile: writeVdiFile,
};
