/** VHD ("vpc") on-disk structures: big-endian footer and dynamic header (FORMATS.md §1.3). */

export const FOOTER_BYTES = 512;
export const DYN_HEADER_BYTES = 1024;
export const COOKIE = Buffer.from('conectix', 'latin1');
export const DYN_COOKIE = Buffer.from('cxsparse', 'latin1');
export const TYPE_FIXED = 2;
export const TYPE_DYNAMIC = 3;
export const TYPE_DIFFERENCING = 4;
export const UNALLOCATED = 0xffffffff;
/** 65535 cylinders × 16 heads × 255 sectors: the CHS ceiling. */
export const MAX_CHS_SECTORS = 65535 * 16 * 255;
/** Seconds between the Unix epoch and the VHD epoch (2000-01-01T00:00:00Z). */
export const VHD_EPOCH_SECONDS = 946684800;

export interface VhdLayout {
  type: 'fixed' | 'dynamic';
  virtualSize: number;
  fileSize: number;
  batOffset: number;
  batEntries: number;
  blockSize: number;
  bitmapBytes: number;
}

/** Ones' complement of the byte sum, with the checksum field itself counted as zero. */
export function vhdChecksum(buf: Buffer, checksumAt: number): number {
  let sum = 0;
  for (let i = 0; i < buf.length; i++) {
    if (i >= checksumAt && i < checksumAt + 4) continue;
    sum += buf[i];
  }
  return ~sum >>> 0;
}

export interface Geometry {
  cylinders: number;
  heads: number;
  sectorsPerTrack: number;
}

/** The VHD spec's CHS algorithm (as qemu's calculate_geometry): rounds the size down. */
export function chsGeometry(totalSectors: number): Geometry {
  const n = Math.min(totalSectors, MAX_CHS_SECTORS);
  let spt: number;
  let heads: number;
  let cth: number;
  if (n >= 65535 * 16 * 63) {
    spt = 255;
    heads = 16;
    cth = Math.floor(n / spt);
  } else {
    spt = 17;
    cth = Math.floor(n / spt);
    heads = Math.max(4, Math.ceil(cth / 1024));
    if (cth >= heads * 1024 || heads > 16) {
      spt = 31;
      heads = 16;
      cth = Math.floor(n / spt);
    }
    if (cth >= heads * 1024) {
      spt = 63;
      heads = 16;
      cth = Math.floor(n / spt);
    }
  }
  return { cylinders: Math.floor(cth / heads), heads, sectorsPerTrack: spt };
}

/** Creator apps whose images qemu sizes by current_size rather than CHS (qemu 7.2 vpc.c). */
const CURRENT_SIZE_CREATORS = ['win ', 'qem2', 'd2v ', 'CTXS', 'tap\0'];

/**
 * The virtual size readers agree on: qemu uses cylinders×heads×sectors×512 unless the creator
 * is one known to use current_size, or the geometry is the CHS maximum. We follow qemu so our
 * reader and qemu-img show the same disk.
 */
export function effectiveSize(footer: Buffer): number {
  const creator = footer.toString('latin1', 28, 32);
  const chs = footer.readUInt16BE(56) * footer[58] * footer[59];
  const current = footer.readUInt32BE(48) * 2 ** 32 + footer.readUInt32BE(52);
  if (CURRENT_SIZE_CREATORS.includes(creator) || chs === MAX_CHS_SECTORS) return current;
  return chs * 512;
}
