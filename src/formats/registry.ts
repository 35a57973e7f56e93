import type { DiskFormat, FormatModule } from './types.js';
import { vdiFormat } from './vdi/index.js';

/**
 * Every format the library knows, in probe order (most specific first; raw last, as the fallback).
 * A new format adds its module here and nowhere else.
 */
export const FORMAT_MODULES: FormatModule[] = [vdiFormat];

export function formatModule(format: DiskFormat): FormatModule | undefined {
  return FORMAT_MODULES.find((m) => m.format === format);
}
