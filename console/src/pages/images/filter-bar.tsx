/**
 * The Advanced Filter of the Images page. Its values are the URL's, so applying a filter changes
 * the address (shareable, survives reload) and the page reads it back from there.
 */
import { FilterOutlined } from '@ant-design/icons';
import { Badge, Button, Card, Col, DatePicker, Flex, Form, Input, Row, Select } from 'antd';
import dayjs, { type Dayjs } from 'dayjs';
import { useEffect, useState, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { useSpecs } from '../../api/specs.js';
import { findParam } from '../../forms/spec-rules.js';
import {
  activeFilterCount,
  IMAGE_STATUSES,
  parseTagInput,
  SHARING_SCOPES,
  toFilterTime,
  type ImageFilter,
} from './image-filter.js';

interface FormValues {
  imageId?: string;
  status?: string[];
  osType?: string;
  architecture?: string;
  family?: string;
  tags?: string[];
  range?: [Dayjs | null, Dayjs | null] | null;
  scope?: ImageFilter['scope'];
}

function toForm(f: ImageFilter): FormValues {
  return {
    imageId: f.imageId,
    status: f.status,
    osType: f.osType,
    architecture: f.architecture,
    family: f.family,
    tags: f.tags.map((t) => (t.value ? `${t.key}=${t.value}` : t.key)),
    range: f.from || f.to ? [f.from ? dayjs(f.from) : null, f.to ? dayjs(f.to) : null] : null,
    scope: f.scope,
  };
}

/** Enum values from the server's declaration of DescribeImages, or the documented ones. */
function useEnum(param: string, fallback: string[]): string[] {
  const specs = useSpecs();
  const spec = specs?.get('DescribeImages');
  const p = spec && findParam(spec.params, param);
  return p && p.type === 'string' && p.enum ? [...p.enum] : fallback;
}

export function FilterBar(props: {
  filter: ImageFilter;
  onChange: (f: ImageFilter) => void;
  extra?: ReactNode;
}) {
  const { t } = useTranslation();
  const { filter, onChange } = props;
  const [open, setOpen] = useState(() => activeFilterCount(filter) > (filter.name ? 1 : 0));
  const [name, setName] = useState(filter.name ?? '');
  const [form] = Form.useForm<FormValues>();
  const osTypes = useEnum('OSType', ['windows', 'linux']);
  const architectures = useEnum('Architecture', ['i386', 'x86_64', 'arm64']);

  // The URL is the truth: follow it when it changes (back button, shared link).
  useEffect(() => {
    setName(filter.name ?? '');
    form.setFieldsValue(toForm(filter));
  }, [filter, form]);

  const apply = (values: FormValues) => {
    const [from, to] = values.range ?? [];
    onChange({
      ...filter,
      name: name.trim() || undefined,
      imageId: values.imageId?.trim() || undefined,
      status: values.status ?? [],
      osType: values.osType,
      architecture: values.architecture,
      family: values.family?.trim() || undefined,
      tags: (values.tags ?? []).map(parseTagInput).filter((tag) => tag.key),
      from: from ? toFilterTime(from.toDate()) : undefined,
      to: to ? toFilterTime(to.toDate()) : undefined,
      scope: values.scope,
    });
  };

  const reset = () => {
    setName('');
    form.resetFields();
    onChange({ tab: filter.tab, status: [], tags: [], page: 1, pageSize: filter.pageSize });
  };

  const count = activeFilterCount(filter);

  return (
    <div style={{ marginBottom: 12 }}>
      <Flex gap={8} wrap>
        <Input.Search
          aria-label={t('images.filter.name')}
          placeholder={t('images.filter.namePlaceholder')}
          value={name}
          allowClear
          onChange={(e) => setName(e.target.value)}
          onSearch={() => apply(form.getFieldsValue())}
          style={{ width: 320 }}
          data-testid="filter-name"
        />
        <Badge count={count} size="small" color="#ff6a00">
          <Button
            icon={<FilterOutlined />}
            onClick={() => setOpen((o) => !o)}
            aria-expanded={open}
            aria-controls="advanced-filter"
            data-testid="filter-toggle"
          >
            {t('images.filter.advanced')}
          </Button>
        </Badge>
        {count > 0 && (
          <Button type="link" onClick={reset}>
            {t('images.filter.clear')}
          </Button>
        )}
        <div style={{ flex: 1 }} />
        {props.extra}
      </Flex>
      <Card
        id="advanced-filter"
        size="small"
        hidden={!open}
        style={{ marginTop: 8, display: open ? undefined : 'none' }}
      >
        <Form form={form} layout="vertical" onFinish={apply} initialValues={toForm(filter)}>
          <Row gutter={16}>
            <Col xs={24} md={12} xl={6}>
              <Form.Item name="imageId" label={t('images.filter.imageId')}>
                <Input placeholder="m-…" allowClear data-testid="filter-image-id" />
              </Form.Item>
            </Col>
            <Col xs={24} md={12} xl={6}>
              <Form.Item
                name="status"
                label={t('images.filter.status')}
                extra={t('images.filter.statusHint')}
              >
                <Select
                  mode="multiple"
                  allowClear
                  placeholder={t('images.filter.allStatuses')}
                  data-testid="filter-status"
                  options={IMAGE_STATUSES.map((s) => ({
                    value: s,
                    label: t(`images.status.${s}`),
                  }))}
                />
              </Form.Item>
            </Col>
            <Col xs={24} md={12} xl={6}>
              <Form.Item name="osType" label={t('images.filter.osType')}>
                <Select
                  allowClear
                  placeholder={t('images.filter.any')}
                  options={osTypes.map((v) => ({ value: v, label: v }))}
                />
              </Form.Item>
            </Col>
            <Col xs={24} md={12} xl={6}>
              <Form.Item name="architecture" label={t('images.filter.architecture')}>
                <Select
                  allowClear
                  placeholder={t('images.filter.any')}
                  options={architectures.map((v) => ({ value: v, label: v }))}
                />
              </Form.Item>
            </Col>
            <Col xs={24} md={12} xl={6}>
              <Form.Item name="family" label={t('images.filter.family')}>
                <Input allowClear />
              </Form.Item>
            </Col>
            <Col xs={24} md={12} xl={6}>
              <Form.Item
                name="tags"
                label={t('images.filter.tags')}
                extra={t('images.filter.tagsHint')}
              >
                <Select
                  mode="tags"
                  allowClear
                  tokenSeparators={[',']}
                  open={false}
                  suffixIcon={null}
                />
              </Form.Item>
            </Col>
            <Col xs={24} md={12} xl={filter.tab === 'self' ? 6 : 12}>
              <Form.Item name="range" label={t('images.filter.created')}>
                <DatePicker.RangePicker
                  showTime={{ format: 'HH:mm' }}
                  format="YYYY-MM-DD HH:mm"
                  allowEmpty={[true, true]}
                  style={{ width: '100%' }}
                />
              </Form.Item>
            </Col>
            {filter.tab === 'self' && (
              <Col xs={24} md={12} xl={6}>
                <Form.Item name="scope" label={t('images.filter.scope')}>
                  <Select
                    allowClear
                    placeholder={t('images.filter.any')}
                    options={SHARING_SCOPES.map((s) => ({
                      value: s,
                      label: t(`images.scope.${s}`),
                    }))}
                  />
                </Form.Item>
              </Col>
            )}
          </Row>
          <Flex gap={8} justify="flex-end">
            <Button onClick={reset}>{t('common.reset')}</Button>
            <Button type="primary" htmlType="submit" data-testid="filter-apply">
              {t('images.filter.apply')}
            </Button>
          </Flex>
        </Form>
      </Card>
    </div>
  );
}
