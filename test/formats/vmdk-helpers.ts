/**
 * Test plumbing for the VMDK, VDI and VHDX suites: byte sources over files and buffers, a source
 * wrapper that records any read outside the file, and an `ExtentSource` over a raw file so the
 * writers can be driven without another format's reader.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { createWriteStream, statSync } from 'node:fs';
import { once } from 'node:events';
import { expect } from 'vitest';
import type {
  ByteSource,
  Extent,
  ExtentSource,
  FormatModule,
  MapRun,
} from '../../src/formats/types.js';
import { qemuCheck, qemuCompare, qemuConvert, qemuInfo, type QemuFormat } from './qemu.js';

export const LIMITS = { maxVirtualSizeBytes: 16 * 2 ** 40, maxTableBytes: 256 * 2 ** 20 };

export class FileSource implements ByteSource {
  private constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  static async open(path: string): Promise<FileSource> {
    const handle = await open(path, 'r');
    return new FileSource(handle, (await handle.stat()).size);
  }

  async read(offset: number, length: number): Promise<Buffer> {
    const want = Math.max(0, Math.min(length, this.size - offset));
    const buf = Buffer.alloc(want);
    let done = 0;
    while (done < want) {
      const { bytesRead } = await this.handle.read(buf, done, want - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return done === want ? buf : buf.subarray(0, done);
  }

  async close(): Promise<void> {
    await this.handle.close();
  }
}

export class BufferSource implements ByteSource {
  constructor(private readonly buf: Buffer) {}
  get size(): number {
    return this.buf.length;
  }
  async read(offset: number, length: number): Promise<Buffer> {
    return Buffer.from(this.buf.subarray(offset, offset + length));
  }
  async close(): Promise<void> {}
}

/**
 * Wraps a source and records every read that is not entirely inside the file, plus the total
 * bytes asked for, so tests can assert "no read outside the file" and "bounded reads".
 */
export class GuardedSource implements ByteSource {
  readonly violations: string[] = [];
  bytesRequested = 0;
  reads = 0;

  constructor(private readonly inner: ByteSource) {}

  get size(): number {
    return this.inner.size;
  }

