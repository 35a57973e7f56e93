/**
 * The producer side of the job queue: enqueue a job as a task row, read tasks back, ask for
 * cancellation. It does not run anything; workers (`worker.ts`) do, in this process or another.
 */
import type { Store } from '../store/index.js';
import type { TaskRow } from '../store/repositories/tasks.js';
import { CLOUD_TASK_ACTIONS, TaskStatus, type JobError, type RelatedItem } from './types.js';

/** A task as the rest of ecsimg sees it. */
export interface TaskRecord {
  taskId: string;
  /** The job type, which is the task's TaskAction. */
  type: string;
  accountId: string | null;
  regionId: string | null;
  resourceId: string | null;
  status: TaskStatus;
  /** 0–100. */
  progress: number;
  params: unknown;
  /** The job's return value once Finished. */
  result: unknown;
  relatedItems: RelatedItem[];
  /** The last failure (also set while a retryable failure waits for its next attempt). */
  error?: JobError;
  attempts: number;
  maxAttempts: number;
  supportCancel: boolean;
  cancelRequested: boolean;
  createdAt: number;
  startedAt?: number;
  finishedAt?: number;
}

export interface EnqueueOptions {
  accountId: string | null;
  regionId: string | null;
  /** The resource the job works on (e.g. the image ID), shown as the task's ResourceId. */
  resourceId?: string;
  /** CancelTask may stop it (the job must then honour `ctx.signal`). Default false. */
  supportCancel?: boolean;
  /** Runs before the task fails for good; default from the queue (ECSIMG_JOB_MAX_ATTEMPTS). */
  maxAttempts?: number;
  /** Not before this time (epoch ms); default now. */
  notBefore?: number;
  /**
   * Enqueue inside the caller's transaction (`store.transaction(tx => …)`), so the task exists
   * exactly when the resource row written beside it does.
   */
  store?: Store;
}

/** Who is asking: tasks of other accounts or regions do not exist for them. */
export interface TaskScope {
  accountId: string;
  regionId: string;
}

export interface TaskQuery extends TaskScope {
  /** Explicit IDs; when set, internal job types are listed too (they were asked for by ID). */
  taskIds?: string[];
  resourceIds?: string[];
  action?: string;
  status?: TaskStatus;
  createdFrom?: number;
  createdTo?: number;
  pageNumber: number;
  pageSize: number;
}

/**
 * `cancelling`: the task was Waiting or Processing and is flagged; a worker stops it and marks it
 * Deleted. The others say why nothing happened.
 */
export type CancelOutcome = 'cancelling' | 'not-found' | 'not-cancellable' | 'not-running';

export interface JobQueueOptions {
  /** Makes a task ID (`t-…`); `start/` passes the domain's resource-ID generator. */
  newTaskId(regionId?: string): string;
  maxAttempts: number;
  now?: () => number;
}

/**
 * @example
 *   const taskId = await services.jobs.enqueue('ExportImage', { imageId, bucket }, {
 *     accountId: ctx.principal.accountId,
 *     regionId: params.RegionId,
 *     resourceId: imageId,
 *     supportCancel: true,
 *   });
 */
export class JobQueue {
  private readonly listeners = new Set<() => void>();
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    private readonly options: JobQueueOptions,
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Adds a job; resolves to its task ID. */
  async enqueue(type: string, params: unknown, options: EnqueueOptions): Promise<string> {
    const now = this.now();
    const id = this.options.newTaskId(options.regionId ?? undefined);
    const store = options.store ?? this.store;

    await store.tasks.insert({
      id,
      account_id: options.accountId,
      region_id: options.regionId,
      action: type,
      resource_id: options.resourceId ?? null,
      status: TaskStatus.Waiting,
      progress: 0,
      params: JSON.stringify(params ?? null),
      result: null,
      related_items: null,
      error_code: null,
      error_message: null,
      attempts: 0,
      max_attempts: options.maxAttempts ?? this.options.maxAttempts,
      lease_owner: null,
      lease_expires_at: null,
      heartbeat_at: null,
      available_at: options.notBefore ?? now,
      cancel_requested: 0,
      support_cancel: options.supportCancel ? 1 : 0,
      created_at: now,
      started_at: null,
      finished_at: null,
    });
    this.notify();
    return id;
  }

  /** One task; with a scope, undefined unless it belongs to that account and region. */
  async get(taskId: string, scope?: TaskScope): Promise<TaskRecord | undefined> {
    const row = await this.store.tasks.find(taskId);
    if (!row) return undefined;
    if (scope && (row.account_id !== scope.accountId || row.region_id !== scope.regionId)) {
      return undefined;
    }
    return toRecord(row);
  }

  /** Newest first. Without `taskIds`, only the cloud's TaskActions are listed. */
  async list(query: TaskQuery): Promise<{ tasks: TaskRecord[]; total: number }> {
    const actions = query.action
      ? [query.action]
      : query.taskIds
        ? undefined
        : [...CLOUD_TASK_ACTIONS];
    const { rows, total } = await this.store.tasks.list({
      accountId: query.accountId,
      regionId: query.regionId,
      taskIds: query.taskIds,
      actions,
      resourceIds: query.resourceIds,
      status: query.status,
      createdFrom: query.createdFrom,
      createdTo: query.createdTo,
      offset: (query.pageNumber - 1) * query.pageSize,
      limit: query.pageSize,
    });
    return { tasks: rows.map(toRecord), total };
  }

  /**
   * Asks for a task to stop. Cancellation is cooperative: the job sees its signal trip, its
   * `onCancelled` hook runs, and the task ends Deleted; a job that finishes first stays Finished.
   */
  async cancel(taskId: string, scope: TaskScope): Promise<CancelOutcome> {
    const task = await this.get(taskId, scope);
    if (!task) return 'not-found';
    if (!task.supportCancel) return 'not-cancellable';

    if (await this.store.tasks.requestCancel(taskId, this.now())) {
      this.notify();
      return 'cancelling';
    }
    return 'not-running';
  }

  /**
   * Calls `listener` when this process enqueues or cancels a task, so an embedded worker can
   * look at once instead of at its next poll. Returns the unsubscribe function.
   */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}

export function toRecord(row: TaskRow): TaskRecord {
  return {
    taskId: row.id,
    type: row.action,
    accountId: row.account_id,
    regionId: row.region_id,
    resourceId: row.resource_id,
    status: row.status as TaskStatus,
    progress: Number(row.progress),
    params: JSON.parse(row.params),
    result: row.result === null ? undefined : JSON.parse(row.result),
    relatedItems: row.related_items ? (JSON.parse(row.related_items) as RelatedItem[]) : [],
    error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : undefined,
    attempts: Number(row.attempts),
    maxAttempts: Number(row.max_attempts),
    supportCancel: Number(row.support_cancel) === 1,
    cancelRequested: Number(row.cancel_requested) === 1,
    createdAt: Number(row.created_at),
    startedAt: row.started_at === null ? undefined : Number(row.started_at),
    finishedAt: row.finished_at === null ? undefined : Number(row.finished_at),
  };
}
