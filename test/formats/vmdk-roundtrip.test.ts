/**
 * VMDK against qemu-img: our reader on qemu's monolithicSparse and streamOptimized files, and
 * qemu-img check/info/compare on our streamOptimized output.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vmdkFormat } from '../../src/formats/vmdk/index.js';
import {
  makeSparseRaw,
  makeWorkDir,
  qemuAvailable,
  qemuCompare,
  qemuConvert,
  qemuInfo,
} from './qemu.js';
import {
  DISK_CASES,
  expectQemuAccepts,
  expectSameAsRaw,
  FileSource,
  GuardedSource,
  LIMITS,
  RawFileExtents,
  writerInput,
  writeToFile,
} from './vmdk-helpers.js';

const hasQemu = qemuAvailable();
const SUBFORMATS = ['monolithicSparse', 'streamOptimized'] as const;

describe.skipIf(!hasQemu)('vmdk round trips with qemu-img', () => {
  let dir: string;
  beforeAll(() => {
    dir = makeWorkDir('ecsimg-vmdk-');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const c of DISK_CASES) {
    for (const sub of SUBFORMATS) {
      it(`reads a ${c.name} ${sub} VMDK made by qemu-img exactly as qemu converts it`, async () => {
        const src = join(dir, `${c.name}-${sub}-src.raw`);
        const vmdk = join(dir, `${c.name}-${sub}.vmdk`);
        const back = join(dir, `${c.name}-${sub}-back.raw`);
        makeSparseRaw(src, c.size, c.runs);
        qemuConvert(src, vmdk, { from: 'raw', to: 'vmdk', opts: `subformat=${sub}` });
        qemuConvert(vmdk, back, { from: 'vmdk', to: 'raw' });

        const source = new GuardedSource(await FileSource.open(vmdk));
        const inspected = await vmdkFormat.inspect(source, LIMITS);
        expect(inspected.reasons).toEqual([]);
        expect(inspected.subformat).toBe(sub);
        expect(inspected.virtualSize).toBe(qemuInfo(vmdk, 'vmdk')['virtual-size']);

        const reader = await vmdkFormat.open(source, inspected);
        await expectSameAsRaw(reader, back, c.huge ? c.runs : undefined);
        await reader.close();
        expect(source.violations).toEqual([]);
      });
    }

    it(`writes a ${c.name} streamOptimized VMDK that qemu-img checks and finds equal`, async () => {
      const src = join(dir, `${c.name}-w.raw`);
      const out = join(dir, `${c.name}-ours.vmdk`);
      makeSparseRaw(src, c.size, c.runs);

      const qemuCopy = {
        path: join(dir, `${c.name}-w-qemu.vmdk`),
        to: 'vmdk',
        opts: 'subformat=monolithicSparse',
      } as const;
      const input = await writerInput(vmdkFormat, c, src, qemuCopy);
      await writeToFile(vmdkFormat, input, out, 2);
      await input.close();

      const info = expectQemuAccepts(src, out, 'vmdk', c.size) as Record<string, any>;
      expect(info['format-specific'].data['create-type']).toBe('streamOptimized');

      // Our inspector and reader accept our own output, footer and all.
      const source = new GuardedSource(await FileSource.open(out));
      const inspected = await vmdkFormat.inspect(source, LIMITS);
      expect(inspected.reasons).toEqual([]);
      if (!c.huge) await expectSameAsRaw(await vmdkFormat.open(source, inspected), src);
      await source.close();
      expect(source.violations).toEqual([]);
    });
  }

  it('compresses text-like data and stores random data without inflating it', async () => {
    const src = join(dir, 'mixed.raw');
    const out = join(dir, 'mixed.vmdk');
    makeSparseRaw(src, 4 * 2 ** 20, [
      { offset: 0, length: 2 * 2 ** 20, fill: 0x41 },
      { offset: 2 * 2 ** 20, length: 2 * 2 ** 20 },
    ]);
    const input = await RawFileExtents.open(src);
    const { bytesWritten } = await writeToFile(vmdkFormat, input, out, 1);
    await input.close();
    // 2 MiB of random data stays ~2 MiB (one sector of slack per grain); 'A's shrink to nothing.
    expect(bytesWritten).toBeGreaterThan(2 * 2 ** 20);
    expect(bytesWritten).toBeLessThan(2 * 2 ** 20 + 32 * 1024 + 128 * 1024);
    expect(qemuCompare(src, 'raw', out, 'vmdk').identical).toBe(true);
  });
});
