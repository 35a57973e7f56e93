/**
 * Tasks: imports and exports of the region, running and finished. Running tasks are polled for
 * their progress (DescribeTaskAttribute); failed ones show the error code with its cause and fix;
 * cancel is offered where the API says the task supports it.
 */
import { ReloadOutlined } from '@ant-design/icons';
import { App, Button, Progress, Segmented, Space, Table, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table/index.js';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { findEntry, useCatalogue } from '../../api/catalogue.js';
import { callAction } from '../../api/client.js';
import { useRegion } from '../../api/session.js';
import type { DescribeTasksBody, TaskAttribute, TaskSummary } from '../../api/types.js';
import { usePolling } from '../../api/use-polling.js';
import { troubleshootingHref, useShowError } from '../../components/error-notice.js';
import { PageHeader } from '../../components/page-header.js';
import { formatTime, percent, TaskStatusTag } from '../../components/status.js';
import { navigate, useRoute } from '../../router.js';

const STATUS_FILTERS = ['all', 'Processing', 'Finished', 'Failed'] as const;
const POLL_MS = 2000;

function isRunning(status: string) {
  return status === 'Processing' || status === 'Waiting';
}

function FailureReason({ detail }: { detail?: TaskAttribute }) {
  const { t, i18n } = useTranslation();
  const catalogue = useCatalogue();
  const op = detail?.OperationProgressSet?.OperationProgress?.[0];
  if (!op?.ErrorCode) return null;
  const lang = i18n.language === 'zh' ? 'zh' : 'en';
  const entry = catalogue && findEntry(catalogue, op.ErrorCode);
  return (
    <Space orientation="vertical" size={0} data-testid="task-failure">
      <Typography.Text type="danger" className="ecsimg-mono">
        {op.ErrorCode}
      </Typography.Text>
      <Typography.Text>{op.ErrorMsg}</Typography.Text>
      {entry && (
        <Typography.Text type="secondary">
          {t('errors.fix')}: {entry.fix[lang]}
        </Typography.Text>
      )}
      <a href={troubleshootingHref(op.ErrorCode)}>{t('errors.troubleshoot')}</a>
    </Space>
  );
}

export default function TasksPage() {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const route = useRoute();
  const region = useRegion();
  const showError = useShowError();
  const status = (route.query.get('status') ?? 'all') as (typeof STATUS_FILTERS)[number];
  const page = Math.max(1, Number(route.query.get('page')) || 1);
  const taskId = route.query.get('id') ?? undefined;
  const [body, setBody] = useState<DescribeTasksBody>();
  const [details, setDetails] = useState<Record<string, TaskAttribute>>({});
  const [loading, setLoading] = useState(false);

  const query = useMemo(
    () => ({
      RegionId: region,
      TaskStatus: status === 'all' ? undefined : status,
      TaskIds: taskId,
      PageNumber: page,
      PageSize: 20,
    }),
    [region, status, taskId, page],
  );

  const load = useCallback(
    async (quiet = false) => {
      if (!quiet) setLoading(true);
      try {
        const next = await callAction<DescribeTasksBody>('DescribeTasks', query);
        setBody(next);
        // Progress and failure reasons are only in DescribeTaskAttribute: fetch it for the tasks
        // that run or failed (finished ones need nothing more).
        const wanted = (next.TaskSet?.Task ?? []).filter(
          (task) => isRunning(task.TaskStatus) || task.TaskStatus === 'Failed',
        );
        const fetched = await Promise.all(
          wanted.map((task) =>
            callAction<TaskAttribute>('DescribeTaskAttribute', {
              RegionId: region,
              TaskId: task.TaskId,
            }).catch(() => undefined),
          ),
        );
        setDetails((old) => {
          const merged = { ...old };
          for (const d of fetched) if (d) merged[d.TaskId] = d;
          return merged;
        });
      } catch (err) {
        if (!quiet) showError(err);
      } finally {
        if (!quiet) setLoading(false);
      }
    },
    [query, region, showError],
  );

  useEffect(() => {
    void load();
  }, [load]);

  const tasks = body?.TaskSet?.Task ?? [];
  usePolling(
    tasks.some((task) => isRunning(task.TaskStatus)),
    POLL_MS,
    () => void load(true),
  );

  const cancel = (task: TaskSummary) =>
    modal.confirm({
      title: t('tasks.cancel.title', { id: task.TaskId }),
      content: t('tasks.cancel.body'),
      okText: t('tasks.cancel.ok'),
      okButtonProps: { danger: true },
      cancelText: t('common.close'),
      onOk: async () => {
        try {
          await callAction('CancelTask', { RegionId: region, TaskId: task.TaskId });
          message.success(t('tasks.cancel.done', { id: task.TaskId }));
          void load(true);
        } catch (err) {
          showError(err);
        }
      },
    });

  const columns: ColumnsType<TaskSummary> = [
    {
      title: t('tasks.col.id'),
      dataIndex: 'TaskId',
      width: 230,
      render: (id: string) => (
        <Typography.Text copyable className="ecsimg-mono">
          {id}
        </Typography.Text>
      ),
    },
    {
      title: t('tasks.col.action'),
      dataIndex: 'TaskAction',
      width: 130,
      render: (a: string) => t(`tasks.action.${a}`, { defaultValue: a }),
    },
    {
      title: t('tasks.col.resource'),
      dataIndex: 'ResourceId',
      render: (id?: string) =>
        id?.startsWith('m-') ? (
          <a
            className="ecsimg-mono"
            style={{ whiteSpace: 'nowrap' }}
            href={`#/images?id=${encodeURIComponent(id)}`}
          >
            {id}
          </a>
        ) : (
          <span className="ecsimg-mono">{id ?? '—'}</span>
        ),
    },
    {
      title: t('tasks.col.status'),
      key: 'status',
      width: 230,
      render: (_, task) => {
        const detail = details[task.TaskId];
        const p = percent(detail?.TaskProcess);
        return (
          <Space orientation="vertical" size={2} style={{ width: '100%' }}>
            <TaskStatusTag status={task.TaskStatus} />
            {isRunning(task.TaskStatus) && p !== undefined && (
              <Progress
                percent={p}
                size="small"
                aria-label={t('tasks.progress')}
                data-testid="task-progress"
              />
            )}
            {task.TaskStatus === 'Failed' && <FailureReason detail={detail} />}
          </Space>
        );
      },
    },
    { title: t('tasks.col.created'), dataIndex: 'CreationTime', width: 140, render: formatTime },
    { title: t('tasks.col.finished'), dataIndex: 'FinishedTime', width: 140, render: formatTime },
    {
      title: t('common.actions'),
      key: 'actions',
      width: 100,
      render: (_, task) =>
        task.SupportCancel === 'true' && isRunning(task.TaskStatus) ? (
          <Button type="link" danger size="small" onClick={() => cancel(task)}>
            {t('tasks.cancel.ok')}
          </Button>
        ) : null,
    },
  ];

  return (
    <>
      <PageHeader title={t('nav.tasks')} subtitle={t('tasks.subtitle', { region })} />
      <Space style={{ marginBottom: 12 }} wrap>
        <Segmented
          aria-label={t('tasks.col.status')}
          value={status}
          onChange={(v) => navigate('/tasks', { status: v === 'all' ? undefined : v, id: taskId })}
          options={STATUS_FILTERS.map((s) => ({ value: s, label: t(`tasks.filter.${s}`) }))}
        />
        {taskId && (
          <Button
            onClick={() => navigate('/tasks', { status: status === 'all' ? undefined : status })}
          >
            {t('tasks.showAll', { id: taskId })}
          </Button>
        )}
        <Button icon={<ReloadOutlined />} onClick={() => void load()}>
          {t('common.refresh')}
        </Button>
      </Space>
      <Table<TaskSummary>
        rowKey="TaskId"
        size="middle"
        loading={loading}
        columns={columns}
        dataSource={tasks}
        scroll={{ x: 1000 }}
        locale={{ emptyText: t('tasks.empty') }}
        pagination={{
          current: page,
          pageSize: 20,
          total: body?.TotalCount ?? 0,
          showSizeChanger: false,
          showTotal: (count) => t('common.total', { count }),
          onChange: (p) =>
            navigate('/tasks', { status: status === 'all' ? undefined : status, page: p }),
        }}
      />
    </>
  );
}
