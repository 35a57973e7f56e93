import { FormatError } from '../errors.js';
import { RawReader } from '../raw/raw-reader.js';
import type { FormatModule, WriteOptions } from '../types.js';
import { COOKIE, FOOTER_BYTES, type VhdLayout } from './constants.js';
import { inspectVhd } from './inspect.js';

// Readers and writers load on first use: a conversion needs one reader and one writer, and
// importing every format's up front (zlib, worker_threads, crypto too) costs each start ~10 ms.

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
    const { VhdDynamicReader } = await import('./reader.js');
    return VhdDynamicReader.open(source, layout);
  },
  async write(input, out, options) {
    const kind = subformat(options);
    const w = await import('./writer.js');
    return kind === 'fixed'
      ? w.writeVhdFixedStream(input, out, options)
      : w.writeVhdDynamicStream(input, out, options);
  },
  async writeFile(input, path, options) {
    const kind = subformat(options);
    const w = await import('./writer.js');
    return kind === 'fixed'
      ? w.writeVhdFixedFile(input, path, options)
      : w.writeVhdDynamicFile(input, path, options);
  },
};
