import { PARTITION_PROBE_BYTES, detectPartitionTable } from './common/partition.js';
import { readClamped } from './source.js';
import { FormatError, reason } from './errors.js';
import { FORMAT_MODULES, formatModule } from './registry.js';
import type { ByteSource, DiskFormat, InspectLimits, InspectResult } from './types.js';

export const DEFAULT_LIMITS: InspectLimits = {
  maxVirtualSizeBytes: 16 * 2 ** 40,
  maxTableBytes: 256 * 2 ** 20,
};

/** Head and tail windows every probe gets. */
const PROBE_BYTES = 64 * 1024;

export interface InspectOptions {
  /** The format the uploader claims; a disagreement is refused (`FORMAT_MISMATCH`). */
  declaredFormat?: DiskFormat;
  limits?: Partial<InspectLimits>;
}

/**
 * Decides what a file is, without trusting its claims: every registered format probes the same
 * head/tail bytes; exactly one non-raw format may claim the file (two claims are format
 * confusion, e.g. a qcow2 header planted in an ISO's system area), and the claimant then
 * inspects its headers and tables with bounded reads. Never falls back to raw when a known magic
 * is present but its structure is broken: the claimant's own reasons refuse it. The source stays
 * open: the caller closes it (or hands it to `openReader`, which then owns it).
 *
 * @example
 *   const src = await openFileSource('disk.img');
 *   const result = await inspect(src, { declaredFormat: 'qcow2' }).finally(() => src.close());
 *   if (!result.safe) console.error(result.reasons.map((r) => r.code));
 */
export async function inspect(
  source: ByteSource,
  options: InspectOptions = {},
): Promise<InspectResult> {
  const limits: InspectLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const head = await readClamped(source, 0, PROBE_BYTES);
  const tailStart = Math.max(0, source.size - PROBE_BYTES);
  const tail = tailStart === 0 ? head : await source.read(tailStart, source.size - tailStart);

  const claims = FORMAT_MODULES.filter(
    (m) => m.format !== 'raw' && safeProbe(() => m.probe(head, source.size, tail)),
  );
  if (claims.length > 1) {
    const names = claims.map((m) => m.format).join(', ');
    return {
      format: claims[0].format,
      virtualSize: 0,
      actualSize: source.size,
      features: [],
      safe: false,
      reasons: [reason('FORMAT_CONFUSION', `the file parses as several formats: ${names}`)],
    };
  }

  const module = claims[0] ?? formatModule('raw');
  if (!module) throw new Error('the raw format module is not registered');
  let result: InspectResult;
  try {
    result = await module.inspect(source, limits);
  } catch (err) {
    // Modules report bad input as reasons; a FormatError escaping is still a refusal, while
    // anything else (EIO, EBADF) is an I/O failure for the caller.
    if (!(err instanceof FormatError)) throw err;
    result = {
      format: module.format,
      virtualSize: 0,
      actualSize: source.size,
      features: [],
      safe: false,
      reasons: [reason(err.code, err.message)],
    };
  }

  const add = (code: string, message: string) => {
    if (!result.reasons.some((r) => r.code === code)) result.reasons.push(reason(code, message));
  };
  if (result.virtualSize > limits.maxVirtualSizeBytes) {
    add(
      'VIRTUAL_SIZE_TOO_LARGE',
      `${result.virtualSize} bytes > limit ${limits.maxVirtualSizeBytes}`,
    );
  }
  const declared = options.declaredFormat;
  // An ISO is plain bytes: declaring it raw is honest. Everything else must match exactly.
  if (declared && declared !== result.format && !(declared === 'raw' && result.format === 'iso')) {
    add('FORMAT_MISMATCH', `declared ${declared}, but the content is ${result.format}`);
  }
  result.safe = result.reasons.length === 0;

  if (result.safe && result.format !== 'iso') {
    try {
      result.partitionTable = await partitionTableOf(source, result, module.format);
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      add(err.code, err.message);
      result.safe = false;
    }
  }
  return result;
}

function safeProbe(probe: () => boolean): boolean {
  try {
    return probe();
  } catch {
    return false;
  }
}

async function partitionTableOf(
  source: ByteSource,
  result: InspectResult,
  format: DiskFormat,
): Promise<'mbr' | 'gpt' | undefined> {
  const module = formatModule(format);
  if (!module) return undefined;
  // Readers own their source and close it; read through a view that leaves the real one open.
  const view: ByteSource = {
    size: source.size,
    read: (o, l) => source.read(o, l),
    close: async () => {},
  };
  const reader = await module.open(view, result);
  try {
    const first = await reader.read(0, Math.min(PARTITION_PROBE_BYTES, result.virtualSize));
    return detectPartitionTable(first);
  } finally {
    await reader.close();
  }
}
