/**
 * Hostile VHDX files (qemu-made, then patched with checksums recomputed where the attack needs
 * them to pass): each is refused with its code and nothing reads outside the file. Then
 * fast-check mutates the header area, metadata and BAT.
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InspectLimits } from '../../src/formats/types.js';
import { crc32cWithZeroField } from '../../src/formats/vhdx/crc32c.js';
import { vhdxFormat } from '../../src/formats/vhdx/index.js';
import { makeSparseRaw, makeWorkDir, qemuAvailable, qemuConvert } from './qemu.js';
import { BufferSource, GuardedSource, LIMITS, readAllExtents } from './vmdk-helpers.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const HEADERS = [64 * KiB, 128 * KiB];
const REGION_TABLES = [192 * KiB, 256 * KiB];

async function inspectBytes(bytes: Buffer, limits: InspectLimits = LIMITS) {
  const source = new GuardedSource(new BufferSource(bytes));
  const result = await vhdxFormat.inspect(source, limits);
  return { result, source, codes: result.reasons.map((r) => r.code) };
}

function fixChecksums(b: Buffer): void {
  for (const h of HEADERS)
    b.writeUInt32LE(crc32cWithZeroField(b.subarray(h, h + 4 * KiB), 4), h + 4);
  for (const t of REGION_TABLES)
    b.writeUInt32LE(crc32cWithZeroField(b.subarray(t, t + 64 * KiB), 4), t + 4);
}

/** Region entry index of the BAT / metadata (by the GUID's first byte: 0x66 BAT, 0x06 metadata). */
function regionEntry(b: Buffer, firstByte: number): number {
  for (let i = 0; i < b.readUInt32LE(REGION_TABLES[0] + 8); i++) {
    if (b[REGION_TABLES[0] + 16 + i * 32] === firstByte) return 16 + i * 32;
  }
  throw new Error('region not found');
}

