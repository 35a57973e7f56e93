import { describe, expect, it } from 'vitest';
import { chsGeometry, effectiveSize, vhdChecksum } from './constants.js';
import { buildFooter } from './writer.js';

describe('vhd geometry and size', () => {
  it('computes the spec geometry qemu reports for a 4 GiB disk (8322/16/63, rounded down)', () => {
    const g = chsGeometry((4 * 2 ** 30) / 512);
    expect(g).toEqual({ cylinders: 8322, heads: 16, sectorsPerTrack: 63 });
    expect(g.cylinders * g.heads * g.sectorsPerTrack * 512).toBeLessThan(4 * 2 ** 30);
  });

  it('caps the geometry at 65535/16/255 for huge disks', () => {
    expect(chsGeometry(2 ** 40)).toEqual({ cylinders: 65535, heads: 16, sectorsPerTrack: 255 });
  });

  it('sizes a qemu-created footer by CHS but our qem2 footer by current size', () => {
    const ours = buildFooter(4 * 2 ** 30, 3, 512n, Buffer.alloc(16));
    expect(effectiveSize(ours)).toBe(4 * 2 ** 30);
    const vpc = Buffer.from(ours);
    vpc.write('qemu', 28, 'latin1');
    expect(effectiveSize(vpc)).toBe(8322 * 16 * 63 * 512);
    expect(ours.readUInt32BE(64)).toBe(vhdChecksum(ours, 64));
  });
});
