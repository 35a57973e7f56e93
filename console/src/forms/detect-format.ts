/**
 * Recognises a disk image's format from its first bytes, in the browser, so the import dialog can
 * show what it is about to import before anything is uploaded. The server inspects the file
 * again (and refuses what it must); this is only a preview. No DOM: unit-tested in Node.
 */
export type DetectedFormat = 'qcow2' | 'vhd' | 'vhdx' | 'vmdk' | 'vdi' | 'iso' | 'raw';

/** Bytes the detection needs from the start of a file (the ISO 9660 descriptor is at 32 KiB). */
export const DETECT_HEAD_BYTES = 64 * 1024;

function ascii(bytes: Uint8Array, offset: number, length: number): string {
  return String.fromCharCode(...bytes.subarray(offset, offset + length));
}

/**
 * @param head the first bytes of the file (up to DETECT_HEAD_BYTES)
 * @param tail the last 512 bytes (a fixed VHD has its footer only there), if known
 */
export function detectFormat(head: Uint8Array, tail?: Uint8Array): DetectedFormat {
  if (ascii(head, 0, 4) === 'QFI\xfb') return 'qcow2';
  if (ascii(head, 0, 8) === 'vhdxfile') return 'vhdx';
  if (ascii(head, 0, 8) === 'conectix') return 'vhd';
  if (ascii(head, 0, 4) === 'KDMV') return 'vmdk';
  if (ascii(head, 0, 21) === '# Disk DescriptorFile') return 'vmdk';
  // VDI: signature 0xbeda107f (little-endian) at offset 0x40.
  if (
    head.length >= 0x44 &&
    head[0x40] === 0x7f &&
    head[0x41] === 0x10 &&
    head[0x42] === 0xda &&
    head[0x43] === 0xbe
  ) {
    return 'vdi';
  }
  if (
    tail &&
    tail.length >= 8 &&
    ascii(tail, tail.length - 512 >= 0 ? tail.length - 512 : 0, 8) === 'conectix'
  ) {
    return 'vhd';
  }
  if (head.length >= 0x8006 && ascii(head, 0x8001, 5) === 'CD001') return 'iso';
  return 'raw';
}

/** The ImportImage `Format` value for a detected format ('' = let the server decide). */
export function importFormat(format: DetectedFormat | undefined): string {
  switch (format) {
    case 'qcow2':
      return 'QCOW2';
    case 'vhd':
      return 'VHD';
    case 'vmdk':
      return 'VMDK';
    case 'raw':
      return 'RAW';
    case 'vdi':
      return 'VDI';
    case 'vhdx':
      return 'VHDX';
    default:
      return '';
  }
}
