/**
 * How the console shows a failed call: the cloud's code, the message in the chosen language, the
 * RequestId, and a link to the troubleshooting page for that code. Every page uses this.
 */
import { App, Typography } from 'antd';
import { useCallback } from 'react';
import { useTranslation } from 'react-i18next';
import { findEntry, localizeMessage, useCatalogue } from '../api/catalogue.js';
import { ApiError } from '../api/client.js';
import { hrefFor } from '../router.js';

export function troubleshootingHref(code: string, requestId?: string): string {
  return hrefFor('/troubleshooting', { code, requestId });
}

/** The body of an error notice or alert; re-renders in the new language when it changes. */
export function ErrorDetails({ error }: { error: ApiError }) {
  const { t, i18n } = useTranslation();
  const catalogue = useCatalogue();
  const entry = catalogue && findEntry(catalogue, error.code);
  const lang = i18n.language === 'zh' ? 'zh' : 'en';

  let message = error.message;
  if (error.code === 'NetworkError') message = t('errors.network');
  else if (entry) message = localizeMessage(entry, error.message, lang);

  return (
    <div data-testid="error-details">
      <Typography.Paragraph style={{ marginBottom: 4 }}>{message}</Typography.Paragraph>
      {entry?.fix[lang] && (
        <Typography.Paragraph type="secondary" style={{ marginBottom: 4 }}>
          {t('errors.fix')}: {entry.fix[lang]}
        </Typography.Paragraph>
      )}
      {error.requestId && (
        <Typography.Text type="secondary" className="ecsimg-mono">
          RequestId: {error.requestId}
        </Typography.Text>
      )}
      <div>
        <a href={troubleshootingHref(error.code, error.requestId)}>{t('errors.troubleshoot')}</a>
      </div>
    </div>
  );
}

export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  return new ApiError({
    code: 'ConsoleError',
    message: err instanceof Error ? err.message : String(err),
    status: 0,
    action: '',
  });
}

/** Returns a function that shows any failure as a notice (AbortError is ignored). */
export function useShowError(): (err: unknown) => void {
  const { notification } = App.useApp();
  return useCallback(
    (err: unknown) => {
      if ((err as Error)?.name === 'AbortError') return;
      const error = toApiError(err);
      notification.error({
        key: `${error.code}:${error.requestId ?? ''}`,
        title: <span className="ecsimg-mono">{error.code}</span>,
        description: <ErrorDetails error={error} />,
        duration: 12,
      });
    },
    [notification],
  );
}
