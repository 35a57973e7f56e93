import { FormatError } from '../errors.js';
import { RawReader } from '../raw/raw-reader.js';
import type { FormatModule, WriteOptions } from '../types.js';
import { COOKIE, FOOTER_BYTES, type VhdLayout } from './constants.js';
import { inspectVhd } from './inspect.js';
import { VhdDynamicReader } from './reader.js';
import {
  writeVhdDynamicFile,
  writeVhdDynamicStream,
  writeVhdFixedFile,
  writeVhdFixedStream,
} from './writer.js';

function subformat(options: WriteOptions): 'fixed' | 'dynamic' {
  const s = options.subformat ?? 'dynamic';
  if (s !== 'fixed' && s !== 'dynamic') {
    throw new FormatError('UNSUPPORTED_SUBFORMAT', `vhd subformat ${s} (use fixed or dynamic)`);
  }
  return s;
}

/** VHD ("vpc"): fixed and dynamic; differencing disks are refused. */
export const vhdModule: FormatModule = {
  format: 'vhd',
  // Dynamic disks carry a footer copy at 0; fixed ones only at the end of the file.
  probe(head, size, tail) {
    if (head.subarray(0, 8).equals(COOKIE)) return true;
    if (!tail || size < FOOTER_BYTES || tail.length < FOOTER_BYTES) return false;
    const at = tail.length - FOOTER_BYTES;
    return tail.subarray(at, at + 8).equals(COOKIE);
  },
  inspect: inspectVhd,
  async open(source, inspected) {
    const layout = inspected.layout as VhdLayout | undefined;
    if (!inspected.safe || !layout) {
      throw new FormatError('UNSAFE_IMAGE', 'vhd reader needs an image the inspector accepted');
    }
    if (layout.type === 'fixed') return new RawReader(source, 'vhd', layout.virtualSize);
    return VhdDynamicReader.open(source, layout);
  },
  write: (input, out, options) =>
    subformat(options) === 'fixed'
      ? writeVhdFixedStream(input, out, options)
      : writeVhdDynamicStream(input, out, options),
  writeFile: (input, path, options) =>
    subformat(options) === 'fixed'
      ? writeVhdFixedFile(input, path, options)
      : writeVhdDynamicFile(input, path, options),
};
