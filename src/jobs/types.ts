/**
 * The vocabulary of jobs: the cloud's task statuses and actions, what a job type declares, and
 * what a running job sees.
 *
 * Faithfulness: statuses and TaskAction names are the cloud's (API-REFERENCE C.4). We never set
 * `Paused` (nothing here pauses a task); a cancelled task ends `Deleted`, as on the cloud.
 */
import type { Logger } from '../log/index.js';

/** The cloud's TaskStatus values. */
export const TaskStatus = {
  Waiting: 'Waiting',
  Processing: 'Processing',
  Finished: 'Finished',
  Failed: 'Failed',
  /** Cancelled (CancelTask), in the cloud's words. */
  Deleted: 'Deleted',
  Paused: 'Paused',
} as const;
export type TaskStatus = (typeof TaskStatus)[keyof typeof TaskStatus];

/** The cloud's TaskAction values: the only job types DescribeTasks lists without TaskIds. */
export const CLOUD_TASK_ACTIONS = [
  'ImportImage',
  'ExportImage',
  'RedeployInstance',
  'ModifyDiskSpec',
  'ArchiveSnapshot',
] as const;
export type TaskAction = (typeof CLOUD_TASK_ACTIONS)[number];

/** `{Name, Value}` pairs DescribeTaskAttribute shows under RelatedItemSet (e.g. the OSS object). */
export interface RelatedItem {
  Name: string;
  Value: string;
}

/**
 * What a job's hooks see: which task, for whom, and the process's dependencies.
 *
 * @example
 *   onCancelled: async (ctx) => ctx.log.info(`[import] ${ctx.taskId} cancelled`)
 */
export interface JobHookContext<D = unknown> {
  taskId: string;
  type: string;
  accountId: string | null;
  regionId: string | null;
  resourceId: string | null;
  /** 1 on the first run; a job re-run after a crash or a retryable failure sees 2, 3 … */
  attempt: number;
  /** The worker running it (`host:pid:random`), for logs and side-effect records. */
  workerId: string;
  log: Logger;
  /** Whatever the process handed the worker (`start/` passes the Services). */
  deps: D;
}

/**
 * What a running job sees.
 *
 * @example
 *   async run(ctx, params) {
 *     for (let i = 0; i < params.parts; i++) {
 *       await copyPart(i, { signal: ctx.signal });
 *       await ctx.progress(((i + 1) / params.parts) * 100); // throws once cancelled
 *     }
 *     return { objectName: params.objectName };
 *   }
 */
export interface JobContext<D = unknown> extends JobHookContext<D> {
  /**
   * Trips when the job must stop: CancelTask (seen on a heartbeat or progress write), the lease
   * was lost, or the worker is shutting down. Its reason is a `JobInterrupt`.
   */
  signal: AbortSignal;
  /**
   * Writes the progress (0–100, rounded) to the task row, visible in DescribeTaskAttribute.
   * Rejects with the `JobInterrupt` once `signal` has tripped, so a job that reports progress
   * stops at its next report even if it never looks at `signal`.
   */
  progress(percent: number): Promise<void>;
}

/**
 * A kind of job. Register it once, at module load, from the area that owns it.
 *
 * `run` must be idempotent: after a crash it runs again from the start (attempt 2) and must leave
 * one correct result — write outputs under names derived from the task ID, create them
 * exclusively, and return what an earlier attempt already produced. A thrown `JobFailure` (or any
 * coded error with an HTTP status, like EcsError) fails the task at once; any other error is
 * retried with back-off until the task's attempts run out.
 *
 * @example
 *   registerJobType<ExportParams, ExportResult, Services>({
 *     type: 'ExportImage',
 *     async run(ctx, params) { … return { objectName }; },
 *     relatedItems: (result) => [{ Name: 'OSSObject', Value: result.objectName }],
 *     async onCancelled(ctx, params) { await removePartialObject(ctx.deps, params); },
 *     async onFailed(ctx, params, error) { await markImageFailed(ctx.deps, params, error); },
 *   });
 */
export interface JobType<P = any, R = any, D = any> {
  /** The task's action: a cloud TaskAction for API-visible tasks, `ecsimg.*` for internal ones. */
  type: string;
  run(ctx: JobContext<D>, params: P): Promise<R>;
  /** Items for DescribeTaskAttribute's RelatedItemSet, computed once when the job finishes. */
  relatedItems?(result: R, params: P): RelatedItem[];
  /** Runs (and may run again after a crash) before the task becomes Deleted. */
  onCancelled?(ctx: JobHookContext<D>, params: P): Promise<void>;
  /** Runs (and may run again after a crash) before the task becomes Failed. */
  onFailed?(ctx: JobHookContext<D>, params: P, error: JobError): Promise<void>;
}

/** The error a failed task shows (DescribeTaskAttribute's ErrorCode and ErrorMsg). */
export interface JobError {
  code: string;
  message: string;
}

/**
 * A job's coded failure. Permanent unless `retryable`.
 *
 * @example
 *   throw new JobFailure('InvalidImageFormat.Malformed', 'the file is not a qcow2 image');
 *   throw new JobFailure('ServiceUnavailable', 'bucket store unreachable', { retryable: true });
 */
export class JobFailure extends Error {
  readonly retryable: boolean;

  constructor(
    readonly code: string,
    message: string,
    options: { retryable?: boolean } = {},
  ) {
    super(message);
    this.name = 'JobFailure';
    this.retryable = options.retryable ?? false;
  }
}

/** Why a job's signal tripped. */
export type InterruptKind = 'cancelled' | 'lease-lost' | 'shutdown';

export class JobInterrupt extends Error {
  constructor(readonly kind: InterruptKind) {
    super(`job interrupted: ${kind}`);
    this.name = 'JobInterrupt';
  }
}