  async read(offset: number, length: number): Promise<Buffer> {
    this.reads++;
    this.bytesRequested += length;
    const inside =
      Number.isSafeInteger(offset) &&
      Number.isSafeInteger(length) &&
      offset >= 0 &&
      length >= 0 &&
      offset + length <= this.inner.size;
    if (!inside) this.violations.push(`read(${offset}, ${length}) of a ${this.size}-byte file`);
    if (!(offset >= 0 && length >= 0)) return Buffer.alloc(0);
    return this.inner.read(offset, Math.min(length, 64 * 2 ** 20));
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/** An ExtentSource over a raw file: zero detection per 64 KiB, chunks aligned to maxChunkBytes. */
export class RawFileExtents implements ExtentSource {
  private constructor(
    private readonly source: FileSource,
    readonly virtualSize: number,
  ) {}

  static async open(path: string): Promise<RawFileExtents> {
    return new RawFileExtents(await FileSource.open(path), statSync(path).size);
  }

  async *map(): AsyncIterable<MapRun> {
    for await (const e of this.extents())
      yield { offset: e.offset, length: e.length, zero: e.zero };
  }

  async *extents(options?: { maxChunkBytes?: number }): AsyncIterable<Extent> {
    const chunk = options?.maxChunkBytes ?? 4 * 2 ** 20;
    const granule = 64 * 1024;
    const zero = Buffer.alloc(granule);
    for (let offset = 0; offset < this.virtualSize; offset += chunk) {
      const data = await this.source.read(offset, Math.min(chunk, this.virtualSize - offset));
      let runStart = 0;
      let runZero: boolean | undefined;
      for (let pos = 0; pos < data.length; pos += granule) {
        const piece = data.subarray(pos, pos + granule);
        const isZero = piece.equals(zero.subarray(0, piece.length));
        if (runZero !== undefined && isZero !== runZero) {
          yield this.extent(offset, data, runStart, pos, runZero);
          runStart = pos;
        }
        runZero = isZero;
      }
      if (runZero !== undefined) yield this.extent(offset, data, runStart, data.length, runZero);
    }
  }

  private extent(base: number, data: Buffer, start: number, end: number, zero: boolean): Extent {
    const extent: Extent = { offset: base + start, length: end - start, zero };
    if (!zero) extent.data = data.subarray(start, end);
    return extent;
  }

  close(): Promise<void> {
    return this.source.close();
  }
}

/** Runs a module's writer into a file and returns what it reported. */
export async function writeToFile(
  module: FormatModule,
  input: ExtentSource,
  path: string,
  threads?: number,
): Promise<{ bytesWritten: number }> {
  const out = createWriteStream(path);
  const result = await module.write!(input, out, { threads });
  out.end();
  await once(out, 'finish');
  return result;
}

/** Reads every byte of a reader's extents into a file-sized buffer (small images only). */
export async function readAllExtents(source: ExtentSource): Promise<Buffer> {
  const out = Buffer.alloc(source.virtualSize);
  let expected = 0;
  for await (const e of source.extents()) {
    if (e.offset !== expected)
      throw new Error(`gap or overlap at ${e.offset} (expected ${expected})`);
    if (!e.zero) {
      if (!e.data || e.data.length !== e.length) throw new Error(`bad data extent at ${e.offset}`);
      e.data.copy(out, e.offset);
    }
    expected += e.length;
  }
  if (expected !== source.virtualSize) throw new Error(`extents end at ${expected}`);
  return out;
}

/**
 * Checks a reader against a raw file holding the same disk (qemu's conversion): data extents
 * byte for byte; zero extents against the raw file too when small, else against the known
 * data runs (reading hundreds of GiB of holes would take minutes).
 */
export async function expectSameAsRaw(
  reader: ExtentSource,
  rawPath: string,
  dataRuns?: { offset: number; length: number }[],
): Promise<void> {
  const raw = await FileSource.open(rawPath);
  try {
    if (raw.size !== reader.virtualSize) {
      throw new Error(`raw is ${raw.size} bytes, reader says ${reader.virtualSize}`);
    }
    let expected = 0;
    for await (const e of reader.extents()) {
      if (e.offset !== expected) throw new Error(`extent at ${e.offset}, expected ${expected}`);
      expected += e.length;
      if (!e.zero) {
        const want = await raw.read(e.offset, e.length);
        if (!e.data || !want.equals(e.data))
          throw new Error(`data differs in [${e.offset}, +${e.length})`);
        continue;
      }
      if (dataRuns) {
        const hit = dataRuns.find(
          (r) => r.offset < e.offset + e.length && e.offset < r.offset + r.length,
        );
        if (hit)
          throw new Error(`zero extent [${e.offset}, +${e.length}) covers data at ${hit.offset}`);
        continue;
      }
      const want = await raw.read(e.offset, e.length);
      if (!want.equals(Buffer.alloc(e.length)))
        throw new Error(`zero extent at ${e.offset} is not zero`);
    }
    if (expected !== reader.virtualSize) throw new Error(`extents end at ${expected}`);
  } finally {
    await raw.close();
  }
}

const MiB = 2 ** 20;
const GiB = 2 ** 30;

/** A disk shape exercised by every VDI/VMDK/VHDX round trip. */
export interface DiskCase {
  name: string;
  size: number;
  runs: { offset: number; length: number; fill?: number }[];
  /** Too large to expand or scan: compare through the known data runs only. */
  huge?: boolean;
}

export const DISK_CASES: DiskCase[] = [
  {
    name: 'sparse',
    size: 64 * MiB,
    runs: [
      { offset: 0, length: MiB },
      { offset: 5 * MiB + 4096, length: 300 * 1024 },
      { offset: 40 * MiB, length: 2 * MiB, fill: 0 },
      { offset: 63 * MiB, length: MiB },
    ],
  },
  { name: 'full', size: 8 * MiB, runs: [{ offset: 0, length: 8 * MiB }] },
  { name: 'tiny (1 sector)', size: 512, runs: [{ offset: 0, length: 512 }] },
  {
    name: 'odd-sized',
    size: 5 * MiB + 3 * 512,
    runs: [
      { offset: 0, length: 70_000 },
      { offset: 5 * MiB - 1024, length: 2560 },
    ],
  },
  {
    name: 'large virtual, small data',
    size: 500 * GiB,
    huge: true,
    runs: [
      { offset: 0, length: 3 * MiB },
      { offset: 250 * GiB + 12345 * 512, length: MiB },
      { offset: 500 * GiB - MiB, length: MiB },
    ],
  },
];

/**
 * The input a writer test converts from `src` (a raw file holding the disk `c`). The huge case
 * reads through our reader of a qemu-made copy at `qemuCopy` (metadata-driven) instead, since
 * scanning 500 GiB of raw holes would take minutes.
 */
export async function writerInput(
  module: FormatModule,
  c: DiskCase,
  src: string,
  qemuCopy: { path: string; to: QemuFormat; opts?: string },
): Promise<ExtentSource & { close(): Promise<void> }> {
  if (!c.huge) return RawFileExtents.open(src);
  qemuConvert(src, qemuCopy.path, { from: 'raw', to: qemuCopy.to, opts: qemuCopy.opts });
  const source = await FileSource.open(qemuCopy.path);
  return module.open(source, await module.inspect(source, LIMITS));
}

/**
 * Asserts that qemu-img checks our output `out` clean, reports `virtualSize`, and compares it
 * identical to the raw `src`; returns qemu's `info` for format-specific checks.
 */
export function expectQemuAccepts(
  src: string,
  out: string,
  format: QemuFormat,
  virtualSize: number,
): ReturnType<typeof qemuInfo> {
  const check = qemuCheck(out, format);
  expect(check.raw.stderr).toBe('');
  expect(check.ok).toBe(true);
  const info = qemuInfo(out, format);
  expect(info.format).toBe(format);
  expect(info['virtual-size']).toBe(virtualSize);
  const cmp = qemuCompare(src, 'raw', out, format);
  expect(cmp.raw.stdout).toContain('Images are identical');
  expect(cmp.identical).toBe(true);
  return info;
}
