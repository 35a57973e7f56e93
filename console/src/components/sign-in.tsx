/**
 * Sign-in with an API key (Bearer) or an AccessKey pair (ACS3 signed in the browser). The
 * credentials are checked with DescribeRegions before they are kept.
 */
import { Alert, Button, Card, Checkbox, Form, Input, Tabs, Typography } from 'antd';
import { useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError, callAction } from '../api/client.js';
import { signIn, type Credentials } from '../api/session.js';
import { LanguageSwitcher } from './console-layout.js';
import { ErrorDetails, toApiError } from './error-notice.js';

interface Values {
  apiKey?: string;
  accessKeyId?: string;
  accessKeySecret?: string;
  remember?: boolean;
}

export function SignIn() {
  const { t } = useTranslation();
  const [kind, setKind] = useState<Credentials['kind']>('apiKey');
  const [error, setError] = useState<ApiError>();
  const [busy, setBusy] = useState(false);

  const submit = async (values: Values) => {
    const credentials: Credentials =
      kind === 'apiKey'
        ? { kind, apiKey: values.apiKey!.trim() }
        : {
            kind,
            accessKeyId: values.accessKeyId!.trim(),
            accessKeySecret: values.accessKeySecret!.trim(),
          };
    setBusy(true);
    setError(undefined);
    try {
      await callAction('DescribeRegions', {}, { credentials });
      const label =
        credentials.kind === 'apiKey'
          ? `${credentials.apiKey.slice(0, 8)}…`
          : credentials.accessKeyId;
      signIn({ credentials, label, remember: !!values.remember });
    } catch (err) {
      setError(toApiError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main
      style={{
        minHeight: '100vh',
        display: 'flex',
        alignItems: 'center',
        justifyContent: 'center',
        background: 'linear-gradient(160deg, #1f2329 0%, #3a3f47 100%)',
      }}
    >
      <Card style={{ width: 440 }} title={t('signIn.title')} extra={<LanguageSwitcher />}>
        <Typography.Paragraph type="secondary">{t('signIn.intro')}</Typography.Paragraph>
        <Tabs
          activeKey={kind}
          onChange={(k) => setKind(k as Credentials['kind'])}
          items={[
            { key: 'apiKey', label: t('signIn.kind.apiKey') },
            { key: 'accessKey', label: t('signIn.kind.accessKey') },
          ]}
        />
        <Form layout="vertical" onFinish={submit} requiredMark={false} key={kind}>
          {kind === 'apiKey' ? (
            <Form.Item
              name="apiKey"
              label={t('signIn.apiKey')}
              rules={[{ required: true, whitespace: true, message: t('signIn.required') }]}
            >
              <Input.Password autoFocus autoComplete="off" data-testid="api-key" />
            </Form.Item>
          ) : (
            <>
              <Form.Item
                name="accessKeyId"
                label={t('signIn.accessKeyId')}
                rules={[{ required: true, whitespace: true, message: t('signIn.required') }]}
              >
                <Input autoFocus autoComplete="off" data-testid="access-key-id" />
              </Form.Item>
              <Form.Item
                name="accessKeySecret"
                label={t('signIn.accessKeySecret')}
                rules={[{ required: true, whitespace: true, message: t('signIn.required') }]}
              >
                <Input.Password autoComplete="off" data-testid="access-key-secret" />
              </Form.Item>
            </>
          )}
          <Form.Item name="remember" valuePropName="checked" extra={t('signIn.rememberHint')}>
            <Checkbox>{t('signIn.remember')}</Checkbox>
          </Form.Item>
          {error && (
            <Alert
              type="error"
              showIcon
              style={{ marginBottom: 16 }}
              title={<span className="ecsimg-mono">{error.code}</span>}
              description={<ErrorDetails error={error} />}
            />
          )}
          <Button type="primary" htmlType="submit" block loading={busy} data-testid="sign-in">
            {t('signIn.submit')}
          </Button>
        </Form>
        <Typography.Paragraph type="secondary" style={{ marginTop: 16, marginBottom: 0 }}>
          {t('signIn.where')}
        </Typography.Paragraph>
      </Card>
    </main>
  );
}