describe.skipIf(!qemuAvailable())('hostile VHDX files', () => {
  let dir: string;
  let good: Buffer;
  let batOffset: number;
  let metadataOffset: number;

  beforeAll(() => {
    dir = makeWorkDir('ecsimg-vhdx-evil-');
    const raw = join(dir, 'src.raw');
    makeSparseRaw(raw, 64 * MiB, [
      { offset: 0, length: MiB },
      { offset: 40 * MiB, length: 4096 },
    ]);
    qemuConvert(raw, join(dir, 'g.vhdx'), { from: 'raw', to: 'vhdx' });
    good = readFileSync(join(dir, 'g.vhdx'));
    batOffset = Number(good.readBigUInt64LE(REGION_TABLES[0] + regionEntry(good, 0x66) + 16));
    metadataOffset = Number(good.readBigUInt64LE(REGION_TABLES[0] + regionEntry(good, 0x06) + 16));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const patched =
    (edit: (b: Buffer) => void, fix = true) =>
    () => {
      const b = Buffer.from(good);
      edit(b);
      if (fix) fixChecksums(b);
      return b;
    };

  it('accepts the unpatched fixture, and one with a single corrupt header', async () => {
    expect((await inspectBytes(good)).codes).toEqual([]);
    const oneBad = Buffer.from(good);
    oneBad[HEADERS[0] + 100] ^= 0xff;
    expect((await inspectBytes(oneBad)).codes).toEqual([]);
  });

  const cases: [string, () => Buffer, string][] = [
    [
      'refuses when both headers fail their CRC-32C',
      patched((b) => {
        for (const h of HEADERS) b[h + 100] ^= 0xff;
      }, false),
      'VHDX_BAD_CHECKSUM',
    ],
    [
      'refuses when both region tables fail their CRC-32C',
      patched((b) => {
        for (const t of REGION_TABLES) b[t + 8 * KiB] ^= 0xff;
      }, false),
      'VHDX_BAD_CHECKSUM',
    ],
    [
      'refuses a log that needs replay (LogGuid set)',
      patched((b) => {
        for (const h of HEADERS) b.fill(0x5a, h + 48, h + 64);
      }),
      'VHDX_LOG_REPLAY_REQUIRED',
    ],
    [
      'refuses a BAT region past the end of the file',
      patched((b) => {
        for (const t of REGION_TABLES)
          b.writeBigUInt64LE(BigInt(b.length + MiB), t + regionEntry(b, 0x66) + 16);
      }),
      'VHDX_OUT_OF_BOUNDS',
    ],
    [
      'refuses a metadata region inside the header area',
      patched((b) => {
        for (const t of REGION_TABLES) b.writeBigUInt64LE(0n, t + regionEntry(b, 0x06) + 16);
      }),
      'VHDX_OUT_OF_BOUNDS',
    ],
    [
      'refuses a payload block past the end of the file',
      patched((b) => {
        b.writeBigUInt64LE((BigInt(b.length / MiB + 64) << 20n) | 6n, batOffset);
      }),
      'VHDX_OUT_OF_BOUNDS',
    ],
    [
      'refuses a payload block overlapping the BAT',
      patched((b) => {
        b.writeBigUInt64LE((BigInt(batOffset / MiB) << 20n) | 6n, batOffset);
      }),
      'VHDX_OUT_OF_BOUNDS',
    ],
    [
      'refuses a partially present block (differencing)',
      patched((b) => {
        b.writeBigUInt64LE(b.readBigUInt64LE(batOffset) | 7n, batOffset);
      }),
      'VHDX_DIFFERENCING',
    ],
    [
      'refuses file parameters with HasParent',
      patched((b) => {
        // Find the file-parameters item (GUID starts 37 67 a1 ca) in the metadata table.
        for (let at = metadataOffset + 32; at < metadataOffset + 64 * KiB; at += 32) {
          if (b.readUInt32LE(at) === 0xcaa16737) {
            const item = metadataOffset + b.readUInt32LE(at + 16);
            b.writeUInt32LE(b.readUInt32LE(item + 4) | 2, item + 4);
            return;
          }
        }
        throw new Error('no file parameters');
      }),
      'VHDX_DIFFERENCING',
    ],
    [
      'refuses a parent locator metadata item',
      patched((b) => {
        for (let at = metadataOffset + 32; at < metadataOffset + 64 * KiB; at += 32) {
          if (b.readUInt32LE(at) === 0xbeca12ab) {
            Buffer.from('2d5fd3a80bb34d45abf7d3d84834ab0c', 'hex').copy(b, at);
            return;
          }
        }
        throw new Error('no disk id');
      }),
      'VHDX_DIFFERENCING',
    ],
    ['refuses a VHDX cut to 200 KiB', () => good.subarray(0, 200 * KiB), 'VHDX_TRUNCATED'],
    [
      'refuses a VHDX cut inside its data',
      () => good.subarray(0, good.length - 4 * MiB),
      'VHDX_OUT_OF_BOUNDS',
    ],
  ];

  for (const [name, build, code] of cases) {
    it(name, async () => {
      const { result, source, codes } = await inspectBytes(build());
      expect(result.safe).toBe(false);
      expect(codes).toEqual([code]);
      expect(source.violations).toEqual([]);
    });
  }

  it('never throws, hangs or over-reads when headers, metadata and BAT are mutated', async () => {
    const limits = { maxVirtualSizeBytes: 2 ** 40, maxTableBytes: MiB };
    const hot = [0, HEADERS[0], HEADERS[1], REGION_TABLES[0], batOffset, metadataOffset];
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(hot.length - 1), fc.nat(4095), fc.nat(255)), {
          minLength: 1,
          maxLength: 10,
        }),
        fc.boolean(),
        async (writes, fix) => {
          const b = Buffer.from(good);
          for (const [area, at, value] of writes) b[hot[area] + at] = value;
          if (fix) fixChecksums(b);
          const started = Date.now();
          const { result, source } = await inspectBytes(b, limits);
          expect(Date.now() - started).toBeLessThan(2000);
          expect(source.violations).toEqual([]);
          expect(source.bytesRequested).toBeLessThan(2 * MiB);
          if (result.safe && result.virtualSize <= 256 * MiB) {
            await readAllExtents(await vhdxFormat.open(source, result));
            expect(source.violations).toEqual([]);
          }
        },
      ),
      { numRuns: 100 },
    );
  });
});
