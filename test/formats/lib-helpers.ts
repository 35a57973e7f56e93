/** Helpers shared by the formats tests that drive our library (not qemu-img). */
import { expect } from 'vitest';
import {
  bufferSource,
  inspect,
  openFileSource,
  openReader,
  writeImage,
  type ByteSource,
  type InspectResult,
  type OutputFormat,
  type WriteOptions,
} from '../../src/formats/index.js';

/**
 * Wraps a source so every read is checked to lie inside it; the log lets tests assert that no
 * read ever left the file, and sums the bytes read (inspect must stay bounded).
 */
export function boundedSource(inner: ByteSource) {
  const log = { reads: 0, bytes: 0, outOfBounds: [] as string[] };
  const source: ByteSource = {
    size: inner.size,
    async read(offset, length) {
      log.reads++;
      if (offset < 0 || length < 0 || offset + length > inner.size) {
        log.outOfBounds.push(`${offset}+${length} (size ${inner.size})`);
      }
      const buf = await inner.read(offset, length);
      log.bytes += buf.length;
      return buf;
    },
    close: () => inner.close(),
  };
  // Bulk readers read into reused buffers when the source can: check those reads too.
  if (inner.readInto) {
    const readInto = inner.readInto.bind(inner);
    source.readInto = async (buf, offset, length) => {
      log.reads++;
      if (offset < 0 || length < 0 || offset + length > inner.size) {
        log.outOfBounds.push(`${offset}+${length} (size ${inner.size})`);
      }
      const n = await readInto(buf, offset, length);
      log.bytes += n;
      return n;
    };
  }
  // The holes of a sparse file read as zeros without reading them (raw sources).
  if (inner.dataRanges) source.dataRanges = inner.dataRanges.bind(inner);
  return { source, log };
}

/** Inspects bytes in memory through a bounds-checking source. */
export async function inspectBytes(buf: Buffer, declaredFormat?: InspectResult['format']) {
  const { source, log } = boundedSource(bufferSource(buf));
  const result = await inspect(source, { declaredFormat });
  return { result, log };
}

export function codes(result: InspectResult): string[] {
  return result.reasons.map((r) => r.code);
}

/** Converts `input` with our library; asserts the inspector accepted it and reads stayed inside. */
export async function libConvert(
  input: string,
  output: string | NodeJS.WritableStream,
  format: OutputFormat,
  options: WriteOptions = {},
): Promise<InspectResult> {
  const { source, log } = boundedSource(await openFileSource(input));
  const inspected = await inspect(source);
  expect(inspected.reasons).toEqual([]);
  const reader = await openReader(source, inspected);
  try {
    await writeImage(format, reader, output, options);
  } finally {
    await reader.close();
  }
  expect(log.outOfBounds).toEqual([]);
  return inspected;
}
