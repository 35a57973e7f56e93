/**
 * Jobs: everything slow runs as a task row leased by a worker. Producers use `JobQueue`; areas
 * add their kinds of work with `registerJobType`; processes run a `Worker`.
 */
export { JobQueue } from './queue.js';
export type {
  CancelOutcome,
  EnqueueOptions,
  JobQueueOptions,
  TaskQuery,
  TaskRecord,
  TaskScope,
} from './queue.js';
export { getJobType, registerJobType, registeredJobTypes } from './registry.js';
export { Worker, describeFailure } from './worker.js';
export type { WorkerOptions } from './worker.js';
export {
  CLOUD_TASK_ACTIONS,
  JobFailure,
  JobInterrupt,
  TaskStatus,
  type InterruptKind,
  type JobContext,
  type JobError,
  type JobHookContext,
  type JobType,
  type RelatedItem,
  type TaskAction,
} from './types.js';
