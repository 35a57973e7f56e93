/**
 * Dialogs on one custom image: modify attributes, deprecate / restore, delete. Fields take their
 * rules from the server's declarations (SpecItem), so a bad name is refused before it is sent.
 */
import {
  Alert,
  App,
  Checkbox,
  Descriptions,
  Form,
  Input,
  Modal,
  Spin,
  Tag,
  Typography,
} from 'antd';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { callAction } from '../../api/client.js';
import { loadSpecs } from '../../api/specs.js';
import type { DescribeTasksBody, Image, TaskSummary } from '../../api/types.js';
import { useShowError } from '../../components/error-notice.js';
import { SpecItem } from '../../forms/spec-item.js';
import { hrefFor } from '../../router.js';
import { sharingScope } from './image-filter.js';

interface DialogProps {
  image: Image;
  region: string;
  onClose(): void;
  onDone(): void;
}

interface ModifyValues {
  ImageName?: string;
  Description?: string;
  ImageFamily?: string;
}

export function ModifyImageDialog({ image, region, onClose, onDone }: DialogProps) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const showError = useShowError();
  const [form] = Form.useForm<ModifyValues>();
  const [busy, setBusy] = useState(false);

  const submit = async (values: ModifyValues) => {
    // Send only what changed: unset attributes keep their value on the server.
    const changed: Record<string, string> = {};
    for (const key of ['ImageName', 'Description', 'ImageFamily'] as const) {
      const value = values[key]?.trim() ?? '';
      if (value !== (image[key] ?? '') && value !== '') changed[key] = value;
    }
    if (Object.keys(changed).length === 0) return onClose();

    setBusy(true);
    try {
      await callAction('ModifyImageAttribute', {
        RegionId: region,
        ImageId: image.ImageId,
        ...changed,
      });
      message.success(t('images.modify.done', { id: image.ImageId }));
      onDone();
      onClose();
    } catch (err) {
      showError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Modal
      open
      title={t('images.modify.title', { id: image.ImageId })}
      okText={t('common.save')}
      onOk={() => form.submit()}
      onCancel={onClose}
      confirmLoading={busy}
      destroyOnHidden
      width={560}
    >
      <Form
        form={form}
        layout="vertical"
        onFinish={submit}
        initialValues={{
          ImageName: image.ImageName,
          Description: image.Description,
          ImageFamily: image.ImageFamily,
        }}
      >
        <SpecItem
          action="ModifyImageAttribute"
          param="ImageName"
          name="ImageName"
          label={t('images.field.name')}
        >
          <Input data-testid="modify-name" />
        </SpecItem>
        <SpecItem
          action="ModifyImageAttribute"
          param="Description"
          name="Description"
          label={t('images.field.description')}
        >
          <Input.TextArea autoSize={{ minRows: 2, maxRows: 5 }} />
        </SpecItem>
        <SpecItem
          action="ModifyImageAttribute"
          param="ImageFamily"
          name="ImageFamily"
          label={t('images.field.family')}
        >
          <Input />
        </SpecItem>
      </Form>
    </Modal>
  );
}

/** Deprecate (or restore) after a confirmation that says what it means. */
export function useDeprecate(region: string, onDone: () => void) {
  const { t } = useTranslation();
  const { modal, message } = App.useApp();
  const showError = useShowError();

  return (image: Image, deprecate: boolean) => {
    modal.confirm({
      title: t(deprecate ? 'images.deprecate.title' : 'images.restore.title', {
        id: image.ImageId,
      }),
      content: t(deprecate ? 'images.deprecate.body' : 'images.restore.body'),
      okText: t(deprecate ? 'images.action.deprecate' : 'images.action.restore'),
      cancelText: t('common.cancel'),
      onOk: async () => {
        try {
          await callAction('ModifyImageAttribute', {
            RegionId: region,
            ImageId: image.ImageId,
            Status: deprecate ? 'Deprecated' : 'Available',
          });
          message.success(
            t(deprecate ? 'images.deprecate.done' : 'images.restore.done', { id: image.ImageId }),
          );
          onDone();
        } catch (err) {
          showError(err);
        }
      },
    });
  };
}

interface Dependents {
  tasks: TaskSummary[];
  /** Accounts the image is shared with; undefined when the server cannot say. */
  shares?: string[];
  instances?: string[];
  unchecked: string[];
}

