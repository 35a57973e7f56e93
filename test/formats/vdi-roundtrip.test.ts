/**
 * VDI against qemu-img: our reader on qemu's files, and qemu-img check/info/compare on ours.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vdiFormat } from '../../src/formats/vdi/index.js';
import { makeSparseRaw, makeWorkDir, qemuAvailable, qemuConvert, qemuInfo } from './qemu.js';
import {
  DISK_CASES,
  expectQemuAccepts,
  expectSameAsRaw,
  FileSource,
  GuardedSource,
  LIMITS,
  writerInput,
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

      const qemuCopy = { path: join(dir, `${c.name}-w-qemu.vdi`), to: 'vdi' } as const;
      const input = await writerInput(vdiFormat, c, src, qemuCopy);
      await writeToFile(vdiFormat, input, out);
      await input.close();

      expectQemuAccepts(src, out, 'vdi', c.size);

      // Our own inspector accepts what our writer made.
      const source = await FileSource.open(out);
      expect((await vdiFormat.inspect(source, LIMITS)).reasons).toEqual([]);
      await source.close();
    });
  }
});
