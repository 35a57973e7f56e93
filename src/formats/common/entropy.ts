/**
 * A cheap guess at whether deflate can shrink a block: the order-0 entropy of two 4 KiB samples.
 * Compressing writers store such blocks as they are instead of spending deflate's time on them.
 */

const SAMPLE_BYTES = 4096;
/**
 * Bits per byte above which a sample counts as incompressible. Encrypted or already-compressed
 * data measures ~7.95; text, code and file-system metadata stay well below 7.5.
 */
const INCOMPRESSIBLE_ENTROPY_BITS = 7.8;
const histogram = new Uint32Array(256);

/** Order-0 entropy of a sample at the start and one in the middle of the block, both high. */
export function looksIncompressible(block: Buffer): boolean {
  if (block.length < 4 * SAMPLE_BYTES) return false;
  const mid = (block.length >> 1) & ~(SAMPLE_BYTES - 1);
  for (const start of [0, mid]) {
    histogram.fill(0);
    for (let i = start; i < start + SAMPLE_BYTES; i++) histogram[block[i]]++;
    let bits = 0;
    for (const count of histogram) {
      if (count > 0) bits -= (count / SAMPLE_BYTES) * Math.log2(count / SAMPLE_BYTES);
    }
    if (bits < INCOMPRESSIBLE_ENTROPY_BITS) return false;
  }
  return true;
}
