import { Progress, Space, Tag } from 'antd';
import { useTranslation } from 'react-i18next';

const IMAGE_COLORS: Record<string, string> = {
  Available: 'success',
  Creating: 'processing',
  Waiting: 'processing',
  CreateFailed: 'error',
  UnAvailable: 'error',
  Deprecated: 'warning',
};

/** `"45%"` → 45; undefined when absent or malformed. */
export function percent(text: string | undefined): number | undefined {
  const m = /^(\d{1,3})%$/.exec(text ?? '');
  return m ? Math.min(100, Number(m[1])) : undefined;
}

/** An image's status, with a progress bar while it is being made. */
export function ImageStatus({ status, progress }: { status: string; progress?: string }) {
  const { t } = useTranslation();
  const p = percent(progress);
  const busy = status === 'Creating' || status === 'Waiting';
  return (
    <Space orientation="vertical" size={2} style={{ minWidth: 96 }}>
      <Tag color={IMAGE_COLORS[status] ?? 'default'} data-testid="image-status">
        {t(`images.status.${status}`, { defaultValue: status })}
      </Tag>
      {busy && p !== undefined && (
        <Progress percent={p} size="small" aria-label={t('images.progress')} />
      )}
    </Space>
  );
}

const TASK_COLORS: Record<string, string> = {
  Finished: 'success',
  Processing: 'processing',
  Waiting: 'processing',
  Failed: 'error',
  Deleted: 'default',
  Paused: 'warning',
};

export function TaskStatusTag({ status }: { status: string }) {
  const { t } = useTranslation();
  return (
    <Tag color={TASK_COLORS[status] ?? 'default'} data-testid="task-status">
      {t(`tasks.status.${status}`, { defaultValue: status })}
    </Tag>
  );
}

/** Cloud times are UTC ISO strings; show them in the browser's zone, to the minute. */
export function formatTime(text: string | undefined): string {
  if (!text) return '—';
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) return text;
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${date} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
