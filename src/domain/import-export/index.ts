/**
 * Importing disk files from OSS buckets as images, and exporting images back to buckets.
 * `import-image.ts` holds ImportImage's checks and `import-job.ts` its job; `export-image.ts` holds
 * ExportImage's checks and job; `jobs.ts` registers the job types (imported by
 * start/job-types.ts).
 */
export { blockTreeDigest, blockTreeDigestOf, CHECKSUM_PREFIX } from './checksum.js';
export type { ImportExportDeps } from './deps.js';
export {
  EXPORT_LOCK,
  EXPORT_TASK_ACTION,
  checkExport,
  startExport,
  type ExportRequest,
} from './export-image.js';
export {
  IMPORT_FORMATS,
  IMPORT_TASK_ACTION,
  MAX_IMPORT_DISKS,
  checkImport,
  startImport,
  throttleExtents,
  type ImportRequest,
} from './import-image.js';
export { exportObjectKey } from './naming.js';
