/**
 * VHDX against qemu-img: our reader on qemu's files (we write no VHDX: `-O` does not offer it).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vhdxFormat } from '../../src/formats/vhdx/index.js';
import { makeSparseRaw, makeWorkDir, qemuAvailable, qemuConvert, qemuInfo } from './qemu.js';
import { DISK_CASES, expectSameAsRaw, FileSource, GuardedSource, LIMITS } from './vmdk-helpers.js';

const hasQemu = qemuAvailable();

describe.skipIf(!hasQemu)('vhdx round trips with qemu-img', () => {
  let dir: string;
  beforeAll(() => {
    dir = makeWorkDir('ecsimg-vhdx-');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const c of DISK_CASES) {
    it(`reads a ${c.name} VHDX made by qemu-img exactly as qemu converts it to raw`, async () => {
      const src = join(dir, `${c.name}-src.raw`);
      const vdi = join(dir, `${c.name}.vhdx`);
      const back = join(dir, `${c.name}-back.raw`);
      makeSparseRaw(src, c.size, c.runs);
      qemuConvert(src, vdi, { from: 'raw', to: 'vhdx' });
      qemuConvert(vdi, back, { from: 'vhdx', to: 'raw' });

      const source = new GuardedSource(await FileSource.open(vdi));
      const inspected = await vhdxFormat.inspect(source, LIMITS);
      expect(inspected.reasons).toEqual([]);
      expect(inspected.safe).toBe(true);
      expect(inspected.virtualSize).toBe(qemuInfo(vdi, 'vhdx')['virtual-size']);

      const reader = await vhdxFormat.open(source, inspected);
      await expectSameAsRaw(reader, back, c.huge ? c.runs : undefined);
      await reader.close();
      expect(source.violations).toEqual([]);
    });
  }
});
