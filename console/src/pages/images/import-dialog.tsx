/**
 * Import image: pick a disk file already in a bucket, or upload one into a bucket (with progress);
 * the format is recognised from the file's first bytes and shown; the image attributes are checked
 * with the API's own rules; the import role is authorized in one click when missing.
 */
import {
  Alert,
  App,
  Col,
  Descriptions,
  Form,
  Input,
  InputNumber,
  Modal,
  Radio,
  Row,
  Select,
  Tag,
  Typography,
} from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { callAction } from '../../api/client.js';
import {
  IMPORT_ROLE,
  listBuckets,
  listObjects,
  readObjectHead,
  type Bucket,
  type OssObject,
} from '../../api/oss.js';
import { useSpecs } from '../../api/specs.js';
import { useShowError } from '../../components/error-notice.js';
import {
  detectFormat,
  DETECT_HEAD_BYTES,
  importFormat,
  type DetectedFormat,
} from '../../forms/detect-format.js';
import { SpecItem } from '../../forms/spec-item.js';
import { findParam } from '../../forms/spec-rules.js';
import { hrefFor } from '../../router.js';
import { formatBytes, UploadButton } from '../buckets/upload-button.js';
import { RoleCheck } from './role-check.js';

interface Values {
  bucket: string;
  object: string;
  ImageName: string;
  Description?: string;
  Format?: string;
  DiskImageSize?: number;
  OSType?: string;
  Architecture?: string;
  Platform?: string;
  BootMode?: string;
}

function useEnum(action: string, param: string, fallback: string[]): string[] {
  const specs = useSpecs();
  const spec = specs?.get(action);
  const p = spec && findParam(spec.params, param);
  return p?.type === 'string' && p.enum ? [...p.enum] : fallback;
}

async function detectFile(file: File): Promise<DetectedFormat> {
  const head = new Uint8Array(await file.slice(0, DETECT_HEAD_BYTES).arrayBuffer());
  const tail = new Uint8Array(await file.slice(Math.max(0, file.size - 512)).arrayBuffer());
  return detectFormat(head, tail);
}

