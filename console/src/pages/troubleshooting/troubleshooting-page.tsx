/**
 * Troubleshooting: look up an error code, or paste a whole error (the JSON body, an SDK exception,
 * a CLI line) and get its cause and fix from the error catalogue in the chosen language.
 * Error notices everywhere link here with `?code=…&requestId=…`.
 */
import { Button, Card, Descriptions, Empty, Input, Space, Table, Tag, Typography } from 'antd';
import { useEffect, useMemo, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { extractCodes, findEntry, useCatalogue, type CatalogueEntry } from '../../api/catalogue.js';
import { PageHeader } from '../../components/page-header.js';
import { hrefFor, navigate, useRoute } from '../../router.js';

/** Codes the console itself produces (no server involved), explained from our own strings. */
const CONSOLE_CODES = ['NetworkError', 'ConsoleError', 'NotSignedIn'];

/** A catalogue message without its request's values: `{imageId}` placeholders read as "…". */
function genericMessage(text: string): string {
  return text.replace(/\{\w+\}/g, '…');
}

function EntryCard({ entry, requestId }: { entry: CatalogueEntry; requestId?: string }) {
  const { t, i18n } = useTranslation();
  const lang = i18n.language === 'zh' ? 'zh' : 'en';
  return (
    <Card
      data-testid="error-entry"
      title={
        <Space>
          <span className="ecsimg-mono" style={{ fontSize: 15 }}>
            {entry.code}
          </span>
          {entry.status > 0 && (
            <Tag color={entry.status >= 500 ? 'red' : 'orange'}>HTTP {entry.status}</Tag>
          )}
        </Space>
      }
    >
      <Descriptions column={1} bordered size="small" styles={{ label: { width: 140 } }}>
        <Descriptions.Item label={t('trouble.message')}>
          {genericMessage(entry.message[lang])}
        </Descriptions.Item>
        <Descriptions.Item label={t('trouble.cause')}>{entry.cause[lang]}</Descriptions.Item>
        <Descriptions.Item label={t('trouble.fix')}>
          <Typography.Text strong>{entry.fix[lang]}</Typography.Text>
        </Descriptions.Item>
        {requestId && (
          <Descriptions.Item label="RequestId">
            <Typography.Text copyable className="ecsimg-mono">
              {requestId}
            </Typography.Text>
          </Descriptions.Item>
        )}
      </Descriptions>
    </Card>
  );
}

export default function TroubleshootingPage() {
  const { t, i18n } = useTranslation();
  const route = useRoute();
  const catalogue = useCatalogue();
  const urlCode = route.query.get('code') ?? '';
  const urlText = route.query.get('q') ?? '';
  const requestIdFromUrl = route.query.get('requestId') ?? undefined;
  const [draft, setDraft] = useState(urlText || urlCode);
  const input = urlText || urlCode;
  useEffect(() => setDraft(input), [input]);

  const consoleEntries = useMemo(() => {
    const map = new Map<string, CatalogueEntry>();
    for (const code of CONSOLE_CODES) {
      map.set(code, {
        code,
        status: 0,
        message: {
          en: t(`trouble.local.${code}.message`, { lng: 'en' }),
          zh: t(`trouble.local.${code}.message`, { lng: 'zh' }),
        },
        cause: {
          en: t(`trouble.local.${code}.cause`, { lng: 'en' }),
          zh: t(`trouble.local.${code}.cause`, { lng: 'zh' }),
        },
        fix: {
          en: t(`trouble.local.${code}.fix`, { lng: 'en' }),
          zh: t(`trouble.local.${code}.fix`, { lng: 'zh' }),
        },
      });
    }
    return map;
  }, [t]);

  const all = useMemo(
    () => new Map([...(catalogue ?? new Map()), ...consoleEntries]),
    [catalogue, consoleEntries],
  );

  const found = useMemo(() => (input ? extractCodes(input, all) : { codes: [] }), [input, all]);
  const requestId = requestIdFromUrl ?? found.requestId;
  const matches = found.codes.map((c) => findEntry(all, c)!).filter(Boolean);

  const needle = input.trim().toLowerCase();
  const suggestions = useMemo(
    () =>
      [...all.values()].filter(
        (e) =>
          !needle ||
          e.code.toLowerCase().includes(needle) ||
          e.message.en.toLowerCase().includes(needle) ||
          e.message.zh.includes(needle),
      ),
    [all, needle],
  );

  const search = (value: string) => {
    const text = value.trim();
    // A bare code goes in `code` (the form error links use), anything longer in `q`.
    const isCode = /^[A-Za-z][\w.]*$/.test(text);
    navigate('/troubleshooting', isCode ? { code: text } : { q: text });
  };

  return (
    <>
      <PageHeader title={t('nav.troubleshooting')} subtitle={t('trouble.intro')} />
      <Space orientation="vertical" size="large" style={{ width: '100%' }}>
        <Card>
          <label
            htmlFor="trouble-input"
            style={{ display: 'block', marginBottom: 8, fontWeight: 500 }}
          >
            {t('trouble.inputLabel')}
          </label>
          <Input.TextArea
            id="trouble-input"
            data-testid="trouble-input"
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            autoSize={{ minRows: 2, maxRows: 8 }}
            placeholder={t('trouble.placeholder')}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey || !draft.includes('\n'))) {
                e.preventDefault();
                search(draft);
              }
            }}
          />
          <Space style={{ marginTop: 12 }}>
            <Button type="primary" onClick={() => search(draft)} data-testid="trouble-search">
              {t('trouble.search')}
            </Button>
            <Typography.Text type="secondary">{t('trouble.hint')}</Typography.Text>
          </Space>
        </Card>

        {input && matches.length > 0 && (
          <Space orientation="vertical" size="middle" style={{ width: '100%' }}>
            {matches.map((entry) => (
              <EntryCard key={entry.code} entry={entry} requestId={requestId} />
            ))}
          </Space>
        )}
        {input && catalogue && matches.length === 0 && (
          <Card>
            <Empty description={t('trouble.noMatch', { input: input.slice(0, 80) })} />
          </Card>
        )}

        <Card title={input && matches.length === 0 ? t('trouble.similar') : t('trouble.all')}>
          <Table
            rowKey="code"
            size="small"
            loading={!catalogue}
            dataSource={suggestions}
            pagination={{ pageSize: 15, showSizeChanger: false }}
            columns={[
              {
                title: t('trouble.code'),
                dataIndex: 'code',
                render: (code: string) => (
                  <a className="ecsimg-mono" href={hrefFor('/troubleshooting', { code })}>
                    {code}
                  </a>
                ),
              },
              { title: 'HTTP', dataIndex: 'status', width: 80 },
              {
                title: t('trouble.message'),
                render: (_: unknown, e: CatalogueEntry) =>
                  genericMessage(i18n.language === 'zh' ? e.message.zh : e.message.en),
              },
            ]}
          />
        </Card>
      </Space>
    </>
  );
}
