/**
 * Export image: write an image's disk into a bucket of the same region, in a chosen format.
 * The result is a task; the Tasks page follows it and the Buckets page downloads the file.
 */
import { Alert, App, Form, Input, Modal, Select } from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { EXPORT_ROLE, listBuckets, type Bucket } from '../../api/oss.js';
import { callAction } from '../../api/client.js';
import { useSpecs } from '../../api/specs.js';
import type { Image } from '../../api/types.js';
import { useShowError } from '../../components/error-notice.js';
import { SpecItem } from '../../forms/spec-item.js';
import { findParam } from '../../forms/spec-rules.js';
import { hrefFor } from '../../router.js';
import { RoleCheck } from './role-check.js';

const EXPORT_FORMATS = ['raw', 'vhd', 'qcow2', 'vmdk', 'vdi'];

interface Values {
  OSSBucket: string;
  OSSPrefix?: string;
  ImageFormat: string;
}

export function ExportImageDialog(props: { image: Image; region: string; onClose(): void }) {
  const { t } = useTranslation();
  const { notification } = App.useApp();
  const showError = useShowError();
  const specs = useSpecs();
  const [form] = Form.useForm<Values>();
  const [buckets, setBuckets] = useState<Bucket[]>();
  const [busy, setBusy] = useState(false);
  const spec = specs?.get('ExportImage');
  const formatSpec = spec && findParam(spec.params, 'ImageFormat');
  const formats =
    formatSpec?.type === 'string' && formatSpec.enum ? [...formatSpec.enum] : EXPORT_FORMATS;

  useEffect(() => {
    listBuckets(props.region)
      .then(setBuckets)
      .catch((err) => {
        showError(err);
        setBuckets([]);
      });
  }, [props.region, showError]);

  const submit = async (values: Values) => {
    setBusy(true);
    try {
      const body = await callAction<{ TaskId: string }>('ExportImage', {
        RegionId: props.region,
        ImageId: props.image.ImageId,
        ...values,
      });
      notification.success({
        title: t('export.started', { id: props.image.ImageId }),
        description: (
          <a href={hrefFor('/tasks', { id: body.TaskId })}>
            {t('export.follow', { task: body.TaskId })}
          </a>
        ),
      });
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
      title={t('export.title', { id: props.image.ImageId })}
      okText={t('export.submit')}
      onOk={() => form.submit()}
      onCancel={props.onClose}
      confirmLoading={busy}
      okButtonProps={{ disabled: specs && !spec, 'data-testid': 'export-submit' } as never}
      width={560}
    >
      {specs && !spec && (
        <Alert
          type="info"
          showIcon
          style={{ marginBottom: 16 }}
          title={t('common.notOffered', { action: 'ExportImage' })}
        />
      )}
      <RoleCheck role={EXPORT_ROLE} />
      <Form
        form={form}
        layout="vertical"
        onFinish={submit}
        initialValues={{ ImageFormat: formats[0] }}
      >
        <SpecItem
          action="ExportImage"
          param="OSSBucket"
          name="OSSBucket"
          label={t('export.bucket')}
          required
          listed
        >
          <Select
            loading={!buckets}
            data-testid="export-bucket"
            options={(buckets ?? []).map((b) => ({ value: b.Name, label: b.Name }))}
            notFoundContent={<a href="#/buckets">{t('export.noBuckets')}</a>}
          />
        </SpecItem>
        <SpecItem
          action="ExportImage"
          param="OSSPrefix"
          name="OSSPrefix"
          label={t('export.prefix')}
        >
          <Input data-testid="export-prefix" />
        </SpecItem>
        <SpecItem
          action="ExportImage"
          param="ImageFormat"
          name="ImageFormat"
          label={t('export.format')}
          listed
        >
          <Select
            data-testid="export-format"
            options={formats.map((f) => ({ value: f, label: f.toUpperCase() }))}
          />
        </SpecItem>
      </Form>
    </Modal>
  );
}
