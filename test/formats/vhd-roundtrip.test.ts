/**
 * VHD reader and writer against qemu-img (`vpc`). qemu-img check does not support vpc, so the
 * writer is verified with qemu-img info/compare and our own inspector.
 */
import { createWriteStream, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspect, openFileSource } from '../../src/formats/index.js';
import { libConvert } from './lib-helpers.js';
import {
  makeSparseRaw,
  makeWorkDir,
  qemuAvailable,
  qemuCompare,
  qemuConvert,
  qemuInfo,
} from './qemu.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

const FIXTURES = [
  {
    name: 'sparse',
    size: 64 * MiB,
    runs: [
      { offset: 512, length: 4096 },
      { offset: 7 * MiB + 3, length: 3 * MiB },
      { offset: 40 * MiB, length: 2 * MiB, fill: 0 },
      { offset: 64 * MiB - 4096, length: 4096 },
    ],
  },
  { name: 'full', size: 6 * MiB, runs: [{ offset: 0, length: 6 * MiB }] },
  { name: 'tiny', size: 512, runs: [{ offset: 0, length: 512 }] },
  { name: 'odd', size: 3 * MiB + 7 * 512, runs: [{ offset: 3 * MiB - 10, length: 7 * 512 + 10 }] },
];

async function inspectFile(path: string) {
  const src = await openFileSource(path);
  try {
    return await inspect(src);
  } finally {
    await src.close();
  }
}

const describeQemu = qemuAvailable() ? describe : describe.skip;

describeQemu('vhd against qemu-img', () => {
  let dir: string;
  beforeAll(() => {
    dir = makeWorkDir();
    for (const f of FIXTURES) makeSparseRaw(join(dir, `${f.name}.raw`), f.size, f.runs, 11);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('reader', () => {
    for (const f of FIXTURES) {
      for (const sub of ['dynamic', 'fixed'] as const) {
        it(`reads a ${sub} vhd of the ${f.name} fixture as qemu does`, async () => {
          const img = join(dir, `${f.name}-${sub}.vhd`);
          qemuConvert(join(dir, `${f.name}.raw`), img, {
            from: 'raw',
            to: 'vpc',
            opts: `subformat=${sub}`,
          });
          const out = `${img}.ours.raw`;
          const inspected = await libConvert(img, out, 'raw');
          expect(inspected.format).toBe('vhd');
          expect(inspected.subformat).toBe(sub);
          // qemu rounds the size up to a CHS-exact value and reads by CHS ('qemu' creator).
          expect(inspected.virtualSize).toBe(qemuInfo(img, 'vpc')['virtual-size']);
          expect(qemuCompare(out, 'raw', img, 'vpc').identical).toBe(true);
        });
      }
    }

    it('reads a 500 GiB dynamic vhd with a few MiB of data without reading holes', async () => {
      const raw = join(dir, 'large.raw');
      makeSparseRaw(raw, 500 * GiB, [
        { offset: MiB, length: MiB },
        { offset: 300 * GiB, length: 2 * MiB },
      ]);
      const img = join(dir, 'large.vhd');
      qemuConvert(raw, img, { from: 'raw', to: 'vpc' });
      const out = join(dir, 'large.ours.qcow2');
      await libConvert(img, out, 'qcow2');
      expect(qemuCompare(img, 'vpc', out, 'qcow2').identical).toBe(true);
      expect(statSync(out).size).toBeLessThan(20 * MiB);
    });
  });

  describe('writer', () => {
    for (const f of FIXTURES) {
      for (const sub of ['dynamic', 'fixed'] as const) {
        for (const mode of ['file', 'stream'] as const) {
          it(`writes ${f.name} as a ${sub} vhd (${mode}) that qemu reads identically`, async () => {
            const src = join(dir, `${f.name}.raw`);
            const out = join(dir, `${f.name}.${sub}.${mode}.ours.vhd`);
            await libConvert(src, mode === 'file' ? out : createWriteStream(out), 'vhd', {
              subformat: sub,
            });
            const info = qemuInfo(out, 'vpc');
            expect(info.format).toBe('vpc');
            // Exact size (rounded up to whole sectors) with creator qem2: no CHS rounding.
            expect(info['virtual-size']).toBe(Math.ceil(f.size / 512) * 512);
            expect(qemuCompare(src, 'raw', out, 'vpc', f.size % 512 !== 0).identical).toBe(true);
            const ours = await inspectFile(out);
            expect(ours.reasons).toEqual([]);
            expect(ours.subformat).toBe(sub);
          });
        }
      }
    }

    it('leaves all-zero 2 MiB blocks unallocated in a dynamic vhd', async () => {
      const out = join(dir, 'sparse.alloc.vhd');
      await libConvert(join(dir, 'sparse.raw'), createWriteStream(out), 'vhd');
      // blocks 0, 3, 4, 5 and 31 hold data: 5 × (2 MiB + 512) plus header, BAT and footer.
      expect(statSync(out).size).toBe(512 + 1024 + 512 + 5 * (2 * MiB + 512) + 512);
    });
  });
});
