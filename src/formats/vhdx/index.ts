/** VHDX: inspector and reader (no writer: `-O` does not offer vhdx). */
import type { FormatModule } from '../types.js';
import { inspectVhdx, probeVhdx } from './inspect.js';
import { openVhdx } from './reader.js';

export const vhdxFormat: FormatModule = {
  format: 'vhdx',
  probe: (head) => probeVhdx(head),
  inspect: inspectVhdx,
  open: openVhdx,
};
