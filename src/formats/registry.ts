import type { DiskFormat, FormatModule } from './types.js';
import { isoModule } from './iso/index.js';
import { qcow2Module } from './qcow2/index.js';
import { rawModule } from './raw/index.js';
import { vdiFormat } from './vdi/index.js';
import { vmdkFormat } from './vmdk/index.js';
import { vhdxFormat } from './vhdx/index.js';
import { vhdModule } from './vhd/index.js';

/**
 * Every format the library knows, in probe order (most specific first; raw last, as the fallback).
 * A new format adds its module here and nowhere else.
 */
export const FORMAT_MODULES: FormatModule[] = [
  qcow2Module,
  vhdModule,
  vdiFormat,
  vmdkFormat,
  vhdxFormat,
  isoModule,
  rawModule,
];

export function formatModule(format: DiskFormat): FormatModule | undefined {
  return FORMAT_MODULES.find((m) => m.format === format);
}
