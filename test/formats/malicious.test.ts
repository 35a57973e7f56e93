/**
 * The malicious corpus for qcow2 and vhd (FORMATS.md §4, §2.6), built from qemu-img output and
 * hand-patched bytes. Each file must be refused with its own reason, and no read may leave the
 * file (every source is wrapped in a bounds checker).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError, bufferSource, inspect, openReader } from '../../src/formats/index.js';
import { vhdChecksum } from '../../src/formats/vhd/constants.js';
import { boundedSource, codes, inspectBytes } from './lib-helpers.js';
import {
  makeSparseRaw,
  makeWorkDir,
  qemuAvailable,
  qemuConvert,
  qemuCreate,
  qemuImg,
} from './qemu.js';

const MiB = 1024 * 1024;

function patched(buf: Buffer, edit: (b: Buffer) => void): Buffer {
  const copy = Buffer.from(buf);
  edit(copy);
  return copy;
}

/** Inspects and expects exactly these refusal codes, all reads inside the file. */
async function expectRefused(
  buf: Buffer,
  expected: string[],
  declared?: Parameters<typeof inspectBytes>[1],
) {
  const { result, log } = await inspectBytes(buf, declared);
  expect(result.safe).toBe(false);
  for (const code of expected) expect(codes(result)).toContain(code);
  expect(log.outOfBounds).toEqual([]);
  // Bounded: header + tables, never the data (these files are at most a few MiB).
  expect(log.bytes).toBeLessThan(2 * 1024 * 1024 + 2 * buf.length);
  return result;
}

const describeQemu = qemuAvailable() ? describe : describe.skip;

