/**
 * DescribeTasks, DescribeTaskAttribute, CancelTask: the ECS Task resource, read from and acting
 * on the job queue.
 *
 * Faithfulness: tasks are per account and region (another account's task is NotFound). Internal
 * job types (`ecsimg.*`, e.g. the test job) are not cloud TaskActions: DescribeTasks lists them
 * only when their TaskIds are given, and TaskAction cannot name them. DescribeTaskAttribute
 * answers for every task of the caller, where the cloud limits it to import/export/disk-spec
 * tasks (the only ones we create besides internal ones). TaskGroupId (a preview feature) is
 * refused rather than ignored. Cancellation is cooperative: CancelTask flags the task and returns;
 * the task shows Deleted once its worker has stopped it (within a heartbeat).
 */
import { EcsError } from '../../../domain/errors/index.js';
import { parseCloudTime } from '../../../domain/time.js';
import { CLOUD_TASK_ACTIONS, TaskStatus } from '../../../jobs/index.js';
import { defineAction, type RequestContext } from '../../context.js';
import { declareAction } from '../spec.js';
import { renderTaskAttribute, renderTaskSummary } from './render.js';

const MAX_TASK_IDS = 100;
const CLOUD_TIME_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2})?Z$';
/** The statuses DescribeTasks filters by; the cloud ignores any other TaskStatus value. */
const FILTERABLE_STATUSES: readonly string[] = [
  TaskStatus.Finished,
  TaskStatus.Processing,
  TaskStatus.Failed,
];

export const DescribeTasksSpec = declareAction({
  name: 'DescribeTasks',
  resource: 'task',
  summary: {
    en: 'List the asynchronous tasks (image imports and exports) of a region.',
    zh: '查询某地域下的异步任务（镜像导入、导出）列表。',
  },
  regional: true,
  params: {
    TaskIds: {
      type: 'string',
      description: 'Up to 100 task IDs separated by commas.',
    },
    ResourceIds: {
      type: 'list',
      of: { type: 'string', maxLength: 64 },
      max: 100,
      description: 'Resource IDs (the image ID for ImportImage and ExportImage tasks).',
    },
    TaskAction: { type: 'string', enum: CLOUD_TASK_ACTIONS },
    TaskStatus: {
      type: 'string',
      description: 'Finished, Processing or Failed; other values are ignored, as on the cloud.',
    },
    StartTime: {
      type: 'string',
      pattern: CLOUD_TIME_PATTERN,
      description: 'Created at or after, UTC: yyyy-MM-ddTHH:mmZ or yyyy-MM-ddTHH:mm:ssZ.',
    },
    EndTime: {
      type: 'string',
      pattern: CLOUD_TIME_PATTERN,
      description: 'Created at or before (a minute-precision time includes its whole minute).',
    },
    PageNumber: { type: 'integer', min: 1, default: 1 },
    PageSize: { type: 'integer', min: 1, max: 100, default: 10 },
    TaskGroupId: { type: 'string', unsupported: true },
  },
});

export const DescribeTaskAttributeSpec = declareAction({
  name: 'DescribeTaskAttribute',
  resource: 'task',
  summary: {
    en: 'Show one task: status, progress, and the outcome of its operation.',
    zh: '查询单个任务的状态、进度和执行结果。',
  },
  regional: true,
  params: {
    TaskId: { type: 'string', required: true, maxLength: 64 },
  },
});

export const CancelTaskSpec = declareAction({
  name: 'CancelTask',
  resource: 'task',
  summary: {
    en: 'Cancel a waiting or running image import or export task.',
    zh: '取消等待中或运行中的镜像导入、导出任务。',
  },
  regional: true,
  params: {
    TaskId: { type: 'string', required: true, maxLength: 64 },
  },
});

function scope(ctx: RequestContext, regionId: string) {
  return { accountId: ctx.principal.accountId, regionId };
}

function taskResource(ctx: RequestContext, params: { RegionId: string; TaskId: string }) {
  return `acs:ecs:${params.RegionId}:${ctx.principal.accountId}:task/${params.TaskId}`;
}

/** A filter time: undefined when absent; InvalidParameter when it is no real date. */
function filterTime(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseCloudTime(text);
  if (ms === undefined)
    throw new EcsError('InvalidParameter', { name, reason: 'not a valid time' });
  return ms;
}

function splitTaskIds(text: string | undefined): string[] | undefined {
  if (text === undefined) return undefined;
  const ids = [...new Set(text.split(',').map((id) => id.trim()))].filter(Boolean);
  if (ids.length > MAX_TASK_IDS) {
    throw new EcsError('InvalidParameter', {
      name: 'TaskIds',
      reason: `at most ${MAX_TASK_IDS} IDs`,
    });
  }
  return ids.length > 0 ? ids : undefined;
}

export const TASK_ACTIONS = [
  defineAction(DescribeTasksSpec, async (ctx, params) => {
    const taskIds = splitTaskIds(params.TaskIds);
    const createdFrom = filterTime('StartTime', params.StartTime);
    const end = filterTime('EndTime', params.EndTime);
    // Task times are shown to the minute, so `EndTime=…T12:50Z` must include 12:50:59.
    const createdTo =
      end === undefined ? undefined : end + (params.EndTime!.length === 17 ? 59_999 : 999);
    const status =
      params.TaskStatus && FILTERABLE_STATUSES.includes(params.TaskStatus)
        ? (params.TaskStatus as TaskStatus)
        : undefined;

    const { tasks, total } = await ctx.services.jobs.list({
      ...scope(ctx, params.RegionId),
      taskIds,
      resourceIds: params.ResourceIds,
      action: params.TaskAction,
      status,
      createdFrom,
      createdTo,
      pageNumber: params.PageNumber,
      pageSize: params.PageSize,
    });
    return {
      RegionId: params.RegionId,
      TotalCount: total,
      PageNumber: params.PageNumber,
      PageSize: params.PageSize,
      TaskSet: { Task: tasks.map(renderTaskSummary) },
    };
  }),

  defineAction(
    DescribeTaskAttributeSpec,
    async (ctx, params) => {
      const task = await ctx.services.jobs.get(params.TaskId, scope(ctx, params.RegionId));
      if (!task) throw new EcsError('InvalidTaskId.NotFound', { taskId: params.TaskId });
      return renderTaskAttribute(task);
    },
    { resource: taskResource },
  ),

  defineAction(
    CancelTaskSpec,
    async (ctx, params) => {
      const taskScope = scope(ctx, params.RegionId);
      const outcome = await ctx.services.jobs.cancel(params.TaskId, taskScope);
      if (outcome === 'cancelling') return {};

      const task = await ctx.services.jobs.get(params.TaskId, taskScope);
      if (outcome === 'not-found' || !task) {
        throw new EcsError('InvalidTaskId.NotFound', { taskId: params.TaskId });
      }
      if (outcome === 'not-cancellable') {
        throw new EcsError('InvalidTaskId.TaskActionNotSupport', {
          taskId: params.TaskId,
          action: task.type,
        });
      }
      throw new EcsError('InvalidTaskId.IncorrectTaskStatus', {
        taskId: params.TaskId,
        status: task.status,
      });
    },
    { resource: taskResource },
  ),
];
