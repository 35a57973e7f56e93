/**
 * The job types this process can run. Each area registers its own types in its own files (import
 * and export jobs next to their domain code); a worker leases only the types registered here, so
 * a worker built without a type never takes its tasks.
 */
import type { JobType } from './types.js';

const TYPES = new Map<string, JobType>();

/**
 * Registers a job type; registering the same definition twice is harmless, a different one under
 * a taken name is a programming error.
 *
 * @example
 *   registerJobType({ type: 'ExportImage', run: async (ctx, params) => exportImage(ctx, params) });
 */
export function registerJobType<P, R, D = unknown>(definition: JobType<P, R, D>): void {
  const existing = TYPES.get(definition.type);
  if (existing && existing !== definition) {
    throw new Error(`job type ${definition.type} is already registered`);
  }
  if (!/^[A-Za-z][A-Za-z0-9.]{0,63}$/.test(definition.type)) {
    throw new Error(`job type name ${JSON.stringify(definition.type)} is not valid`);
  }
  TYPES.set(definition.type, definition as JobType);
}

export function getJobType(type: string): JobType | undefined {
  return TYPES.get(type);
}

export function registeredJobTypes(): string[] {
  return [...TYPES.keys()];
}