describeQemu('malicious qcow2', () => {
  let dir: string;
  let good: Buffer;
  let l1Offset: number;
  let l2Offset: number;
  beforeAll(() => {
    dir = makeWorkDir();
    makeSparseRaw(join(dir, 'src.raw'), 4 * MiB, [{ offset: 0, length: 256 * 1024 }]);
    qemuConvert(join(dir, 'src.raw'), join(dir, 'good.qcow2'), { from: 'raw', to: 'qcow2' });
    good = readFileSync(join(dir, 'good.qcow2'));
    l1Offset = Number(good.readBigUInt64BE(40));
    l2Offset = Number(good.readBigUInt64BE(l1Offset) & 0x00fffffffffffe00n);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the unmodified image (the baseline for every patch below)', async () => {
    const { result, log } = await inspectBytes(good, 'qcow2');
    expect(result.reasons).toEqual([]);
    expect(log.outOfBounds).toEqual([]);
  });

  it('refuses a qcow2 with a backing file (/etc/passwd)', async () => {
    const p = join(dir, 'bk.qcow2');
    expect(
      qemuImg(['create', '-q', '-f', 'qcow2', '-u', '-F', 'raw', '-b', '/etc/passwd', p, '1M'])
        .status,
    ).toBe(0);
    await expectRefused(readFileSync(p), ['QCOW2_BACKING_FILE']);
  });

  it('refuses a qcow2 with a json: backing file and no backing format extension', async () => {
    const p = join(dir, 'bkjson.qcow2');
    qemuCreate(p, 'qcow2', MiB);
    const json = 'json:{"driver":"raw","file":{"driver":"file","filename":"/etc/passwd"}}';
    expect(qemuImg(['rebase', '-u', '-f', 'qcow2', '-F', 'raw', '-b', json, p]).status).toBe(0);
    const buf = patched(readFileSync(p), (b) => {
      const at = b.indexOf(Buffer.from([0xe2, 0x79, 0x2a, 0xca]), 104);
      b.writeUInt32BE(0x12345678, at); // hide the backing-format extension
    });
    await expectRefused(buf, ['QCOW2_BACKING_FILE']);
  });

  it('refuses a qcow2 with an external data file', async () => {
    const p = join(dir, 'df.qcow2');
    const dummy = join(dir, 'df_dummy.ra');
    qemuCreate(p, 'qcow2', MiB, `data_file=${dummy},data_file_raw=on`);
    await expectRefused(readFileSync(p), ['QCOW2_DATA_FILE']);
  });

  it('refuses the external data file bit alone', async () => {
    await expectRefused(
      patched(good, (b) => (b[79] |= 0x04)),
      ['QCOW2_DATA_FILE'],
    );
  });

  it('refuses unknown incompatible feature bits (bit 5, high byte)', async () => {
    await expectRefused(
      patched(good, (b) => (b[79] |= 0x20)),
      ['QCOW2_UNKNOWN_INCOMPATIBLE_FEATURE'],
    );
    await expectRefused(
      patched(good, (b) => (b[72] |= 0x48)),
      ['QCOW2_UNKNOWN_INCOMPATIBLE_FEATURE'],
    );
  });

  it('refuses dirty and corrupt images', async () => {
    await expectRefused(
      patched(good, (b) => (b[79] |= 0x01)),
      ['QCOW2_DIRTY'],
    );
    await expectRefused(
      patched(good, (b) => (b[79] |= 0x02)),
      ['QCOW2_CORRUPT'],
    );
  });

  it('refuses extended L2 entries and zstd compression', async () => {
    const ext = join(dir, 'extl2.qcow2');
    qemuCreate(ext, 'qcow2', MiB, 'extended_l2=on');
    await expectRefused(readFileSync(ext), ['QCOW2_EXTENDED_L2']);
    const zstd = join(dir, 'zstd.qcow2');
    qemuCreate(zstd, 'qcow2', MiB, 'compression_type=zstd');
    await expectRefused(readFileSync(zstd), ['QCOW2_UNSUPPORTED_COMPRESSION']);
  });

  it('refuses crypt_method 2 without its header (the file that crashes qemu-img)', async () => {
    await expectRefused(
      patched(good, (b) => (b[35] = 2)),
      ['QCOW2_ENCRYPTED'],
    );
  });

  it('refuses versions 1 and 4', async () => {
    await expectRefused(
      patched(good, (b) => (b[7] = 1)),
      ['QCOW2_UNSUPPORTED_VERSION'],
    );
    await expectRefused(
      patched(good, (b) => (b[7] = 4)),
      ['QCOW2_UNSUPPORTED_VERSION'],
    );
  });

  it('ignores bytes 72+ of a version 2 header (no feature words there)', async () => {
    const p = join(dir, 'v2.qcow2');
    qemuConvert(join(dir, 'src.raw'), p, { from: 'raw', to: 'qcow2', opts: 'compat=0.10' });
    const v2 = readFileSync(p);
    expect(v2.readUInt32BE(4)).toBe(2);
    const { result } = await inspectBytes(patched(v2, (b) => (b[79] = 0xff)));
    expect(result.reasons).toEqual([]);
  });

  it('refuses bad cluster bits', async () => {
    await expectRefused(
      patched(good, (b) => b.writeUInt32BE(8, 20)),
      ['QCOW2_BAD_CLUSTER_BITS'],
    );
    await expectRefused(
      patched(good, (b) => b.writeUInt32BE(22, 20)),
      ['QCOW2_BAD_CLUSTER_BITS'],
    );
  });

  it('refuses a 1 PiB virtual size over the ceiling, and a size field of 2^63-1', async () => {
    const p = join(dir, 'huge.qcow2');
    qemuCreate(p, 'qcow2', 2 ** 50);
    await expectRefused(readFileSync(p), ['VIRTUAL_SIZE_TOO_LARGE']);
    await expectRefused(
      patched(good, (b) => b.writeBigUInt64BE(2n ** 63n - 1n, 24)),
      ['QCOW2_BAD_SIZE'],
    );
  });

  it('refuses an L1 table too large (l1_size 0x7fffffff) or too small for the size', async () => {
    await expectRefused(
      patched(good, (b) => b.writeUInt32BE(0x7fffffff, 36)),
      ['QCOW2_TABLE_TOO_LARGE'],
    );
    await expectRefused(
      patched(good, (b) => b.writeBigUInt64BE(2n ** 40n, 24)),
      ['QCOW2_L1_TOO_SMALL'],
    );
  });

  it('refuses truncated headers instead of calling them raw', async () => {
    const r = await expectRefused(good.subarray(0, 64), ['QCOW2_TRUNCATED']);
    expect(r.format).toBe('qcow2');
    await expectRefused(good.subarray(0, 100), ['QCOW2_TRUNCATED']);
  });

  it('refuses tables outside the file, on the header, misaligned or overlapping', async () => {
    await expectRefused(good.subarray(0, l1Offset + 4), ['QCOW2_TABLE_OUTSIDE_FILE']);
    await expectRefused(
      patched(good, (b) => b.writeBigUInt64BE(0n, 40)),
      ['QCOW2_OVERLAPS_HEADER'],
    );
    await expectRefused(
      patched(good, (b) => b.writeBigUInt64BE(BigInt(l1Offset + 8), 40)),
      ['QCOW2_MISALIGNED_TABLE'],
    );
    await expectRefused(
      patched(good, (b) => b.writeBigUInt64BE(2n ** 40n, 48)),
      ['QCOW2_TABLE_OUTSIDE_FILE'],
    );
    await expectRefused(
      patched(good, (b) => b.writeBigUInt64BE(b.readBigUInt64BE(48), 40)),
      ['QCOW2_TABLES_OVERLAP'],
    );
  });

  it('refuses L1 entries pointing outside the file or at tables, or with bad bits', async () => {
    await expectRefused(
      patched(good, (b) => b.writeBigUInt64BE((2n ** 40n) | (1n << 63n), l1Offset)),
      ['QCOW2_TABLE_OUTSIDE_FILE'],
    );
    await expectRefused(
      patched(good, (b) => b.writeBigUInt64BE(b.readBigUInt64BE(l1Offset) | 0x2n, l1Offset)),
      ['QCOW2_BAD_TABLE_ENTRY'],
    );
    await expectRefused(
      patched(good, (b) => b.writeBigUInt64BE(b.readBigUInt64BE(l1Offset) + 0x200n, l1Offset)),
      ['QCOW2_MISALIGNED_TABLE'],
    );
    await expectRefused(
      patched(good, (b) => b.writeBigUInt64BE(b.readBigUInt64BE(40), l1Offset)),
      ['QCOW2_TABLES_OVERLAP'],
    );
  });

  it('refuses L2 entries that point past the end of the file or into the header', async () => {
    await expectRefused(
      patched(good, (b) => b.writeBigUInt64BE((1n << 63n) | (2n ** 40n), l2Offset)),
      ['QCOW2_CLUSTER_OUTSIDE_FILE'],
    );
    // A compressed entry whose byte offset points into the header cluster.
    await expectRefused(
      patched(good, (b) => b.writeBigUInt64BE((1n << 62n) | 100n, l2Offset)),
      ['QCOW2_OVERLAPS_HEADER'],
    );
    await expectRefused(
      patched(good, (b) => b.writeBigUInt64BE(b.readBigUInt64BE(l2Offset) | 0x100n, l2Offset)),
      ['QCOW2_BAD_TABLE_ENTRY'],
    );
  });

  it('refuses header extensions that overrun the header cluster', async () => {
    await expectRefused(
      patched(good, (b) => {
        b.writeUInt32BE(0x11111111, 112);
        b.writeUInt32BE(0x7fffff00, 116);
      }),
      ['QCOW2_BAD_HEADER'],
    );
  });

  it('refuses a qcow2 uploaded as raw (CVE-2024-40767) and as vhd', async () => {
    await expectRefused(good, ['FORMAT_MISMATCH'], 'raw');
    await expectRefused(good, ['FORMAT_MISMATCH'], 'vhd');
  });

  it('stops a compressed cluster inflating past one cluster (a bomb)', async () => {
    const { deflateRawSync } = await import('node:zlib');
    const bomb = deflateRawSync(Buffer.alloc(4 * 65536, 0x41));
    const at = good.length; // append the bomb, point cluster 0 at it
    const buf = Buffer.concat([good, bomb, Buffer.alloc(1024)]);
    const sectors = BigInt(Math.ceil(bomb.length / 512));
    buf.writeBigUInt64BE((1n << 62n) | (sectors << 54n) | BigInt(at), l2Offset);
    const { source, log } = boundedSource(bufferSource(buf));
    const inspected = await inspect(source, {});
    // cluster 0 is read for the partition-table note, so the bomb is already caught here.
    expect(codes(inspected)).toContain('QCOW2_BAD_COMPRESSED_CLUSTER');
    expect(log.outOfBounds).toEqual([]);
  });

  it('the readers refuse to open a file the inspector refused', async () => {
    const src = bufferSource(patched(good, (b) => (b[79] |= 0x04)));
    const r = await inspect(src);
    await expect(openReader(src, r)).rejects.toBeInstanceOf(FormatError);
  });
});

