/**
 * Public API of the disk-formats library: inspect untrusted images, read them as extents, write
 * images in another format. Imports nothing of ecsimg outside `formats/`.
 *
 * @example
 *   const src = await openFileSource('in.qcow2');
 *   const inspected = await inspect(src, { declaredFormat: 'qcow2' });
 *   const reader = await openReader(src, inspected); // throws UnsafeImageError when refused
 *   await writeImage('vhd', reader, 'out.vhd', {});
 *   await reader.close();
 */
import { createWriteStream } from 'node:fs';
import { FormatError, UnsafeImageError } from './errors.js';
import { DEFAULT_LIMITS, inspect, type InspectOptions } from './inspect.js';
import { formatModule } from './registry.js';
import { openFileSource } from './source.js';
import type {
  ByteSource,
  DiskFormat,
  DiskReader,
  ExtentSource,
  InspectResult,
  OutputFormat,
  WriteOptions,
} from './types.js';

export * from './types.js';
export { FormatError, UnsafeImageError } from './errors.js';
export { FORMAT_MODULES, formatModule } from './registry.js';
export { bufferSource, openFileSource } from './source.js';
export { DEFAULT_LIMITS, inspect, type InspectOptions };

export const OUTPUT_FORMATS: readonly OutputFormat[] = ['raw', 'qcow2', 'vhd', 'vmdk', 'vdi'];

/** Outputs `WriteOptions.compress` applies to (vmdk streamOptimized is compressed anyway). */
export const COMPRESSIBLE_FORMATS: readonly OutputFormat[] = ['qcow2', 'vmdk'];

/** Opens a reader on an inspected source; refuses (UnsafeImageError) what the inspector refused. */
export async function openReader(
  source: ByteSource,
  inspected: InspectResult,
): Promise<DiskReader> {
  if (!inspected.safe) throw new UnsafeImageError(inspected.reasons);
  const module = formatModule(inspected.format);
  if (!module) throw new FormatError('UNSUPPORTED_FORMAT', `no reader for ${inspected.format}`);
  return module.open(source, inspected);
}

/** Output formats whose writer is registered. */
export function writableFormats(): OutputFormat[] {
  return OUTPUT_FORMATS.filter((f) => formatModule(f)?.write);
}

/**
 * Writes `input` as an image of `format`. A path gets the module's seekable-file writer when it
 * has one (single pass, sparse output); a stream gets the forward-only writer.
 */
export async function writeImage(
  format: OutputFormat,
  input: ExtentSource,
  out: string | NodeJS.WritableStream,
  options: WriteOptions = {},
): Promise<{ bytesWritten: number }> {
  const module = formatModule(format as DiskFormat);
  if (!module?.write) throw new FormatError('UNSUPPORTED_FORMAT', `no writer for ${format}`);
  if (options.compress && !COMPRESSIBLE_FORMATS.includes(format)) {
    throw new FormatError('COMPRESSION_UNSUPPORTED', `${format} images cannot be compressed`);
  }

  if (typeof out === 'string' && module.writeFile) return module.writeFile(input, out, options);
  const stream = typeof out === 'string' ? createWriteStream(out) : out;
  const result = await module.write(input, stream, options);
  await endStream(stream);
  return result;
}

/** Ends a stream the writer left open and waits until its data is flushed. */
async function endStream(stream: NodeJS.WritableStream): Promise<void> {
  const s = stream as NodeJS.WritableStream & {
    writableFinished?: boolean;
    writableEnded?: boolean;
  };
  if (s.writableFinished) return;
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.once('finish', () => resolve());
    if (!s.writableEnded) s.end();
  });
}

export interface ConvertOptions extends WriteOptions {
  outputFormat: OutputFormat;
  /** The input format the caller asserts (`-f`); refused when the content disagrees. */
  declaredFormat?: DiskFormat;
  limits?: InspectOptions['limits'];
}

/**
 * Inspects `inPath`, refuses it when unsafe, and writes `outPath` in the output format.
 * Returns what the inspector found, for reporting.
 */
export async function convert(
  inPath: string,
  outPath: string | NodeJS.WritableStream,
  options: ConvertOptions,
): Promise<{ inspected: InspectResult; bytesWritten: number }> {
  const source = await openFileSource(inPath);
  let reader: DiskReader | undefined;
  try {
    const inspected = await inspect(source, {
      declaredFormat: options.declaredFormat,
      limits: options.limits ?? DEFAULT_LIMITS,
    });
    reader = await openReader(source, inspected);
    const { bytesWritten } = await writeImage(options.outputFormat, reader, outPath, options);
    return { inspected, bytesWritten };
  } finally {
    if (reader) await reader.close();
    else await source.close();
  }
}
