/**
 * The ImportImage and ExportImage job types. Imported once by start/job-types.ts, so `serve`'s
 * embedded worker and `ecsimg worker` both run them.
 */
import { registerJobType } from '../../jobs/index.js';
import type { ImportExportDeps } from './deps.js';
import {
  EXPORT_TASK_ACTION,
  exportRelatedItems,
  releaseExport,
  runExport,
  type ExportJobParams,
  type ExportJobResult,
} from './export-image.js';
import {
  IMPORT_TASK_ACTION,
  importRelatedItems,
  onImportCancelled,
  onImportFailed,
  runImport,
  type ImportJobParams,
  type ImportJobResult,
} from './import-image.js';

registerJobType<ImportJobParams, ImportJobResult, ImportExportDeps>({
  type: IMPORT_TASK_ACTION,
  run: runImport,
  relatedItems: importRelatedItems,
  onFailed: onImportFailed,
  onCancelled: onImportCancelled,
});

registerJobType<ExportJobParams, ExportJobResult, ImportExportDeps>({
  type: EXPORT_TASK_ACTION,
  run: runExport,
  relatedItems: exportRelatedItems,
  onFailed: releaseExport,
  onCancelled: releaseExport,
});