/** What still refers to an image: running tasks, shares, instances (each when the server offers it). */
async function loadDependents(image: Image, region: string): Promise<Dependents> {
  const specs = await loadSpecs();
  const result: Dependents = { tasks: [], unchecked: [] };

  if (specs.has('DescribeTasks')) {
    const body = await callAction<DescribeTasksBody>('DescribeTasks', {
      RegionId: region,
      ResourceIds: [image.ImageId],
      TaskStatus: 'Processing',
      PageSize: 100,
    });
    result.tasks = body.TaskSet?.Task ?? [];
  } else result.unchecked.push('DescribeTasks');

  if (specs.has('DescribeImageSharePermission')) {
    const body = await callAction<{ Accounts?: { Account?: Array<{ AliyunId: string }> } }>(
      'DescribeImageSharePermission',
      { RegionId: region, ImageId: image.ImageId, PageSize: 100 },
    );
    result.shares = (body.Accounts?.Account ?? []).map((a) => a.AliyunId);
  } else result.unchecked.push('DescribeImageSharePermission');

  if (specs.has('DescribeInstances')) {
    const body = await callAction<{ Instances?: { Instance?: Array<{ InstanceId: string }> } }>(
      'DescribeInstances',
      { RegionId: region, ImageId: image.ImageId, PageSize: 100 },
    );
    result.instances = (body.Instances?.Instance ?? []).map((i) => i.InstanceId);
  } else result.unchecked.push('DescribeInstances');
  return result;
}

export function DeleteImageDialog({ image, region, onClose, onDone }: DialogProps) {
  const { t } = useTranslation();
  const { message } = App.useApp();
  const showError = useShowError();
  const [dependents, setDependents] = useState<Dependents>();
  const [force, setForce] = useState(false);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    loadDependents(image, region)
      .then(setDependents)
      .catch((err) => {
        showError(err);
        setDependents({ tasks: [], unchecked: ['DescribeTasks'] });
      });
  }, [image, region, showError]);

  const scope = sharingScope(image);
  const submit = async () => {
    setBusy(true);
    try {
      await callAction('DeleteImage', {
        RegionId: region,
        ImageId: image.ImageId,
        Force: force || undefined,
      });
      message.success(t('images.delete.done', { id: image.ImageId }));
      onDone();
      onClose();
    } catch (err) {
      showError(err);
    } finally {
      setBusy(false);
    }
  };

  const blockers: string[] = [];
  if (dependents?.tasks.length)
    blockers.push(t('images.delete.tasks', { count: dependents.tasks.length }));
  if (scope === 'community') blockers.push(t('images.delete.public'));
  if (scope === 'shared' || dependents?.shares?.length) {
    blockers.push(t('images.delete.shared', { count: dependents?.shares?.length ?? 0 }));
  }

  return (
    <Modal
      open
      title={t('images.delete.title', { id: image.ImageId })}
      okText={t('images.action.delete')}
      okButtonProps={
        { danger: true, disabled: !dependents, 'data-testid': 'confirm-delete' } as never
      }
      onOk={submit}
      onCancel={onClose}
      confirmLoading={busy}
      width={600}
    >
      <Descriptions size="small" column={1} bordered style={{ marginBottom: 16 }}>
        <Descriptions.Item label={t('images.field.name')}>{image.ImageName}</Descriptions.Item>
        <Descriptions.Item label={t('images.col.status')}>
          {t(`images.status.${image.Status}`)}
        </Descriptions.Item>
        <Descriptions.Item label={t('images.col.scope')}>
          {t(`images.scope.${scope}`)}
        </Descriptions.Item>
      </Descriptions>

      <Typography.Title level={2} style={{ fontSize: 14 }}>
        {t('images.delete.dependents')}
      </Typography.Title>
      {!dependents ? (
        <Spin />
      ) : (
        <div data-testid="delete-dependents">
          <Descriptions size="small" column={1} bordered styles={{ label: { width: 170 } }}>
            <Descriptions.Item label={t('images.delete.runningTasks')}>
              {dependents.tasks.length
                ? dependents.tasks.map((task) => (
                    <Tag key={task.TaskId}>
                      <a href={hrefFor('/tasks', { id: task.TaskId })}>{task.TaskId}</a> ·{' '}
                      {task.TaskAction}
                    </Tag>
                  ))
                : t('common.none')}
            </Descriptions.Item>
            <Descriptions.Item label={t('images.delete.sharedWith')}>
              {dependents.shares
                ? dependents.shares.length
                  ? dependents.shares.join(', ')
                  : t('common.none')
                : t(`images.scope.${scope}`)}
            </Descriptions.Item>
            <Descriptions.Item label={t('images.delete.instances')}>
              {dependents.instances
                ? dependents.instances.length
                  ? dependents.instances.join(', ')
                  : t('common.none')
                : t('images.delete.notChecked')}
            </Descriptions.Item>
          </Descriptions>
          {blockers.length > 0 && (
            <Alert
              type="warning"
              showIcon
              style={{ marginTop: 12 }}
              title={t('images.delete.blocked')}
              description={
                <ul style={{ margin: 0, paddingLeft: 18 }}>
                  {blockers.map((b) => (
                    <li key={b}>{b}</li>
                  ))}
                </ul>
              }
            />
          )}
          {!!dependents.instances?.length && (
            <Checkbox
              checked={force}
              onChange={(e) => setForce(e.target.checked)}
              style={{ marginTop: 12 }}
            >
              {t('images.delete.force')}
            </Checkbox>
          )}
          <Typography.Paragraph type="danger" style={{ marginTop: 12, marginBottom: 0 }}>
            {t('images.delete.irreversible')}
          </Typography.Paragraph>
        </div>
      )}
    </Modal>
  );
}
