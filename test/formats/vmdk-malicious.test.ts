/**
 * Hostile VMDK and VDI files, hand-built or qemu-made then patched: each is refused with its
 * code, and nothing reads outside the file. Then fast-check mutates valid files: inspection never
 * throws, finishes quickly and reads a bounded number of bytes.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vdiFormat } from '../../src/formats/vdi/index.js';
import { vmdkFormat } from '../../src/formats/vmdk/index.js';
import type { FormatModule, InspectLimits } from '../../src/formats/types.js';
import { makeSparseRaw, makeWorkDir, qemuAvailable, qemuConvert } from './qemu.js';
import {
  BufferSource,
  GuardedSource,
  LIMITS,
  RawFileExtents,
  readAllExtents,
  writeToFile,
} from './vmdk-helpers.js';

const MiB = 2 ** 20;

async function inspectBytes(module: FormatModule, bytes: Buffer, limits: InspectLimits = LIMITS) {
  const source = new GuardedSource(new BufferSource(bytes));
  const result = await module.inspect(source, limits);
  return { result, source, codes: result.reasons.map((r) => r.code) };
}

function textDescriptor(createType: string, extent: string): Buffer {
  return Buffer.from(
    [
      '# Disk DescriptorFile',
      'version=1',
      'CID=fffffffe',
      'parentCID=ffffffff',
      `createType="${createType}"`,
      '',
      extent,
      '',
      'ddb.adapterType = "ide"',
      '',
    ].join('\n'),
  );
}

/** Replaces `from` with `to` (NUL-padded to the same length) inside the embedded descriptor. */
function patchDescriptor(file: Buffer, from: RegExp, to: string): Buffer {
  const copy = Buffer.from(file);
  const text = copy.subarray(512, 512 * 21).toString('latin1');
  const match = from.exec(text);
  if (!match) throw new Error(`pattern ${from} not in descriptor`);
  const replaced = text.replace(from, to);
  const bytes = Buffer.alloc(20 * 512);
  bytes.write(replaced.replace(/\0+$/, ''), 'latin1');
  bytes.copy(copy, 512);
  return copy;
}

