/**
 * Property-based tests: mutate valid qcow2 and vhd images (header, tables, footer) at random.
 * Whatever the bytes, the inspector must return (never throw), finish quickly, read only inside
 * the file and only a bounded number of bytes; an accepted mutant must read back without
 * leaving the file either (errors, if any, are FormatErrors).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FormatError, bufferSource, inspect, openReader } from '../../src/formats/index.js';
import { boundedSource } from './lib-helpers.js';
import { makeSparseRaw, makeWorkDir, qemuAvailable, qemuConvert } from './qemu.js';

const MiB = 1024 * 1024;
const LIMITS = { maxVirtualSizeBytes: 2 ** 40, maxTableBytes: 4 * MiB };
/** Per-case wall-clock bound: far above a normal inspect (~1 ms), far below a hang. */
const CASE_MS = 2000;

interface Mutation {
  at: number;
  value: number;
}

/** Mutations biased towards where the structures live. */
function mutations(hot: [number, number][], size: number) {
  const offset = fc.oneof(
    ...hot.map(([s, e]) => fc.integer({ min: s, max: Math.min(e, size) - 1 })),
    fc.integer({ min: 0, max: size - 1 }),
  );
  const value = fc.oneof(fc.constant(0), fc.constant(0xff), fc.integer({ min: 0, max: 255 }));
  return fc.array(fc.record({ at: offset, value }), { minLength: 1, maxLength: 12 });
}

async function checkMutant(base: Buffer, muts: Mutation[], truncateTo: number | undefined) {
  let buf = Buffer.from(base);
  for (const m of muts) buf[m.at] = m.value;
  if (truncateTo !== undefined) buf = buf.subarray(0, truncateTo);

  const { source, log } = boundedSource(bufferSource(buf));
  const started = Date.now();
  const result = await inspect(source, { limits: LIMITS });
  expect(Date.now() - started).toBeLessThan(CASE_MS);
  expect(log.outOfBounds).toEqual([]);
  // Reads allocate what they return: bounded by the table limit plus headers.
  expect(log.bytes).toBeLessThan(LIMITS.maxTableBytes + 2 * buf.length + MiB);

  if (result.safe) {
    const reader = await openReader(source, result);
    try {
      for await (const e of reader.extents()) void e;
    } catch (err) {
      expect(err).toBeInstanceOf(FormatError);
    }
    expect(log.outOfBounds).toEqual([]);
  }
}

const describeQemu = qemuAvailable() ? describe : describe.skip;

describeQemu('fuzzed headers and tables', () => {
  let dir: string;
  let qcow2: Buffer;
  let qcow2c: Buffer;
  let vhd: Buffer;
  beforeAll(() => {
    dir = makeWorkDir();
    const raw = join(dir, 'src.raw');
    makeSparseRaw(raw, 2 * MiB, [
      { offset: 0, length: 200_000 },
      { offset: MiB, length: 100_000, fill: 0x33 },
    ]);
    qemuConvert(raw, join(dir, 'a.qcow2'), { from: 'raw', to: 'qcow2', opts: 'cluster_size=4096' });
    qemuConvert(raw, join(dir, 'c.qcow2'), { from: 'raw', to: 'qcow2', compress: true });
    qemuConvert(raw, join(dir, 'a.vhd'), { from: 'raw', to: 'vpc' });
    qcow2 = readFileSync(join(dir, 'a.qcow2'));
    qcow2c = readFileSync(join(dir, 'c.qcow2'));
    vhd = readFileSync(join(dir, 'a.vhd'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('mutated qcow2 headers and L1/L2 tables: no throw, hang or read out of bounds', async () => {
    const l1 = Number(qcow2.readBigUInt64BE(40));
    await fc.assert(
      fc.asyncProperty(
        mutations(
          [
            [0, 128],
            [l1, l1 + 64],
            [l1 + 4096, l1 + 3 * 4096],
          ],
          qcow2.length,
        ),
        fc.option(fc.integer({ min: 0, max: qcow2.length }), { nil: undefined }),
        (m, cut) => checkMutant(qcow2, m, cut),
      ),
      { numRuns: 300 },
    );
  });

  it('reading mutated compressed qcow2 clusters fails only with format errors', async () => {
    const l1 = Number(qcow2c.readBigUInt64BE(40));
    const l2 = Number(qcow2c.readBigUInt64BE(l1) & 0x00fffffffffffe00n);
    await fc.assert(
      fc.asyncProperty(
        mutations(
          [
            [l2, l2 + 256],
            [l2 + 65536, qcow2c.length],
          ],
          qcow2c.length,
        ),
        (m) => checkMutant(qcow2c, m, undefined),
      ),
      { numRuns: 150 },
    );
  });

  it('mutated vhd footers, headers and BATs: no throw, hang or read out of bounds', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutations(
          [
            [0, 512],
            [512, 1536],
            [1536, 1600],
            [vhd.length - 512, vhd.length],
          ],
          vhd.length,
        ),
        fc.option(fc.integer({ min: 0, max: vhd.length }), { nil: undefined }),
        (m, cut) => checkMutant(vhd, m, cut),
      ),
      { numRuns: 300 },
    );
  });

  it('inspecting random bytes with a qcow2 or vhd magic never throws', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 0, maxLength: 4096 }),
        fc.boolean(),
        async (bytes, q) => {
          const buf = Buffer.from(bytes);
          if (q && buf.length >= 4) buf.writeUInt32BE(0x514649fb, 0);
          if (!q && buf.length >= 8)
            buf.write('conectix', buf.length - 512 >= 0 ? buf.length - 512 : 0, 'latin1');
          await checkMutant(buf, [], undefined);
        },
      ),
      { numRuns: 300 },
    );
  });
});