export function ImportImageDialog(props: { region: string; onClose(): void; onDone(): void }) {
  const { t } = useTranslation();
  const { notification } = App.useApp();
  const showError = useShowError();
  const specs = useSpecs();
  const [form] = Form.useForm<Values>();
  const [source, setSource] = useState<'bucket' | 'upload'>('upload');
  const [buckets, setBuckets] = useState<Bucket[]>();
  const [objects, setObjects] = useState<OssObject[]>();
  const [detected, setDetected] = useState<DetectedFormat | 'unknown'>();
  const [busy, setBusy] = useState(false);
  const bucket = Form.useWatch('bucket', form);
  const object = Form.useWatch('object', form);
  const spec = specs?.get('ImportImage');
  const formats = useEnum('ImportImage', 'DiskDeviceMapping.Format', [
    'RAW',
    'VHD',
    'QCOW2',
    'VMDK',
  ]);
  const osTypes = useEnum('ImportImage', 'OSType', ['linux', 'windows']);
  const architectures = useEnum('ImportImage', 'Architecture', ['x86_64', 'arm64', 'i386']);
  const bootModes = useEnum('ImportImage', 'BootMode', ['BIOS', 'UEFI']);
  const platforms = useEnum('ImportImage', 'Platform', []);

  useEffect(() => {
    listBuckets(props.region)
      .then((list) => {
        setBuckets(list);
        if (list.length && !form.getFieldValue('bucket'))
          form.setFieldValue('bucket', list[0].Name);
      })
      .catch((err) => {
        showError(err);
        setBuckets([]);
      });
  }, [props.region, form, showError]);

  useEffect(() => {
    setObjects(undefined);
    if (!bucket) return;
    listObjects(bucket)
      .then(setObjects)
      .catch(() => setObjects([]));
  }, [bucket, props.region]);

  // A file already in the bucket: read its first bytes through the object route to show its format.
  useEffect(() => {
    if (source !== 'bucket' || !bucket || !object) return;
    setDetected(undefined);
    readObjectHead(bucket, object, DETECT_HEAD_BYTES)
      .then((head) => setDetected(detectFormat(head)))
      .catch(() => setDetected('unknown'));
  }, [source, bucket, object]);

  const submit = async (values: Values) => {
    setBusy(true);
    try {
      const body = await callAction<{ ImageId: string; TaskId: string }>('ImportImage', {
        RegionId: props.region,
        ImageName: values.ImageName,
        Description: values.Description,
        OSType: values.OSType,
        Architecture: values.Architecture,
        Platform: values.Platform,
        BootMode: values.BootMode,
        DiskDeviceMapping: [
          {
            OSSBucket: values.bucket,
            OSSObject: values.object,
            Format: values.Format,
            DiskImageSize: values.DiskImageSize,
          },
        ],
      });
      notification.success({
        title: t('import.started', { id: body.ImageId }),
        description: (
          <a href={hrefFor('/tasks', { id: body.TaskId })}>
            {t('export.follow', { task: body.TaskId })}
          </a>
        ),
      });
      props.onDone();
      props.onClose();
    } catch (err) {
      showError(err);
    } finally {
      setBusy(false);
    }
  };

  const selectedObject = objects?.find((o) => o.Key === object);

  return (
    <Modal
      open
      title={t('import.title')}
      okText={t('import.submit')}
      onOk={() => form.submit()}
      onCancel={props.onClose}
      confirmLoading={busy}
      okButtonProps={{ disabled: specs && !spec, 'data-testid': 'import-submit' } as never}
      width={720}
      styles={{ body: { maxHeight: 'calc(100vh - 220px)', overflowY: 'auto' } }}
    >
      {specs && !spec && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 16 }}
          title={t('common.notOffered', { action: 'ImportImage' })}
        />
      )}
      <RoleCheck role={IMPORT_ROLE} />
      <Form
        form={form}
        layout="vertical"
        onFinish={submit}
        initialValues={{ OSType: 'linux', Architecture: 'x86_64' }}
      >
        <Typography.Title level={2} style={{ fontSize: 14 }}>
          {t('import.file')}
        </Typography.Title>
        <Radio.Group
          value={source}
          onChange={(e) => {
            setSource(e.target.value);
            setDetected(undefined);
          }}
          style={{ marginBottom: 12 }}
          optionType="button"
          options={[
            { value: 'upload', label: t('import.fromUpload') },
            { value: 'bucket', label: t('import.fromBucket') },
          ]}
        />
        <Row gutter={16}>
          <Col span={12}>
            <SpecItem
              action="ImportImage"
              param="DiskDeviceMapping.OSSBucket"
              name="bucket"
              label={t('export.bucket')}
              required
              listed
            >
              <Select
                loading={!buckets}
                data-testid="import-bucket"
                options={(buckets ?? []).map((b) => ({ value: b.Name, label: b.Name }))}
                notFoundContent={<a href="#/buckets">{t('export.noBuckets')}</a>}
              />
            </SpecItem>
          </Col>
          <Col span={12}>
            <SpecItem
              action="ImportImage"
              param="DiskDeviceMapping.OSSObject"
              name="object"
              label={t('import.object')}
              required
            >
              {source === 'bucket' ? (
                <Select
                  showSearch
                  loading={bucket !== undefined && !objects}
                  data-testid="import-object"
                  options={(objects ?? []).map((o) => ({
                    value: o.Key,
                    label: `${o.Key} (${formatBytes(o.Size)})`,
                  }))}
                />
              ) : (
                <Input
                  readOnly
                  placeholder={t('import.uploadFirst')}
                  data-testid="import-object-key"
                />
              )}
            </SpecItem>
          </Col>
        </Row>
        {source === 'upload' && (
          <div style={{ marginBottom: 16 }}>
            <UploadButton
              bucket={bucket}
              disabled={!bucket}
              label={t('import.pickFile')}
              onPicked={(file) => {
                setDetected(undefined);
                void detectFile(file).then(setDetected);
              }}
              onUploaded={(key) => {
                form.setFieldValue('object', key);
                void form.validateFields(['object']);
                setObjects((list) => [
                  ...(list ?? []).filter((o) => o.Key !== key),
                  { Key: key, Size: 0 },
                ]);
              }}
            />
          </div>
        )}
        {detected && (
          <Descriptions
            size="small"
            bordered
            column={2}
            style={{ marginBottom: 16 }}
            data-testid="detected-format"
          >
            <Descriptions.Item label={t('import.detected')}>
              {detected === 'unknown' ? (
                t('import.detectUnknown')
              ) : (
                <Tag color="blue">{detected.toUpperCase()}</Tag>
              )}
            </Descriptions.Item>
            {selectedObject && selectedObject.Size > 0 && (
              <Descriptions.Item label={t('buckets.size')}>
                {formatBytes(selectedObject.Size)}
              </Descriptions.Item>
            )}
          </Descriptions>
        )}

        <Typography.Title level={2} style={{ fontSize: 14 }}>
          {t('import.attributes')}
        </Typography.Title>
        <SpecItem
          action="ImportImage"
          param="ImageName"
          name="ImageName"
          label={t('images.field.name')}
          required
        >
          <Input data-testid="import-name" />
        </SpecItem>
        <SpecItem
          action="ImportImage"
          param="Description"
          name="Description"
          label={t('images.field.description')}
        >
          <Input.TextArea autoSize={{ minRows: 2, maxRows: 4 }} />
        </SpecItem>
        <Row gutter={16}>
          <Col span={12}>
            <SpecItem
              action="ImportImage"
              param="DiskDeviceMapping.Format"
              name="Format"
              label={t('import.format')}
              extra={t('import.formatHint')}
              listed
            >
              <Select
                allowClear
                placeholder={
                  detected && detected !== 'unknown' && importFormat(detected)
                    ? t('import.autoAs', { format: importFormat(detected) })
                    : t('import.auto')
                }
                options={formats.map((f) => ({ value: f, label: f }))}
              />
            </SpecItem>
          </Col>
          <Col span={12}>
            <SpecItem
              action="ImportImage"
              param="DiskDeviceMapping.DiskImageSize"
              name="DiskImageSize"
              label={t('import.size')}
            >
              <InputNumber style={{ width: '100%' }} suffix="GiB" data-testid="import-size" />
            </SpecItem>
          </Col>
          <Col span={12}>
            <SpecItem
              action="ImportImage"
              param="OSType"
              name="OSType"
              label={t('images.filter.osType')}
              listed
            >
              <Select options={osTypes.map((v) => ({ value: v, label: v }))} />
            </SpecItem>
          </Col>
          <Col span={12}>
            <SpecItem
              action="ImportImage"
              param="Architecture"
              name="Architecture"
              label={t('images.filter.architecture')}
              listed
            >
              <Select options={architectures.map((v) => ({ value: v, label: v }))} />
            </SpecItem>
          </Col>
          <Col span={12}>
            <SpecItem
              action="ImportImage"
              param="Platform"
              name="Platform"
              label={t('import.platform')}
            >
              {platforms.length ? (
                <Select
                  allowClear
                  showSearch
                  options={platforms.map((v) => ({ value: v, label: v }))}
                />
              ) : (
                <Input />
              )}
            </SpecItem>
          </Col>
          <Col span={12}>
            <SpecItem
              action="ImportImage"
              param="BootMode"
              name="BootMode"
              label={t('import.bootMode')}
              listed
            >
              <Select allowClear options={bootModes.map((v) => ({ value: v, label: v }))} />
            </SpecItem>
          </Col>
        </Row>
      </Form>
    </Modal>
  );
}
