/**
 * Images: the account's custom images, images shared with it, system images and community images,
 * with the Advanced Filter kept in the URL, live progress, and the image dialogs.
 */
import { DownOutlined, ImportOutlined, ReloadOutlined } from '@ant-design/icons';
import { Button, Dropdown, Space, Table, Tabs, Tag, Tooltip, Typography } from 'antd';
import type { ColumnsType } from 'antd/es/table/index.js';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { callAction } from '../../api/client.js';
import { useRegion } from '../../api/session.js';
import type { DescribeImagesBody, Image } from '../../api/types.js';
import { usePolling } from '../../api/use-polling.js';
import { useShowError } from '../../components/error-notice.js';
import { PageHeader } from '../../components/page-header.js';
import { formatTime, ImageStatus } from '../../components/status.js';
import { navigate, useRoute } from '../../router.js';
import { ExportImageDialog } from './export-dialog.js';
import { FilterBar } from './filter-bar.js';
import { DeleteImageDialog, ModifyImageDialog, useDeprecate } from './image-dialogs.js';
import {
  describeImagesParams,
  filterFromQuery,
  filterToQuery,
  IMAGE_TABS,
  PAGE_SIZES,
  sharingScope,
  type ImageFilter,
  type ImageTab,
} from './image-filter.js';
import { ImportImageDialog } from './import-dialog.js';

/** Scope filtering happens here (the API has no such filter); it reads at most this many. */
const SCOPE_SCAN_LIMIT = 1000;

type Dialog =
  { kind: 'modify' | 'delete' | 'export'; image: Image } | { kind: 'import' } | undefined;

interface Loaded {
  images: Image[];
  total: number;
  /** Scope filtering stopped at SCOPE_SCAN_LIMIT images. */
  truncated?: boolean;
}

async function loadImages(
  filter: ImageFilter,
  region: string,
  signal?: AbortSignal,
): Promise<Loaded> {
  if (!(filter.tab === 'self' && filter.scope)) {
    const body = await callAction<DescribeImagesBody>(
      'DescribeImages',
      describeImagesParams(filter, region),
      {
        signal,
      },
    );
    return { images: body.Images?.Image ?? [], total: body.TotalCount ?? 0 };
  }

  // TODO(scope-filter): DescribeImages cannot filter by sharing scope, so the console reads the
  // pages itself (up to SCOPE_SCAN_LIMIT images) and pages the matches locally.
  const matches: Image[] = [];
  let number = 1;
  let seen = 0;
  let total = Infinity;
  while (seen < total && seen < SCOPE_SCAN_LIMIT) {
    const body = await callAction<DescribeImagesBody>(
      'DescribeImages',
      describeImagesParams(filter, region, { number, size: 100 }),
      { signal },
    );
    const page = body.Images?.Image ?? [];
    total = body.TotalCount ?? 0;
    seen += page.length;
    matches.push(...page.filter((i) => sharingScope(i) === filter.scope));
    if (page.length === 0) break;
    number += 1;
  }
  const start = (filter.page - 1) * filter.pageSize;
  return {
    images: matches.slice(start, start + filter.pageSize),
    total: matches.length,
    truncated: seen < total,
  };
}

function systemDisk(image: Image) {
  const disks = image.DiskDeviceMappings?.DiskDeviceMapping ?? [];
  return disks.find((d) => d.Type === 'system') ?? disks[0];
}

