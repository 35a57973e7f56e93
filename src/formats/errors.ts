import type { RefusalReason } from './types.js';

/**
 * A problem with the image itself (not with the disk or the network): bad structure found while
 * reading, or an attempt to read a file the inspector refused. `code` is stable and
 * machine-readable.
 */
export class FormatError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'FormatError';
  }
}

/** Thrown when a reader is asked for on a file the inspector refused. */
export class UnsafeImageError extends FormatError {
  constructor(readonly reasons: RefusalReason[]) {
    super(
      'UNSAFE_IMAGE',
      `image refused: ${reasons.map((r) => `${r.code} (${r.message})`).join('; ')}`,
    );
    this.name = 'UnsafeImageError';
  }
}

/** Shorthand for building refusal reasons. */
export function reason(code: string, message: string): RefusalReason {
  return { code, message };
}
