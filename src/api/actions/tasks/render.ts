/**
 * How a task looks on the wire. Task times are minute-precision (`2020-11-24T12:50Z`) and
 * SupportCancel is the string `true|false`, as the cloud answers.
 */
import { isoMinutes } from '../../../domain/time.js';
import { TaskStatus, type TaskRecord } from '../../../jobs/index.js';

/** One entry of DescribeTasks' `TaskSet.Task[]`. */
export function renderTaskSummary(task: TaskRecord): Record<string, unknown> {
  return {
    TaskId: task.taskId,
    TaskAction: task.type,
    TaskStatus: task.status,
    SupportCancel: String(task.supportCancel),
    CreationTime: isoMinutes(task.createdAt),
    ...(task.finishedAt !== undefined ? { FinishedTime: isoMinutes(task.finishedAt) } : {}),
    ...(task.resourceId ? { ResourceId: task.resourceId } : {}),
  };
}

/**
 * The cloud documents only `Success` for OperationStatus; the other values are ours, chosen to
 * read like it [INF]. A waiting task whose last attempt failed shows that attempt's error.
 */
const OPERATION_STATUS: Record<TaskStatus, string> = {
  Waiting: 'Waiting',
  Processing: 'Processing',
  Finished: 'Success',
  Failed: 'Failed',
  Deleted: 'Cancelled',
  Paused: 'Paused',
};

/** DescribeTaskAttribute's body (without RequestId). */
export function renderTaskAttribute(task: TaskRecord): Record<string, unknown> {
  const operation: Record<string, unknown> = {
    OperationStatus: OPERATION_STATUS[task.status] ?? task.status,
    ...(task.error ? { ErrorCode: task.error.code, ErrorMsg: task.error.message } : {}),
    RelatedItemSet: { RelatedItem: task.relatedItems },
  };

  return {
    TaskId: task.taskId,
    RegionId: task.regionId,
    TaskAction: task.type,
    TaskStatus: task.status,
    TaskProcess: `${task.progress}%`,
    SupportCancel: String(task.supportCancel),
    CreationTime: isoMinutes(task.createdAt),
    ...(task.finishedAt !== undefined ? { FinishedTime: isoMinutes(task.finishedAt) } : {}),
    TotalCount: 1,
    SuccessCount: task.status === TaskStatus.Finished ? 1 : 0,
    FailedCount: task.status === TaskStatus.Failed ? 1 : 0,
    OperationProgressSet: { OperationProgress: [operation] },
  };
}
