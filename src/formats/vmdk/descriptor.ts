/**
 * VMDK descriptor text: the embedded one of a sparse extent, or a standalone descriptor file.
 *
 * The descriptor is where VMDK names other files (extents, `parentFileNameHint`), which is how
 * CVE-2022-47951 read host files. We never resolve a name: the only acceptable extent is the
 * single SPARSE extent of a monolithic file, which means "this file", whatever it is called.
 */

/** Create types we accept: the data lives in the same file as the header. */
export const SAFE_CREATE_TYPES = ['monolithicSparse', 'streamOptimized'] as const;

export interface DescriptorExtent {
  access: string;
  sectors: bigint;
  type: string;
  fileName?: string;
  offset?: bigint;
}

export interface Descriptor {
  createType?: string;
  extents: DescriptorExtent[];
  keys: Map<string, string>;
  /** Lines that are neither comments, key=value pairs nor extents. */
  badLines: string[];
}

const EXTENT_LINE =
  /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+([A-Za-z]+)(?:\s+"([^"]*)"(?:\s+(\d+))?)?\s*$/i;
const KEY_VALUE = /^([A-Za-z0-9_.]+)\s*=\s*(.*)$/;
const MAX_BAD_LINES = 8;

export function parseDescriptor(text: string): Descriptor {
  const result: Descriptor = { extents: [], keys: new Map(), badLines: [] };
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) continue;

    const extent = EXTENT_LINE.exec(line);
    if (extent) {
      result.extents.push({
        access: extent[1].toUpperCase(),
        sectors: BigInt(extent[2]),
        type: extent[3].toUpperCase(),
        fileName: extent[4],
        offset: extent[5] === undefined ? undefined : BigInt(extent[5]),
      });
      continue;
    }

    const kv = KEY_VALUE.exec(line);
    if (kv) {
      const value = kv[2].trim().replace(/^"(.*)"$/, '$1');
      result.keys.set(kv[1].toLowerCase(), value);
      continue;
    }
    if (result.badLines.length < MAX_BAD_LINES) result.badLines.push(line.slice(0, 80));
  }
  result.createType = result.keys.get('createtype');
  return result;
}

export function isSafeCreateType(createType: string | undefined): boolean {
  return SAFE_CREATE_TYPES.some((t) => t.toLowerCase() === createType?.toLowerCase());
}

/** The descriptor our writer embeds (what qemu writes, with a name of our choosing). */
export function streamOptimizedDescriptor(capacitySectors: bigint, cid: number): string {
  const cylinders = capacitySectors / (16n * 63n);
  return [
    '# Disk DescriptorFile',
    'version=1',
    `CID=${cid.toString(16).padStart(8, '0')}`,
    'parentCID=ffffffff',
    'createType="streamOptimized"',
    '',
    '# Extent description',
    `RW ${capacitySectors} SPARSE "disk.vmdk"`,
    '',
    '# The Disk Data Base',
    '#DDB',
    '',
    'ddb.virtualHWVersion = "4"',
    `ddb.geometry.cylinders = "${cylinders > 16383n ? 16383n : cylinders}"`,
    'ddb.geometry.heads = "16"',
    'ddb.geometry.sectors = "63"',
    'ddb.adapterType = "ide"',
    '',
  ].join('\n');
}