describeQemu('malicious vhd', () => {
  let dir: string;
  let dyn: Buffer;
  let fixed: Buffer;
  beforeAll(() => {
    dir = makeWorkDir();
    makeSparseRaw(join(dir, 'src.raw'), 8 * MiB, [{ offset: 0, length: MiB }]);
    qemuConvert(join(dir, 'src.raw'), join(dir, 'd.vhd'), { from: 'raw', to: 'vpc' });
    qemuConvert(join(dir, 'src.raw'), join(dir, 'f.vhd'), {
      from: 'raw',
      to: 'vpc',
      opts: 'subformat=fixed',
    });
    dyn = readFileSync(join(dir, 'd.vhd'));
    fixed = readFileSync(join(dir, 'f.vhd'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** Edits both footers (copy at 0 and at the end) and fixes their checksums. */
  const editFooters = (buf: Buffer, edit: (f: Buffer) => void) =>
    patched(buf, (b) => {
      for (const at of [0, b.length - 512]) {
        const f = b.subarray(at, at + 512);
        edit(f);
        f.writeUInt32BE(vhdChecksum(f, 64), 64);
      }
    });
  const editDynHeader = (edit: (h: Buffer) => void) =>
    patched(dyn, (b) => {
      const h = b.subarray(512, 1536);
      edit(h);
      h.writeUInt32BE(vhdChecksum(h, 36), 36);
    });

  it('accepts unmodified dynamic and fixed images; finds fixed by its footer', async () => {
    expect((await inspectBytes(dyn, 'vhd')).result.reasons).toEqual([]);
    const f = (await inspectBytes(fixed, 'vhd')).result;
    expect(f.reasons).toEqual([]);
    expect(f.subformat).toBe('fixed');
  });

  it('refuses a truncated vhd instead of calling it raw', async () => {
    const r = await expectRefused(dyn.subarray(0, 300), ['VHD_TRUNCATED']);
    expect(r.format).toBe('vhd');
    await expectRefused(dyn.subarray(0, dyn.length - 512), ['VHD_TRUNCATED']);
  });

  it('refuses a fixed vhd whose data is shorter than its footer claims', async () => {
    const cut = Buffer.concat([fixed.subarray(0, MiB), fixed.subarray(fixed.length - 512)]);
    await expectRefused(cut, ['VHD_TRUNCATED']);
  });

  it('refuses bad footer and dynamic header checksums', async () => {
    await expectRefused(
      patched(dyn, (b) => ((b[64] ^= 1), (b[b.length - 512 + 64] ^= 1))),
      ['VHD_BAD_CHECKSUM'],
    );
    await expectRefused(
      patched(dyn, (b) => (b[512 + 36] ^= 1)),
      ['VHD_BAD_CHECKSUM'],
    );
  });

  it('refuses differencing disks (parent locators name another file)', async () => {
    const diff = editFooters(dyn, (f) => f.writeUInt32BE(4, 60));
    await expectRefused(diff, ['VHD_DIFFERENCING']);
  });

  it('refuses a footer copy that differs from the footer', async () => {
    await expectRefused(
      patched(dyn, (b) => {
        b[85] ^= 1;
        b.writeUInt32BE(vhdChecksum(b.subarray(0, 512), 64), 64);
      }),
      ['VHD_FOOTER_MISMATCH'],
    );
  });

  it('refuses a BAT outside the file, overlapping the header, too small or too large', async () => {
    await expectRefused(
      editDynHeader((h) => h.writeBigUInt64BE(2n ** 40n, 16)),
      ['VHD_TABLE_OUTSIDE_FILE'],
    );
    await expectRefused(
      editDynHeader((h) => h.writeBigUInt64BE(512n, 16)),
      ['VHD_OVERLAPS_HEADER'],
    );
    await expectRefused(
      editDynHeader((h) => h.writeUInt32BE(1, 28)),
      ['VHD_BAT_TOO_SMALL'],
    );
    await expectRefused(
      editDynHeader((h) => h.writeUInt32BE(0x7fffffff, 28)),
      ['VHD_TABLE_TOO_LARGE'],
    );
  });

  it('refuses BAT entries pointing at the header or past the footer', async () => {
    await expectRefused(
      patched(dyn, (b) => b.writeUInt32BE(1, 1536)),
      ['VHD_OVERLAPS_HEADER'],
    );
    await expectRefused(
      patched(dyn, (b) => b.writeUInt32BE(b.length / 512 - 2, 1536)),
      ['VHD_BLOCK_OUTSIDE_FILE'],
    );
  });

  it('refuses a vhd declared as qcow2, and an unknown disk type', async () => {
    await expectRefused(dyn, ['FORMAT_MISMATCH'], 'qcow2');
    await expectRefused(
      editFooters(dyn, (f) => f.writeUInt32BE(5, 60)),
      ['VHD_UNSUPPORTED_TYPE'],
    );
  });

  it('refuses a qcow2 header planted in the data of a fixed vhd as FORMAT_CONFUSION', async () => {
    const q = join(dir, 'q.qcow2');
    qemuCreate(q, 'qcow2', MiB);
    const poly = patched(fixed, (b) => readFileSync(q).subarray(0, 512).copy(b, 0));
    await expectRefused(poly, ['FORMAT_CONFUSION']);
    void spawnSync;
  });
});
