/**
 * Zero detection without per-byte JavaScript loops: every test is a memcmp (Buffer#compare)
 * against a preallocated zero buffer.
 */

const ZERO_BYTES = 4 * 1024 * 1024;
/** Shared all-zero buffer. Never write into it. */
export const ZERO_BUFFER: Buffer = Buffer.alloc(ZERO_BYTES);

const COARSE_BYTES = 64 * 1024;

/** True when buf[start, end) is all zero bytes. */
export function isZeroRange(buf: Buffer, start = 0, end = buf.length): boolean {
  if (end > start && (buf[start] !== 0 || buf[end - 1] !== 0)) return false;
  for (let pos = start; pos < end; pos += ZERO_BYTES) {
    const stop = Math.min(end, pos + ZERO_BYTES);
    if (ZERO_BUFFER.compare(buf, pos, stop, 0, stop - pos) !== 0) return false;
  }
  return true;
}

/**
 * True when buf[start, end) is all zeros. Data granules almost always have a non-zero first or
 * last byte, and reading two bytes in JavaScript is ~100× cheaper than a call into
 * Buffer#compare (argument checks, a C++ transition): a 1 GiB copy makes ~260 000 granule tests,
 * which cost ~0.06 s of main-thread CPU as compare calls.
 */
function isZeroGranule(buf: Buffer, start: number, end: number): boolean {
  if (buf[start] !== 0 || buf[end - 1] !== 0) return false;
  return ZERO_BUFFER.compare(buf, start, end, 0, end - start) === 0;
}

/** A zeros buffer of `length` bytes: a view of the shared one when small enough. */
export function zeros(length: number): Buffer {
  return length <= ZERO_BYTES ? ZERO_BUFFER.subarray(0, length) : Buffer.alloc(length);
}

/**
 * Splits buf[0, length) into maximal runs of zero / non-zero granules of `granularity` bytes
 * (the last granule may be short). Checks 64 KiB blocks first so zero areas cost one memcmp each.
 */
export function zeroRuns(
  buf: Buffer,
  granularity: number,
  emit: (start: number, end: number, zero: boolean) => void,
  length = buf.length,
): void {
  let runStart = 0;
  let runZero: boolean | undefined;
  // Granules arrive in order; a run is emitted when the next granule changes kind.
  const push = (start: number, zero: boolean) => {
    if (runZero === zero) return;
    if (runZero !== undefined) emit(runStart, start, runZero);
    runStart = start;
    runZero = zero;
  };

  if (isZeroRange(buf, 0, length)) {
    if (length > 0) emit(0, length, true);
    return;
  }
  const coarse = Math.max(granularity, COARSE_BYTES);
  for (let pos = 0; pos < length; pos += coarse) {
    const stop = Math.min(length, pos + coarse);
    if (isZeroRange(buf, pos, stop)) {
      push(pos, true);
    } else if (granularity >= coarse) {
      push(pos, false);
    } else {
      for (let g = pos; g < stop; g += granularity) {
        const gEnd = Math.min(stop, g + granularity);
        push(g, isZeroGranule(buf, g, gEnd));
      }
    }
  }
  if (runZero !== undefined) emit(runStart, length, runZero);
}