describe.skipIf(!qemuAvailable())('hostile VMDK files', () => {
  let dir: string;
  let sparse: Buffer; // qemu monolithicSparse, 4 MiB virtual, data in the first grains
  let stream: Buffer; // our streamOptimized of the same disk (GD at end, footer, EOS)
  let qemuStream: Buffer;

  beforeAll(async () => {
    dir = makeWorkDir('ecsimg-vmdk-evil-');
    const raw = join(dir, 'src.raw');
    makeSparseRaw(raw, 4 * MiB, [
      { offset: 0, length: 256 * 1024 },
      { offset: 3 * MiB, length: 4096 },
    ]);
    qemuConvert(raw, join(dir, 's.vmdk'), {
      from: 'raw',
      to: 'vmdk',
      opts: 'subformat=monolithicSparse',
    });
    qemuConvert(raw, join(dir, 'q.vmdk'), {
      from: 'raw',
      to: 'vmdk',
      opts: 'subformat=streamOptimized',
    });
    sparse = readFileSync(join(dir, 's.vmdk'));
    qemuStream = readFileSync(join(dir, 'q.vmdk'));
    const input = await RawFileExtents.open(raw);
    await writeToFile(vmdkFormat, input, join(dir, 'o.vmdk'), 1);
    await input.close();
    stream = readFileSync(join(dir, 'o.vmdk'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('accepts the unpatched fixtures (so every refusal below is caused by its patch)', async () => {
    for (const f of [sparse, stream, qemuStream]) {
      expect((await inspectBytes(vmdkFormat, f)).codes).toEqual([]);
    }
  });

  const cases: [string, () => Buffer, string[]][] = [
    [
      'refuses a monolithicFlat descriptor file naming /etc/shadow',
      () => textDescriptor('monolithicFlat', 'RW 16 FLAT "/etc/shadow" 0'),
      ['VMDK_UNSAFE_CREATE_TYPE', 'VMDK_EXTERNAL_EXTENT'],
    ],
    [
      'refuses a vmfs descriptor file with a VMFS extent on /dev/zero',
      () => textDescriptor('vmfs', 'RW 16 VMFS "/dev/zero"'),
      ['VMDK_UNSAFE_CREATE_TYPE', 'VMDK_EXTERNAL_EXTENT'],
    ],
    [
      'refuses a descriptor file that claims monolithicSparse but names a neighbour file',
      () => textDescriptor('monolithicSparse', 'RW 16 SPARSE "neighbour.img"'),
      ['VMDK_EXTERNAL_EXTENT'],
    ],
    [
      'refuses a sparse VMDK whose embedded extent was rewritten to FLAT /etc/shadow',
      () => patchDescriptor(sparse, /RW (\d+) SPARSE "[^"]*"/, 'RW $1 FLAT "/etc/shadow" 0'),
      ['VMDK_EXTERNAL_EXTENT'],
    ],
    [
      'refuses a sparse VMDK with a second extent pointing elsewhere',
      () =>
        patchDescriptor(
          sparse,
          /(RW (\d+) SPARSE "[^"]*")/,
          'RW 8 SPARSE "x.vmdk"\nRW 8 SPARSE "../y"',
        ),
      ['VMDK_EXTERNAL_EXTENT'],
    ],
    [
      'refuses a sparse VMDK whose createType is vmfsSparse',
      () => patchDescriptor(sparse, /createType="monolithicSparse"/, 'createType="vmfsSparse"'),
      ['VMDK_UNSAFE_CREATE_TYPE'],
    ],
    [
      'refuses a sparse VMDK naming a parent disk',
      () =>
        patchDescriptor(
          sparse,
          /parentCID=ffffffff/,
          'parentCID=ffffffff\nparentFileNameHint="/etc/passwd"',
        ),
      ['VMDK_EXTERNAL_EXTENT'],
    ],
    [
      'refuses a grain directory past the end of the file',
      () => {
        const b = Buffer.from(sparse);
        b.writeBigUInt64LE(BigInt(b.length / 512 + 10), 56);
        return b;
      },
      ['VMDK_OUT_OF_BOUNDS'],
    ],
    [
      'refuses a grain directory inside the header',
      () => {
        const b = Buffer.from(sparse);
        b.writeBigUInt64LE(0n, 56);
        return b;
      },
      ['VMDK_OUT_OF_BOUNDS'],
    ],
    [
      'refuses a grain table past the end of the file',
      () => {
        const b = Buffer.from(sparse);
        b.writeUInt32LE(0x7fffffff, Number(b.readBigUInt64LE(56)) * 512);
        return b;
      },
      ['VMDK_OUT_OF_BOUNDS'],
    ],
    [
      'refuses a grain that points into the header',
      () => {
        const b = Buffer.from(sparse);
        const gt = b.readUInt32LE(Number(b.readBigUInt64LE(56)) * 512);
        b.writeUInt32LE(2, gt * 512);
        return b;
      },
      ['VMDK_OUT_OF_BOUNDS'],
    ],
    [
      'refuses a 2 MiB descriptor',
      () => {
        const b = Buffer.from(sparse);
        b.writeBigUInt64LE(4096n, 36);
        return b;
      },
      ['VMDK_DESCRIPTOR_TOO_LARGE'],
    ],
    [
      'refuses a descriptor moved away from sector 1',
      () => {
        const b = Buffer.from(sparse);
        b.writeBigUInt64LE(2n, 28);
        return b;
      },
      ['VMDK_BAD_DESCRIPTOR'],
    ],
    [
      'refuses compressed grains outside streamOptimized',
      () => {
        const b = Buffer.from(sparse);
        b.writeUInt32LE(b.readUInt32LE(8) | (1 << 16), 8);
        return b;
      },
      ['VMDK_BAD_HEADER'],
    ],
    [
      'refuses an unknown header version',
      () => {
        const b = Buffer.from(sparse);
        b.writeUInt32LE(4, 4);
        return b;
      },
      ['VMDK_BAD_HEADER'],
    ],
    [
      'refuses mangled newline-test bytes',
      () => {
        const b = Buffer.from(sparse);
        b[75] = 0x0a;
        return b;
      },
      ['VMDK_BAD_HEADER'],
    ],
    [
      'refuses a stream whose footer area is zeros',
      () => {
        const b = Buffer.from(stream);
        b.fill(0, b.length - 1536);
        return b;
      },
      ['VMDK_BAD_FOOTER'],
    ],
    [
      'refuses a stream whose footer defers the grain directory again',
      () => {
        const b = Buffer.from(stream);
        b.writeBigUInt64LE(0xffffffffffffffffn, b.length - 1024 + 56);
        return b;
      },
      ['VMDK_BAD_FOOTER'],
    ],
    [
      'refuses a stream whose footer disagrees with the header on capacity',
      () => {
        const b = Buffer.from(stream);
        b.writeBigUInt64LE(2n ** 40n, b.length - 1024 + 12);
        return b;
      },
      ['VMDK_BAD_FOOTER'],
    ],
    [
      'refuses a KDMV file cut inside its header',
      () => sparse.subarray(0, 300),
      ['VMDK_TRUNCATED'],
    ],
    [
      'refuses a KDMV file cut inside its descriptor',
      () => sparse.subarray(0, 700),
      ['VMDK_TRUNCATED'],
    ],
  ];

  for (const [name, build, codes] of cases) {
    it(name, async () => {
      const { result, source, codes: got } = await inspectBytes(vmdkFormat, build());
      expect(result.safe).toBe(false);
      expect(new Set(got)).toEqual(new Set(codes));
      expect(source.violations).toEqual([]);
    });
  }

  it('refuses a virtual size above the configured ceiling', async () => {
    const { codes } = await inspectBytes(vmdkFormat, sparse, {
      ...LIMITS,
      maxVirtualSizeBytes: MiB,
    });
    expect(codes).toEqual(['VMDK_TOO_LARGE']);
  });

  it('fails reading a grain whose marker claims 4 GiB, without reading outside the file', async () => {
    const b = Buffer.from(stream);
    const { result } = await inspectBytes(vmdkFormat, b);
    const first = (result.layout as { grains: Uint32Array }).grains[0];
    b.writeUInt32LE(0xffffffff, first * 512 + 8);
    const source = new GuardedSource(new BufferSource(b));
    const reader = await vmdkFormat.open(source, await vmdkFormat.inspect(source, LIMITS));
    await expect(readAllExtents(reader)).rejects.toThrow(/compressed bytes/);
    expect(source.violations).toEqual([]);
  });

  it('fails reading a grain that inflates past the grain size (decompression bomb)', async () => {
    const b = Buffer.from(stream);
    const { result } = await inspectBytes(vmdkFormat, b);
    const first = (result.layout as { grains: Uint32Array }).grains[0] * 512;
    const bomb = deflateSync(Buffer.alloc(16 * MiB));
    expect(bomb.length).toBeLessThan(64 * 1024);
    b.writeUInt32LE(bomb.length, first + 8);
    bomb.copy(b, first + 12);
    const source = new GuardedSource(new BufferSource(b));
    const reader = await vmdkFormat.open(source, await vmdkFormat.inspect(source, LIMITS));
    await expect(readAllExtents(reader)).rejects.toThrow(/does not inflate/);
    expect(source.violations).toEqual([]);
  });

  it('never throws, hangs or over-reads when headers, descriptors and tables are mutated', async () => {
    const limits = { maxVirtualSizeBytes: 2 ** 40, maxTableBytes: MiB };
    const fixtures = [sparse, stream, qemuStream];
    await fc.assert(
      fc.asyncProperty(
        fc.nat(fixtures.length - 1),
        fc.array(fc.tuple(fc.nat(64 * 1024 - 1), fc.nat(255)), { minLength: 1, maxLength: 12 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (which, writes, cut) => {
          const bytes = Buffer.from(fixtures[which]);
          for (const [at, value] of writes) if (at < bytes.length) bytes[at] = value;
          const file = cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
          const started = Date.now();
          const { result, source } = await inspectBytes(vmdkFormat, file, limits);
          expect(Date.now() - started).toBeLessThan(2000);
          expect(source.violations).toEqual([]);
          // Header, descriptor (≤ 1 MiB), footer, GD and GTs (≤ maxTableBytes): a few MiB at most.
          expect(source.bytesRequested).toBeLessThan(4 * MiB);
          if (result.safe && result.virtualSize <= 64 * MiB) {
            // A mutated file that passes may still fail to read, but only with an Error.
            const reader = await vmdkFormat.open(source, result);
            await readAllExtents(reader).catch((err) => expect(err).toBeInstanceOf(Error));
            expect(source.violations).toEqual([]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('hostile VDI files', () => {
  let good: Buffer;
  let dir: string;

  beforeAll(async () => {
    dir = makeWorkDir('ecsimg-vdi-evil-');
    const raw = join(dir, 'src.raw');
    makeSparseRaw(raw, 8 * MiB, [
      { offset: MiB, length: 2 * MiB },
      { offset: 7 * MiB, length: 512 },
    ]);
    const input = await RawFileExtents.open(raw);
    await writeToFile(vdiFormat, input, join(dir, 'ours.vdi'));
    await input.close();
    good = readFileSync(join(dir, 'ours.vdi'));
    writeFileSync(join(dir, 'keep'), '');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const patched = (edit: (b: Buffer) => void) => () => {
    const b = Buffer.from(good);
    edit(b);
    return b;
  };
  const cases: [string, () => Buffer, string][] = [
    ['refuses a differencing VDI', patched((b) => b.writeUInt32LE(4, 0x4c)), 'VDI_DIFFERENCING'],
    ['refuses an undo VDI', patched((b) => b.writeUInt32LE(3, 0x4c)), 'VDI_DIFFERENCING'],
    [
      'refuses a VDI naming a parent UUID',
      patched((b) => b.fill(0x11, 0x1b8, 0x1c8)),
      'VDI_DIFFERENCING',
    ],
    [
      'refuses a VDI whose sector size is not 512',
      patched((b) => b.writeUInt32LE(4096, 0x168)),
      'VDI_BAD_HEADER',
    ],
    [
      'refuses a VDI with an absurd block size',
      patched((b) => b.writeUInt32LE(3, 0x178)),
      'VDI_BAD_HEADER',
    ],
    [
      'refuses a VDI whose block count does not cover the disk',
      patched((b) => b.writeUInt32LE(1, 0x180)),
      'VDI_BAD_HEADER',
    ],
    [
      'refuses a block map past the end of the file',
      patched((b) => b.writeUInt32LE(0x7fff0000, 0x154)),
      'VDI_OUT_OF_BOUNDS',
    ],
    [
      'refuses a block map inside the header',
      patched((b) => b.writeUInt32LE(0x100, 0x154)),
      'VDI_OUT_OF_BOUNDS',
    ],
    [
      'refuses a block-map index at or past blocks_allocated',
      patched((b) => b.writeUInt32LE(3, 512 + 4)),
      'VDI_OUT_OF_BOUNDS',
    ],
    [
      'refuses two blocks mapped to the same data',
      patched((b) => b.writeUInt32LE(0, 512 + 8)),
      'VDI_OVERLAP',
    ],
    ['refuses a VDI cut to 100 bytes', () => good.subarray(0, 100), 'VDI_TRUNCATED'],
    [
      'refuses a VDI cut inside its data',
      () => good.subarray(0, good.length - 4096),
      'VDI_OUT_OF_BOUNDS',
    ],
  ];

  it('accepts the unpatched fixture', async () => {
    expect((await inspectBytes(vdiFormat, good)).codes).toEqual([]);
  });

  for (const [name, build, code] of cases) {
    it(name, async () => {
      const { result, source, codes } = await inspectBytes(vdiFormat, build());
      expect(result.safe).toBe(false);
      expect(codes).toEqual([code]);
      expect(source.violations).toEqual([]);
    });
  }

  it('never throws, hangs or over-reads when the header and block map are mutated', async () => {
    const limits = { maxVirtualSizeBytes: 2 ** 40, maxTableBytes: MiB };
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(1023), fc.nat(255)), { minLength: 1, maxLength: 12 }),
        fc.option(fc.nat(), { nil: undefined }),
        async (writes, cut) => {
          const bytes = Buffer.from(good);
          for (const [at, value] of writes) bytes[at] = value;
          const file = cut === undefined ? bytes : bytes.subarray(0, cut % (bytes.length + 1));
          const { result, source } = await inspectBytes(vdiFormat, file, limits);
          expect(source.violations).toEqual([]);
          expect(source.bytesRequested).toBeLessThanOrEqual(512 + MiB);
          if (result.safe && result.virtualSize <= 64 * MiB) {
            await readAllExtents(await vdiFormat.open(source, result));
            expect(source.violations).toEqual([]);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
