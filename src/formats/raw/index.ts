import { FileSink, StreamSink } from '../common/sink.js';
import { ZERO_BUFFER } from '../common/zero.js';
import type {
  ByteSource,
  ExtentSource,
  FormatModule,
  InspectLimits,
  InspectResult,
  WriteOptions,
} from '../types.js';
import { RawReader, ZERO_GRANULE_BYTES } from './raw-reader.js';

/**
 * Raw: the bytes are the disk. Detected only when no other format claims the file (the
 * dispatcher never lets raw win over a known magic, see inspect.ts).
 */
export const rawModule: FormatModule = {
  format: 'raw',

  probe(): boolean {
    return true;
  },

  async inspect(source: ByteSource, limits: InspectLimits): Promise<InspectResult> {
    void limits;
    return {
      format: 'raw',
      virtualSize: source.size,
      actualSize: source.size,
      features: [],
      safe: true,
      reasons: [],
    };
  },

  async open(source: ByteSource, inspected: InspectResult) {
    return new RawReader(source, 'raw', inspected.virtualSize);
  },

  /** A plain stream gets every byte, zeros included. */
  async write(input: ExtentSource, out: NodeJS.WritableStream, options: WriteOptions) {
    const sink = new StreamSink(out);
    for await (const e of input.extents({ signal: options.signal })) {
      if (e.zero || !e.data) await sink.writeZeros(e.length, ZERO_BUFFER);
      else await sink.write(e.data);
      options.onProgress?.(e.offset + e.length, input.virtualSize);
    }
    return { bytesWritten: sink.bytesWritten };
  },

  /** A file gets holes where the disk reads as zero (zero 4 KiB granules inside data too). */
  async writeFile(input: ExtentSource, path: string, options: WriteOptions) {
    const sink = await FileSink.create(path, { direct: options.directIo });
    try {
      await sink.truncate(input.virtualSize);
      for await (const e of input.extents({ signal: options.signal })) {
        if (!e.zero && e.data) {
          await sink.writeSparse(e.data, e.offset, ZERO_GRANULE_BYTES, e.release);
        }
        options.onProgress?.(e.offset + e.length, input.virtualSize);
      }
      await sink.drain();
    } finally {
      await sink.close();
    }
    return { bytesWritten: sink.bytesWritten };
  },
};