export default function ImagesPage() {
  const { t } = useTranslation();
  const route = useRoute();
  const region = useRegion();
  const showError = useShowError();
  const filter = useMemo(() => filterFromQuery(route.query), [route.query]);
  const [data, setData] = useState<Loaded>();
  const [loading, setLoading] = useState(false);
  const [dialog, setDialog] = useState<Dialog>();
  const [reloadKey, setReloadKey] = useState(0);
  const reload = useCallback(() => setReloadKey((k) => k + 1), []);
  const deprecate = useDeprecate(region, reload);

  const setFilter = (next: ImageFilter) => navigate('/images', filterToQuery(next));

  useEffect(() => {
    const controller = new AbortController();
    setLoading(true);
    loadImages(filter, region, controller.signal)
      .then(setData)
      .catch((err) => {
        showError(err);
        setData({ images: [], total: 0 });
      })
      .finally(() => !controller.signal.aborted && setLoading(false));
    return () => controller.abort();
  }, [filter, region, reloadKey, showError]);

  // Images being made: refresh quietly so status and progress move on their own.
  const busy = !!data?.images.some((i) => i.Status === 'Creating' || i.Status === 'Waiting');
  usePolling(busy, 3000, () => {
    loadImages(filter, region)
      .then(setData)
      .catch(() => undefined);
  });

  const own = filter.tab === 'self';
  const columns: ColumnsType<Image> = [
    {
      title: t('images.col.idName'),
      key: 'id',
      width: 205,
      render: (_, image) => (
        <Space orientation="vertical" size={0}>
          <Typography.Text copyable className="ecsimg-mono" data-testid="image-id">
            {image.ImageId}
          </Typography.Text>
          <Typography.Text strong ellipsis={{ tooltip: image.ImageName }} style={{ maxWidth: 195 }}>
            {image.ImageName}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('images.col.status'),
      key: 'status',
      width: 110,
      render: (_, image) => <ImageStatus status={image.Status} progress={image.Progress} />,
    },
    {
      title: t('images.col.os'),
      key: 'os',
      width: 120,
      render: (_, image) => (
        <Space orientation="vertical" size={0}>
          <span>{image.OSName || image.Platform || image.OSType || '—'}</span>
          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
            {[image.OSType, image.Architecture].filter(Boolean).join(' · ')}
          </Typography.Text>
        </Space>
      ),
    },
    {
      title: t('images.col.size'),
      key: 'size',
      width: 75,
      align: 'right',
      render: (_, image) => (image.Size !== undefined ? `${image.Size} GiB` : '—'),
    },
    {
      title: t('images.col.format'),
      key: 'format',
      width: 75,
      render: (_, image) => systemDisk(image)?.Format?.toUpperCase() || '—',
    },
    {
      title: t('images.col.encrypted'),
      key: 'encrypted',
      width: 92,
      render: (_, image) =>
        image.DiskDeviceMappings?.DiskDeviceMapping?.some((d) => d.Encrypted) ? (
          <Tag color="blue">{t('common.yes')}</Tag>
        ) : (
          t('common.no')
        ),
    },
    {
      title: t('images.col.scope'),
      key: 'scope',
      width: 90,
      render: (_, image) =>
        own ? t(`images.scope.${sharingScope(image)}`) : t(`images.tabScope.${filter.tab}`),
    },
    {
      title: t('images.col.created'),
      key: 'created',
      width: 130,
      render: (_, image) => formatTime(image.CreationTime),
    },
    {
      title: t('common.actions'),
      key: 'actions',
      width: 138,
      fixed: 'right',
      render: (_, image) =>
        own ? (
          <Space size={4}>
            <Button type="link" size="small" onClick={() => setDialog({ kind: 'modify', image })}>
              {t('images.action.modify')}
            </Button>
            <Dropdown
              trigger={['click']}
              menu={{
                items: [
                  {
                    key: 'export',
                    label: t('images.action.export'),
                    disabled: image.Status !== 'Available',
                    onClick: () => setDialog({ kind: 'export', image }),
                  },
                  image.Status === 'Deprecated'
                    ? {
                        key: 'restore',
                        label: t('images.action.restore'),
                        onClick: () => deprecate(image, false),
                      }
                    : {
                        key: 'deprecate',
                        label: t('images.action.deprecate'),
                        disabled: image.Status !== 'Available',
                        onClick: () => deprecate(image, true),
                      },
                  { type: 'divider' as const },
                  {
                    key: 'delete',
                    danger: true,
                    label: t('images.action.delete'),
                    onClick: () => setDialog({ kind: 'delete', image }),
                  },
                ],
              }}
            >
              <Button type="link" size="small" aria-label={`${t('common.more')} ${image.ImageId}`}>
                {t('common.more')} <DownOutlined />
              </Button>
            </Dropdown>
          </Space>
        ) : (
          <Tooltip title={t('images.readOnly')}>
            <Typography.Text type="secondary">—</Typography.Text>
          </Tooltip>
        ),
    },
  ];

  return (
    <>
      <PageHeader
        title={t('nav.images')}
        subtitle={t('images.subtitle', { region })}
        extra={
          <Button
            type="primary"
            icon={<ImportOutlined />}
            onClick={() => setDialog({ kind: 'import' })}
          >
            {t('images.action.import')}
          </Button>
        }
      />
      <Tabs
        activeKey={filter.tab}
        onChange={(tab) =>
          setFilter({ ...filter, tab: tab as ImageTab, scope: undefined, page: 1 })
        }
        items={IMAGE_TABS.map((tab) => ({ key: tab, label: t(`images.tab.${tab}`) }))}
      />
      <FilterBar
        filter={filter}
        onChange={(next) => setFilter({ ...next, page: 1 })}
        extra={
          <Button icon={<ReloadOutlined />} onClick={reload} aria-label={t('common.refresh')}>
            {t('common.refresh')}
          </Button>
        }
      />
      {data?.truncated && (
        <Typography.Paragraph type="warning">
          {t('images.scopeTruncated', { limit: SCOPE_SCAN_LIMIT })}
        </Typography.Paragraph>
      )}
      <Table<Image>
        rowKey="ImageId"
        size="middle"
        data-testid="images-table"
        loading={loading && !data}
        columns={columns}
        dataSource={data?.images ?? []}
        scroll={{ x: 1040 }}
        locale={{ emptyText: t(`images.empty.${filter.tab}`) }}
        pagination={{
          current: filter.page,
          pageSize: filter.pageSize,
          total: data?.total ?? 0,
          showSizeChanger: true,
          pageSizeOptions: PAGE_SIZES,
          showTotal: (count) => t('common.total', { count }),
          onChange: (page, pageSize) =>
            setFilter({ ...filter, page: pageSize !== filter.pageSize ? 1 : page, pageSize }),
        }}
      />
      {dialog?.kind === 'modify' && (
        <ModifyImageDialog
          image={dialog.image}
          region={region}
          onClose={() => setDialog(undefined)}
          onDone={reload}
        />
      )}
      {dialog?.kind === 'delete' && (
        <DeleteImageDialog
          image={dialog.image}
          region={region}
          onClose={() => setDialog(undefined)}
          onDone={reload}
        />
      )}
      {dialog?.kind === 'export' && (
        <ExportImageDialog
          image={dialog.image}
          region={region}
          onClose={() => setDialog(undefined)}
        />
      )}
      {dialog?.kind === 'import' && (
        <ImportImageDialog region={region} onClose={() => setDialog(undefined)} onDone={reload} />
      )}
    </>
  );
}
