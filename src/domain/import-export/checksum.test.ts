import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blockTreeDigest, blockTreeDigestOf } from './checksum.js';
import { exportObjectKey } from './naming.js';

const MIB = 1024 * 1024;

/** A 10 MiB disk: block 0 data, block 1 zero, block 2 (2 MiB, the last) data. */
function disk(): Buffer {
  const buf = Buffer.alloc(10 * MIB);
  crypto.randomFillSync(buf, 0, 4 * MIB);
  crypto.randomFillSync(buf, 9 * MIB, MIB);
  return buf;
}

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

describe('the import checksum', () => {
  it('from a manifest equals the checksum of the bytes, zero blocks included', () => {
    const content = disk();
    const manifest = {
      virtualSize: content.length,
      blockSize: 4 * MIB,
      blocks: [
        { index: 0, address: sha(content.subarray(0, 4 * MIB)) },
        { index: 2, address: sha(content.subarray(8 * MIB)) },
      ],
    };
    expect(blockTreeDigest(manifest)).toBe(blockTreeDigestOf(content));
  });

  it('changes when one byte of the disk changes', () => {
    const content = disk();
    const before = blockTreeDigestOf(content);
    content[5 * MIB] = 1; // inside the zero block
    expect(blockTreeDigestOf(content)).not.toBe(before);
  });

  it('is what the documented split | sha256sum pipeline prints', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecsimg-checksum-'));
    try {
      const file = path.join(dir, 'disk.raw');
      const content = disk();
      fs.writeFileSync(file, content);
      const shell = spawnSync(
        'sh',
        ['-c', `split -b 4194304 --filter=sha256sum '${file}' | cut -d' ' -f1 | sha256sum`],
        { encoding: 'utf8' },
      );
      expect(shell.status).toBe(0);
      expect(blockTreeDigestOf(content)).toBe(`sha256-4mib:${shell.stdout.split(' ')[0]}`);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses addresses that are not plain SHA-256 (keyed chunk addresses)', () => {
    const manifest = {
      virtualSize: 4 * MIB,
      blockSize: 4 * MIB,
      blocks: [{ index: 0, address: 'k1-abc' }],
    };
    expect(() => blockTreeDigest(manifest)).toThrow(/not a plain SHA-256/);
  });
});

describe('export object names', () => {
  it('name the system disk and numbered data disks, with and without a prefix', () => {
    expect(exportObjectKey({ imageId: 'm-1', type: 'system', format: 'raw' })).toBe(
      'm-1_system.raw',
    );
    expect(
      exportObjectKey({
        prefix: 'nightly',
        imageId: 'm-1',
        type: 'data',
        dataIndex: 3,
        format: 'vhd',
      }),
    ).toBe('nightly_m-1_data3.vhd');
  });
});
