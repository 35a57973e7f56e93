/**
 * The compressed qcow2 writer (`qemu-img convert -c`) against qemu-img as the oracle: every image
 * passes `qemu-img check` (which recounts the refcounts of packed host clusters), compares
 * identical to its source, and reads back through our own reader.
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FormatError,
  openFileSource,
  openReader,
  inspect,
  writeImage,
} from '../../src/formats/index.js';
import { libConvert } from './lib-helpers.js';
import {
  makeSparseRaw,
  makeWorkDir,
  qemuAvailable,
  qemuCheck,
  qemuCompare,
  qemuConvert,
  qemuInfo,
  seededBytes,
} from './qemu.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

/** Seeded text-like bytes: words and numbers, which deflate shrinks to about a third. */
function textLike(length: number, seed: number): Buffer {
  const words = ['kernel', 'module', '/usr/lib/', 'config', 'systemd', 'alpha', 'beta', '0x7f'];
  const random = seededBytes(length, seed);
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < length; i++) {
    const word = `${words[random[i % length] % words.length]}${random[(i * 7) % length]} `;
    parts.push(word);
    size += word.length;
  }
  return Buffer.from(parts.join(''), 'latin1').subarray(0, length);
}

/** Writes `runs` of text into a sparse raw file that already has its other data. */
function addText(path: string, runs: { offset: number; length: number }[], seed: number) {
  const file = readFileSync(path);
  runs.forEach((r, i) => textLike(r.length, seed + i).copy(file, r.offset));
  writeFileSync(path, file);
}

const describeQemu = qemuAvailable() ? describe : describe.skip;

describeQemu('compressed qcow2 against qemu-img', () => {
  let dir: string;
  const src = (name: string) => join(dir, `${name}.raw`);

  beforeAll(() => {
    dir = makeWorkDir('ecsimg-qcow2c-');
    // Text, random (incompressible) data, a run of one byte value (hundreds of compressed
    // clusters per host cluster) and allocated zeros, not aligned to clusters.
    makeSparseRaw(src('mixed'), 24 * MiB + 3 * 512, [
      { offset: 5 * MiB + 777, length: 2 * MiB, fill: 0 },
      { offset: 9 * MiB + 100, length: 3 * MiB }, // random
      { offset: 14 * MiB, length: 4 * MiB, fill: 0x5a },
    ]);
    addText(
      src('mixed'),
      [
        { offset: 0, length: 4 * MiB + 1234 },
        { offset: 20 * MiB - 4321, length: 4 * MiB },
      ],
      11,
    );
    makeSparseRaw(src('random'), 8 * MiB, [{ offset: 0, length: 8 * MiB }], 5);
    makeSparseRaw(src('tiny'), 512, []);
    addText(src('tiny'), [{ offset: 0, length: 512 }], 3);
    makeSparseRaw(src('odd'), 3 * MiB + 3 * 512 + 123, []);
    addText(src('odd'), [{ offset: 3 * MiB - 1000, length: 3 * 512 + 1123 }], 4);
    // 500 GiB virtual, a few MiB of text: only the data is visited.
    makeSparseRaw(src('large'), 500 * GiB, [
      { offset: 0, length: MiB, fill: 0x33 },
      { offset: 200 * GiB + 12345, length: 3 * MiB, fill: 0x44 },
      { offset: 500 * GiB - MiB, length: MiB },
    ]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const name of ['mixed', 'random', 'tiny', 'odd', 'large']) {
    it(`writes the ${name} fixture compressed: checked, identical both ways`, async () => {
      const out = join(dir, `${name}.c.qcow2`);
      await libConvert(src(name), out, 'qcow2', { compress: true });

      const check = qemuCheck(out, 'qcow2');
      expect(check.ok, check.raw.stdout + check.raw.stderr).toBe(true);
      const size = statSync(src(name)).size;
      expect(qemuInfo(out, 'qcow2')['virtual-size']).toBe(Math.ceil(size / 512) * 512);
      expect(qemuCompare(src(name), 'raw', out, 'qcow2').identical).toBe(true);

      // Our reader decompresses what our writer packed.
      const back = join(dir, `${name}.c.back.raw`);
      const inspected = await libConvert(out, back, 'raw');
      expect(qemuCompare(src(name), 'raw', back, 'raw').identical).toBe(true);
      if (name !== 'random') expect(inspected.features).toContain('compressed-clusters');
    });
  }

  it('compresses like qemu-img -c and stores incompressible clusters as they are', async () => {
    const ours = join(dir, 'mixed.ratio.qcow2');
    const theirs = join(dir, 'mixed.qemu.qcow2');
    await libConvert(src('mixed'), ours, 'qcow2', { compress: true });
    qemuConvert(src('mixed'), theirs, { from: 'raw', to: 'qcow2', compress: true });
    expect(statSync(ours).size).toBeLessThan(statSync(theirs).size * 1.05);
    expect(statSync(ours).size).toBeLessThan(8 * MiB); // of ~17 MiB of data

    const random = join(dir, 'random.ratio.qcow2');
    await libConvert(src('random'), random, 'qcow2', { compress: true });
    expect(qemuCheck(random, 'qcow2').json!['compressed-clusters'] ?? 0).toBe(0);
    expect(statSync(random).size).toBeLessThan(8 * MiB + 512 * KiB);
  });

  it('packs hundreds of one-byte-value clusters into a host cluster (refcounts > 1)', async () => {
    const out = join(dir, 'mixed.packed.qcow2');
    await libConvert(src('mixed'), out, 'qcow2', { compress: true });
    const check = qemuCheck(out, 'qcow2');
    expect(check.ok).toBe(true);
    // 4 MiB of 0x5a is 64 clusters that deflate to ~100 bytes each: far fewer host clusters.
    expect(check.json!['compressed-clusters'] as number).toBeGreaterThan(64);
    expect(check.json!['image-end-offset'] as number).toBeLessThan(8 * MiB);
  });

  it('writes the same bytes whatever the number of threads', async () => {
    const one = join(dir, 'mixed.t1.qcow2');
    const two = join(dir, 'mixed.t3.qcow2');
    await libConvert(src('mixed'), one, 'qcow2', { compress: true, threads: 1 });
    await libConvert(src('mixed'), two, 'qcow2', { compress: true, threads: 3 });
    expect(readFileSync(one).equals(readFileSync(two))).toBe(true);
  });

  it('refuses compression into a stream and for formats without it, with codes', async () => {
    const source = await openFileSource(src('tiny'));
    try {
      const reader = await openReader(source, await inspect(source));
      // Any Writable is a stream output; this one leaves no file behind (a file stream opened
      // and destroyed here could still be creating its file while afterAll removes the folder).
      const stream = new PassThrough();
      await expect(writeImage('qcow2', reader, stream, { compress: true })).rejects.toMatchObject({
        code: 'COMPRESSION_NEEDS_FILE',
      });
      stream.destroy();
      const vhd = writeImage('vhd', reader, join(dir, 'refused.vhd'), { compress: true });
      await expect(vhd).rejects.toBeInstanceOf(FormatError);
      await expect(vhd).rejects.toMatchObject({ code: 'COMPRESSION_UNSUPPORTED' });
    } finally {
      await source.close();
    }
  });
});
