/**
 * qcow2 reader and writer against qemu-img as the oracle: images qemu made must read back as the
 * bytes qemu reads; images we write must pass `qemu-img check` and compare identical.
 */
import { createWriteStream, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { libConvert } from './lib-helpers.js';
import {
  makeSparseRaw,
  makeWorkDir,
  qemuAvailable,
  qemuCheck,
  qemuCompare,
  qemuConvert,
  qemuCreate,
  qemuImg,
  qemuInfo,
} from './qemu.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

interface Fixture {
  name: string;
  size: number;
  runs: { offset: number; length: number; fill?: number }[];
}

const FIXTURES: Fixture[] = [
  {
    name: 'sparse',
    size: 64 * MiB,
    runs: [
      { offset: 0, length: 4096 },
      { offset: 3 * MiB + 512, length: 70_000 },
      { offset: 9 * MiB, length: 2 * MiB, fill: 0 }, // allocated zeros
      { offset: 20 * MiB - 100, length: 5 * MiB },
      { offset: 30 * MiB, length: MiB, fill: 0x5a }, // compressible
      { offset: 64 * MiB - 65536, length: 65536 },
    ],
  },
  { name: 'full', size: 8 * MiB, runs: [{ offset: 0, length: 8 * MiB }] },
  { name: 'tiny', size: 512, runs: [{ offset: 0, length: 512 }] },
  {
    name: 'odd',
    size: 5 * MiB + 3 * 512 + 123,
    runs: [{ offset: 5 * MiB - 1000, length: 3 * 512 + 1123 }],
  },
];

const describeQemu = qemuAvailable() ? describe : describe.skip;

describeQemu('qcow2 against qemu-img', () => {
  let dir: string;
  beforeAll(() => {
    dir = makeWorkDir();
    for (const f of FIXTURES) makeSparseRaw(join(dir, `${f.name}.raw`), f.size, f.runs, 7);
    // 500 GiB virtual, a few MiB of data: qemu reads the sparse raw with SEEK_DATA.
    makeSparseRaw(join(dir, 'large.raw'), 500 * GiB, [
      { offset: 0, length: MiB },
      { offset: 200 * GiB + 12345, length: 3 * MiB },
      { offset: 500 * GiB - MiB, length: MiB },
    ]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('reader', () => {
    const variants: [string, { opts?: string; compress?: boolean }][] = [
      ['v3', {}],
      ['v2 (compat=0.10)', { opts: 'compat=0.10' }],
      ['compressed (-c)', { compress: true }],
      ['4 KiB clusters', { opts: 'cluster_size=4096' }],
    ];
    for (const f of FIXTURES) {
      for (const [label, v] of variants) {
        it(`reads a ${label} qcow2 of the ${f.name} fixture as qemu does`, async () => {
          const src = join(dir, `${f.name}.raw`);
          const img = join(dir, `${f.name}-${label.replace(/\W+/g, '_')}.qcow2`);
          qemuConvert(src, img, { from: 'raw', to: 'qcow2', ...v });
          const out = `${img}.ours.raw`;
          const inspected = await libConvert(img, out, 'raw');
          expect(inspected.format).toBe('qcow2');
          expect(inspected.virtualSize).toBe(qemuInfo(img, 'qcow2')['virtual-size']);
          if (v.compress && f.name === 'sparse')
            expect(inspected.features).toContain('compressed-clusters');
          expect(qemuCompare(out, 'raw', img, 'qcow2').identical).toBe(true);
        });
      }
    }

    it('reads v3 zero clusters (written with qemu-io write -z) as zeros', async () => {
      const img = join(dir, 'zeroflag.qcow2');
      qemuConvert(join(dir, 'sparse.raw'), img, { from: 'raw', to: 'qcow2' });
      const io = qemuImg(['--version']); // qemu-io lives next to qemu-img
      expect(io.status).toBe(0);
      const { spawnSync } = await import('node:child_process');
      const r = spawnSync('qemu-io', ['-f', 'qcow2', '-c', 'write -z 0 2M', img], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(0);
      const out = `${img}.ours.raw`;
      const inspected = await libConvert(img, out, 'raw');
      expect(inspected.features).toContain('zero-clusters');
      expect(qemuCompare(out, 'raw', img, 'qcow2').identical).toBe(true);
    });

    it('reads a 500 GiB virtual qcow2 holding a few MiB quickly, skipping holes', async () => {
      const img = join(dir, 'large.qcow2');
      qemuConvert(join(dir, 'large.raw'), img, { from: 'raw', to: 'qcow2' });
      const out = join(dir, 'large.ours.qcow2');
      const started = Date.now();
      await libConvert(img, out, 'qcow2');
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(qemuCheck(out, 'qcow2').ok).toBe(true);
      expect(qemuCompare(img, 'qcow2', out, 'qcow2').identical).toBe(true);
      expect(statSync(out).size).toBeLessThan(20 * MiB);
    });
  });

  describe('writer', () => {
    for (const f of FIXTURES) {
      for (const mode of ['file', 'stream'] as const) {
        it(`writes ${f.name} as qcow2 (${mode}): qemu-img check ok, identical`, async () => {
          const src = join(dir, `${f.name}.raw`);
          const out = join(dir, `${f.name}.${mode}.ours.qcow2`);
          await libConvert(src, mode === 'file' ? out : createWriteStream(out), 'qcow2');
          const check = qemuCheck(out, 'qcow2');
          expect(check.ok, check.raw.stdout + check.raw.stderr).toBe(true);
          const info = qemuInfo(out, 'qcow2');
          expect(info.format).toBe('qcow2');
          expect(info['virtual-size']).toBe(Math.ceil(f.size / 512) * 512);
          expect((info['format-specific'] as { data: { compat: string } }).data.compat).toBe('1.1');
          expect(qemuCompare(src, 'raw', out, 'qcow2').identical).toBe(true);
        });
      }
    }

    it('skips zero clusters: the sparse fixture stays small', async () => {
      const out = join(dir, 'sparse.size.qcow2');
      await libConvert(join(dir, 'sparse.raw'), out, 'qcow2');
      // Our inspector's allocated size agrees with qemu-img check's allocated cluster count.
      const check = qemuCheck(out, 'qcow2');
      const reread = await libConvert(out, join(dir, 'sparse.size.raw'), 'raw');
      expect(reread.allocatedSize).toBe((check.json!['allocated-clusters'] as number) * 65536);
      // ~6.1 MiB of non-zero data (the 2 MiB of written zeros is not stored) plus metadata.
      expect(statSync(out).size).toBeLessThan(7 * MiB);
    });

    it('writes a 500 GiB virtual qcow2 from a qcow2 with the same map', async () => {
      const img = join(dir, 'large-src.qcow2');
      qemuConvert(join(dir, 'large.raw'), img, { from: 'raw', to: 'qcow2' });
      const out = join(dir, 'large.stream.qcow2');
      await libConvert(img, createWriteStream(out), 'qcow2');
      expect(qemuCheck(out, 'qcow2').ok).toBe(true);
      expect(qemuInfo(out, 'qcow2')['virtual-size']).toBe(500 * GiB);
      expect(qemuCompare(img, 'qcow2', out, 'qcow2').identical).toBe(true);
    });

    it('writes an empty (all-zero) disk that qemu-img accepts', async () => {
      const src = join(dir, 'empty.raw');
      qemuCreate(src, 'raw', 3 * MiB);
      const out = join(dir, 'empty.qcow2');
      await libConvert(src, out, 'qcow2');
      expect(qemuCheck(out, 'qcow2').ok).toBe(true);
      expect(qemuCompare(src, 'raw', out, 'qcow2').identical).toBe(true);
    });
  });
});
