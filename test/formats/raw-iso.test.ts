/** Raw reader/writer (sparse output), ISO 9660 detection and the ISO+qcow2 polyglot. */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  createWriteStream,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bufferSource, inspect, openReader } from '../../src/formats/index.js';
import { codes, inspectBytes, libConvert } from './lib-helpers.js';
import {
  makeSparseRaw,
  makeWorkDir,
  qemuAvailable,
  qemuCompare,
  qemuCreate,
  sha256File,
} from './qemu.js';

const MiB = 1024 * 1024;

/** A minimal ISO 9660 image: system area, primary descriptor, terminator. */
function isoImage(blocks: number): Buffer {
  const iso = Buffer.alloc(blocks * 2048);
  const pvd = iso.subarray(16 * 2048);
  pvd[0] = 1;
  pvd.write('CD001', 1, 'latin1');
  pvd[6] = 1;
  pvd.writeUInt32LE(blocks, 80);
  pvd.writeUInt32BE(blocks, 84);
  pvd.writeUInt16LE(2048, 128);
  pvd.writeUInt16BE(2048, 130);
  const term = iso.subarray(17 * 2048);
  term[0] = 255;
  term.write('CD001', 1, 'latin1');
  term[6] = 1;
  return iso;
}

describe('raw and iso', () => {
  let dir: string;
  beforeAll(() => {
    dir = makeWorkDir();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads raw as 4 KiB-granular zero/data extents that never cross 4 MiB', async () => {
    const buf = Buffer.alloc(9 * MiB);
    buf.fill(1, 4096, 8192);
    buf.fill(2, 4 * MiB - 10, 4 * MiB + 10);
    const src = bufferSource(buf);
    const reader = await openReader(src, await inspect(src));
    const extents = [];
    for await (const e of reader.extents())
      extents.push({ offset: e.offset, length: e.length, zero: e.zero });
    expect(extents).toEqual([
      { offset: 0, length: 4096, zero: true },
      { offset: 4096, length: 4096, zero: false },
      { offset: 8192, length: 4 * MiB - 4096 - 8192, zero: true },
      { offset: 4 * MiB - 4096, length: 4096, zero: false },
      { offset: 4 * MiB, length: 4096, zero: false },
      { offset: 4 * MiB + 4096, length: 5 * MiB - 4096, zero: true },
    ]);
    const map = [];
    for await (const r of reader.map()) map.push(r);
    expect(map.filter((r) => !r.zero).map((r) => r.length)).toEqual([4096, 8192]);
    expect((await reader.read(4 * MiB - 12, 24)).toString('hex')).toBe(
      '0000' + '02'.repeat(20) + '0000',
    );
  });

  it('notes an MBR partition table inside raw data', async () => {
    const buf = Buffer.alloc(MiB);
    buf[446] = 0x80;
    buf[446 + 4] = 0x83;
    buf.writeUInt32LE(2048, 446 + 8);
    buf.writeUInt32LE(100, 446 + 12);
    buf[510] = 0x55;
    buf[511] = 0xaa;
    const { result } = await inspectBytes(buf);
    expect(result.format).toBe('raw');
    expect(result.partitionTable).toBe('mbr');
  });

  it('notes a GPT (protective MBR + EFI PART at LBA 1) inside raw data', async () => {
    const buf = Buffer.alloc(MiB);
    buf[446 + 4] = 0xee;
    buf.writeUInt32LE(1, 446 + 8);
    buf.writeUInt32LE(2047, 446 + 12);
    buf[510] = 0x55;
    buf[511] = 0xaa;
    buf.write('EFI PART', 512, 'latin1');
    expect((await inspectBytes(buf)).result.partitionTable).toBe('gpt');
  });

  it('detects ISO 9660 and accepts it declared as iso or raw', async () => {
    const iso = isoImage(64);
    const { result } = await inspectBytes(iso, 'iso');
    expect(result.format).toBe('iso');
    expect(result.safe).toBe(true);
    expect((await inspectBytes(iso, 'raw')).result.safe).toBe(true);
    expect(codes((await inspectBytes(iso, 'qcow2')).result)).toContain('FORMAT_MISMATCH');
  });

  it('refuses an ISO whose primary descriptor claims more blocks than the file has', async () => {
    const iso = isoImage(64);
    iso.writeUInt32LE(1000, 16 * 2048 + 80);
    iso.writeUInt32BE(1000, 16 * 2048 + 84);
    expect(codes((await inspectBytes(iso)).result)).toEqual(['ISO_TRUNCATED']);
  });

  it.runIf(qemuAvailable())(
    'refuses an ISO with a qcow2 header in its system area as FORMAT_CONFUSION',
    async () => {
      const q = join(dir, 'p.qcow2');
      qemuCreate(q, 'qcow2', 64 * MiB, 'cluster_size=4096');
      const poly = isoImage(64);
      readFileSync(q)
        .subarray(0, 16 * 1024)
        .copy(poly, 0);
      const { result } = await inspectBytes(poly);
      expect(codes(result)).toEqual(['FORMAT_CONFUSION']);
      expect(result.safe).toBe(false);
    },
  );

  it.runIf(qemuAvailable())('writes sparse raw files: holes where the disk is zero', async () => {
    const src = join(dir, 'sparse.raw');
    makeSparseRaw(src, 256 * MiB, [
      { offset: 100 * MiB, length: MiB },
      { offset: 10 * MiB, length: MiB, fill: 0 },
    ]);
    const q = join(dir, 'sparse.qcow2');
    await libConvert(src, q, 'qcow2');
    const out = join(dir, 'back.raw');
    await libConvert(q, out, 'raw');
    expect(statSync(out).size).toBe(256 * MiB);
    expect(statSync(out).blocks * 512).toBeLessThan(2 * MiB);
    expect(sha256File(out)).toBe(sha256File(src));
    const streamed = join(dir, 'streamed.raw');
    await libConvert(q, createWriteStream(streamed), 'raw');
    expect(sha256File(streamed)).toBe(sha256File(src));
    expect(qemuCompare(src, 'raw', q, 'qcow2').identical).toBe(true);
  });

  it('reads an odd-sized raw file to its last byte', async () => {
    const path = join(dir, 'odd.raw');
    writeFileSync(path, Buffer.alloc(1000, 7));
    const fd = openSync(path, 'r+');
    writeSync(fd, Buffer.from([9]), 0, 1, 999);
    closeSync(fd);
    const out = join(dir, 'odd.copy.raw');
    await libConvert(path, out, 'raw');
    expect(readFileSync(out)).toEqual(readFileSync(path));
    void spawnSync;
  });
});
