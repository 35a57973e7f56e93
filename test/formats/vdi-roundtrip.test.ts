/**
 * VDI against qemu-img: our reader on qemu's files, and qemu-img check/info/compare on ours.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vdiFormat } from '../../src/formats/vdi/index.js';
import {
  makeSparseRaw,
  makeWorkDir,
  qemuAvailable,
  qemuCheck,
  qemuCompare,
  qemuConvert,
  qemuInfo,
} from './qemu.js';
import {
  DISK_CASES,
  expectSameAsRaw,
  FileSource,
  GuardedSource,
  LIMITS,
  RawFileExtents,
  writeToFile,
} from './vmdk-helpers.js';

const hasQemu = qemuAvailable();

describe.skipIf(!hasQemu)('vdi round trips with qemu-img', () => {
  let dir: string;
  beforeAll(() => {
    dir = makeWorkDir('ecsimg-vdi-');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const c of DISK_CASES) {
    it(`reads a ${c.name} VDI made by qemu-img exactly as qemu converts it to raw`, async () => {
      const src = join(dir, `${c.name}-src.raw`);
      const vdi = join(dir, `${c.name}.vdi`);
      const back = join(dir, `${c.name}-back.raw`);
      makeSparseRaw(src, c.size, c.runs);
      qemuConvert(src, vdi, { from: 'raw', to: 'vdi' });
      qemuConvert(vdi, back, { from: 'vdi', to: 'raw' });

      const source = new GuardedSource(await FileSource.open(vdi));
      const inspected = await vdiFormat.inspect(source, LIMITS);
      expect(inspected.reasons).toEqual([]);
      expect(inspected.safe).toBe(true);
      expect(inspected.virtualSize).toBe(qemuInfo(vdi, 'vdi')['virtual-size']);

      const reader = await vdiFormat.open(source, inspected);
      await expectSameAsRaw(reader, back, c.huge ? c.runs : undefined);
      await reader.close();
      expect(source.violations).toEqual([]);
    });

    it(`writes a ${c.name} VDI that qemu-img checks, sizes and compares identical`, async () => {
      const src = join(dir, `${c.name}-w.raw`);
      const out = join(dir, `${c.name}-ours.vdi`);
      makeSparseRaw(src, c.size, c.runs);

      // The huge case reads its input through our reader of qemu's VDI (metadata-driven), since
      // scanning 500 GiB of raw holes would take minutes.
      let input;
      if (c.huge) {
        const qemuVdi = join(dir, `${c.name}-w-qemu.vdi`);
        qemuConvert(src, qemuVdi, { from: 'raw', to: 'vdi' });
        const source = await FileSource.open(qemuVdi);
        input = await vdiFormat.open(source, await vdiFormat.inspect(source, LIMITS));
      } else {
        input = await RawFileExtents.open(src);
      }
      await writeToFile(vdiFormat, input, out);
      await input.close();

      const check = qemuCheck(out, 'vdi');
      expect(check.raw.stderr).toBe('');
      expect(check.ok).toBe(true);
      const info = qemuInfo(out, 'vdi');
      expect(info.format).toBe('vdi');
      expect(info['virtual-size']).toBe(c.size);
      const cmp = qemuCompare(src, 'raw', out, 'vdi');
      expect(cmp.raw.stdout).toContain('Images are identical');
      expect(cmp.identical).toBe(true);

      // Our own inspector accepts what our writer made.
      const source = await FileSource.open(out);
      expect((await vdiFormat.inspect(source, LIMITS)).reasons).toEqual([]);
      await source.close();
    });
  }
});
