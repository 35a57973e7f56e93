import type { ErrorTable } from './types.js';

/**
 * Errors of DescribeTasks, DescribeTaskAttribute and CancelTask. Codes and statuses follow the
 * CancelTask reference; DescribeTaskAttribute documents no errors, so it reuses the NotFound code
 * (API-REFERENCE B.23, an inference).
 */
export const TASK_ERRORS = {
  'InvalidTaskId.NotFound': {
    status: 400,
    en: 'No task "{taskId}" exists in this region for your account.',
    zh: '当前账号在该地域下不存在任务“{taskId}”。',
    cause: {
      en:
        'The TaskId is misspelled, belongs to another region or account, or was never ' +
        'created. Tasks are per account and region, as on the cloud.',
      zh: 'TaskId 拼写有误、属于其他地域或其他账号，或从未创建。与云上一致，任务按账号和地域隔离。',
    },
    fix: {
      en:
        'Call DescribeTasks with the same RegionId to list your tasks, and use one of the IDs ' +
        'it returns.',
      zh: '使用相同的 RegionId 调用 DescribeTasks 列出您的任务，并使用返回的任务 ID。',
    },
  },
  'InvalidTaskId.TaskActionNotSupport': {
    status: 403,
    en: 'Task "{taskId}" ({action}) cannot be cancelled.',
    zh: '任务“{taskId}”（{action}）不支持取消。',
    cause: {
      en: 'Only tasks that report SupportCancel=true (image imports and exports) can be cancelled.',
      zh: '只有 SupportCancel 为 true 的任务（镜像导入和导出）可以取消。',
    },
    fix: {
      en:
        'Check SupportCancel in DescribeTasks or DescribeTaskAttribute; wait for other tasks ' +
        'to end.',
      zh: '在 DescribeTasks 或 DescribeTaskAttribute 的返回中查看 SupportCancel；其他任务请等待其结束。',
    },
  },
  'InvalidTaskId.IncorrectTaskStatus': {
    status: 403,
    en: 'Task "{taskId}" is {status}; only a waiting or running task can be cancelled.',
    zh: '任务“{taskId}”的状态为 {status}，只有等待中或运行中的任务可以取消。',
    cause: {
      en: 'The task already finished, failed or was cancelled before the request arrived.',
      zh: '在请求到达之前，任务已经完成、失败或已被取消。',
    },
    fix: {
      en:
        'Nothing to cancel. Read the outcome with DescribeTaskAttribute; clean up a finished ' +
        'import or export with DeleteImage or in the bucket.',
      zh: '无需取消。可通过 DescribeTaskAttribute 查看结果；已完成的导入或导出可用 DeleteImage 或在存储空间中清理。',
    },
  },
} satisfies ErrorTable;
