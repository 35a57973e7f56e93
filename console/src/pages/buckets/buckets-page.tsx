/**
 * Buckets: the account's OSS-style buckets of the region and their objects. Import reads from a
 * bucket and export writes to one; here they are created, filled (upload with progress), emptied
 * and downloaded from.
 */
import { DeleteOutlined, DownloadOutlined, PlusOutlined, ReloadOutlined } from '@ant-design/icons';
import {
  Alert,
  App,
  Button,
  Card,
  Col,
  Form,
  Input,
  Modal,
  Progress,
  Row,
  Space,
  Table,
  Typography,
} from 'antd';
import { useCallback, useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import {
  createBucket,
  deleteBucket,
  deleteObject,
  downloadObject,
  listBuckets,
  listObjects,
  OSS_ACTIONS,
  type Bucket,
  type OssObject,
} from '../../api/oss.js';
import { useRegion } from '../../api/session.js';
import { useSpecs } from '../../api/specs.js';
import { useShowError } from '../../components/error-notice.js';
import { PageHeader } from '../../components/page-header.js';
import { formatTime } from '../../components/status.js';
import { SpecItem } from '../../forms/spec-item.js';
import { navigate, useRoute } from '../../router.js';
import { formatBytes, UploadButton } from './upload-button.js';

function CreateBucketDialog(props: {
  region: string;
  onClose(): void;
  onDone(name: string): void;
}) {
  const { t } = useTranslation();
  const showError = useShowError();
  const [form] = Form.useForm<{ BucketName: string }>();
  const [busy, setBusy] = useState(false);
  const submit = async ({ BucketName }: { BucketName: string }) => {
    setBusy(true);
    try {
      await createBucket(props.region, BucketName.trim());
      props.onDone(BucketName.trim());
      props.onClose();
    } catch (err) {
      showError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal
      open
      title={t('buckets.create')}
      onOk={() => form.submit()}
      onCancel={props.onClose}
      confirmLoading={busy}
    >
      <Form form={form} layout="vertical" onFinish={submit}>
        <SpecItem
          action={OSS_ACTIONS.createBucket}
          param="BucketName"
          name="BucketName"
          label={t('buckets.name')}
          required
        >
          <Input autoFocus data-testid="bucket-name" />
        </SpecItem>
        <Typography.Text type="secondary">
          {t('buckets.regionNote', { region: props.region })}
        </Typography.Text>
      </Form>
    </Modal>
  );
}

export default function BucketsPage() {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const region = useRegion();
  const route = useRoute();
  const specs = useSpecs();
  const showError = useShowError();
  const selected = route.query.get('bucket') ?? undefined;
  const [buckets, setBuckets] = useState<Bucket[]>();
  const [objects, setObjects] = useState<OssObject[]>();
  const [creating, setCreating] = useState(false);
  const [download, setDownload] = useState<{ key: string; loaded: number; total: number }>();
  const offered = specs?.has(OSS_ACTIONS.listBuckets);

  const loadBuckets = useCallback(() => {
    if (!offered) return;
    listBuckets(region)
      .then(setBuckets)
      .catch((err) => {
        showError(err);
        setBuckets([]);
      });
  }, [region, offered, showError]);

  const loadObjects = useCallback(() => {
    if (!offered || !selected) return setObjects(undefined);
    listObjects(selected)
      .then(setObjects)
      .catch((err) => {
        showError(err);
        setObjects([]);
      });
  }, [region, selected, offered, showError]);

  useEffect(loadBuckets, [loadBuckets]);
  useEffect(loadObjects, [loadObjects]);

  if (specs && !offered) {
    return (
      <>
        <PageHeader title={t('nav.buckets')} subtitle={t('buckets.subtitle', { region })} />
        <Alert
          type="info"
          showIcon
          title={t('common.notOffered', { action: OSS_ACTIONS.listBuckets })}
        />
      </>
    );
  }

  const removeBucket = (name: string) =>
    modal.confirm({
      title: t('buckets.deleteTitle', { name }),
      content: t('buckets.deleteBody'),
      okButtonProps: { danger: true },
      okText: t('buckets.delete'),
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await deleteBucket(name);
          if (selected === name) navigate('/buckets');
          loadBuckets();
        } catch (err) {
          showError(err);
        }
      },
    });

  const removeObject = (key: string) =>
    modal.confirm({
      title: t('buckets.deleteObjectTitle', { key }),
      okButtonProps: { danger: true },
      okText: t('buckets.delete'),
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await deleteObject(selected!, key);
          message.success(t('buckets.deletedObject', { key }));
          loadObjects();
        } catch (err) {
          showError(err);
        }
      },
    });

  const save = async (key: string) => {
    setDownload({ key, loaded: 0, total: 0 });
    try {
      await downloadObject(selected!, key, (loaded, total) => setDownload({ key, loaded, total }));
    } catch (err) {
      showError(err);
    } finally {
      setDownload(undefined);
    }
  };

  return (
    <>
      <PageHeader
        title={t('nav.buckets')}
        subtitle={t('buckets.subtitle', { region })}
        extra={
          <Button
            type="primary"
            icon={<PlusOutlined />}
            onClick={() => setCreating(true)}
            data-testid="create-bucket"
          >
            {t('buckets.create')}
          </Button>
        }
      />
      <Row gutter={16}>
        <Col xs={24} lg={8}>
          <Card
            title={t('buckets.list')}
            size="small"
            extra={
              <Button
                size="small"
                icon={<ReloadOutlined />}
                onClick={loadBuckets}
                aria-label={t('common.refresh')}
              />
            }
          >
            <Table<Bucket>
              rowKey="Name"
              size="small"
              loading={!buckets}
              dataSource={buckets ?? []}
              pagination={false}
              locale={{ emptyText: t('buckets.none') }}
              rowClassName={(b) => (b.Name === selected ? 'ant-table-row-selected' : '')}
              columns={[
                {
                  title: t('buckets.name'),
                  dataIndex: 'Name',
                  render: (name: string) => (
                    <a
                      href={`#/buckets?bucket=${encodeURIComponent(name)}`}
                      className="ecsimg-mono"
                    >
                      {name}
                    </a>
                  ),
                },
                {
                  key: 'actions',
                  width: 48,
                  render: (_, b) => (
                    <Button
                      type="text"
                      danger
                      size="small"
                      icon={<DeleteOutlined />}
                      aria-label={`${t('buckets.delete')} ${b.Name}`}
                      onClick={() => removeBucket(b.Name)}
                    />
                  ),
                },
              ]}
            />
          </Card>
        </Col>
        <Col xs={24} lg={16}>
          <Card
            size="small"
            title={selected ? t('buckets.objectsOf', { name: selected }) : t('buckets.objects')}
            extra={
              selected && (
                <Button
                  size="small"
                  icon={<ReloadOutlined />}
                  onClick={loadObjects}
                  aria-label={t('common.refresh')}
                />
              )
            }
          >
            {!selected ? (
              <Typography.Text type="secondary">{t('buckets.pick')}</Typography.Text>
            ) : (
              <Space orientation="vertical" style={{ width: '100%' }}>
                <UploadButton
                  bucket={selected}
                  onUploaded={(key) => {
                    message.success(t('buckets.uploaded', { key }));
                    loadObjects();
                  }}
                />
                {download && (
                  <div data-testid="download-progress">
                    <Typography.Text>
                      {t('buckets.downloading', { key: download.key })}
                    </Typography.Text>
                    <Progress
                      percent={
                        download.total ? Math.floor((download.loaded / download.total) * 100) : 0
                      }
                    />
                  </div>
                )}
                <Table<OssObject>
                  rowKey="Key"
                  size="small"
                  loading={!objects}
                  dataSource={objects ?? []}
                  data-testid="objects-table"
                  locale={{ emptyText: t('buckets.noObjects') }}
                  pagination={{ pageSize: 20, hideOnSinglePage: true }}
                  columns={[
                    {
                      title: t('buckets.key'),
                      dataIndex: 'Key',
                      render: (k: string) => <span className="ecsimg-mono">{k}</span>,
                    },
                    {
                      title: t('buckets.size'),
                      dataIndex: 'Size',
                      width: 110,
                      align: 'right',
                      render: formatBytes,
                    },
                    {
                      title: t('buckets.modified'),
                      dataIndex: 'LastModified',
                      width: 150,
                      render: formatTime,
                    },
                    {
                      title: t('common.actions'),
                      key: 'actions',
                      width: 190,
                      render: (_, o) => (
                        <Space size={0}>
                          <Button
                            type="link"
                            size="small"
                            icon={<DownloadOutlined />}
                            onClick={() => void save(o.Key)}
                          >
                            {t('buckets.download')}
                          </Button>
                          <Button
                            type="link"
                            size="small"
                            danger
                            onClick={() => removeObject(o.Key)}
                          >
                            {t('buckets.delete')}
                          </Button>
                        </Space>
                      ),
                    },
                  ]}
                />
              </Space>
            )}
          </Card>
        </Col>
      </Row>
      {creating && (
        <CreateBucketDialog
          region={region}
          onClose={() => setCreating(false)}
          onDone={(name) => {
            message.success(t('buckets.created', { name }));
            loadBuckets();
            navigate('/buckets', { bucket: name });
          }}
        />
      )}
    </>
  );
}
