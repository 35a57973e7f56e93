/**
 * Picks a local file and uploads it into a bucket, showing progress; used by the Buckets page and
 * the Import image dialog.
 */
import { UploadOutlined } from '@ant-design/icons';
import { Button, Progress, Space, Typography } from 'antd';
import { useEffect, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { uploadObject } from '../../api/oss.js';
import { useShowError } from '../../components/error-notice.js';

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = -1;
  do {
    v /= 1024;
    i += 1;
  } while (v >= 1024 && i < units.length - 1);
  return `${v.toFixed(v < 10 ? 1 : 0)} ${units[i]}`;
}

export function UploadButton(props: {
  bucket: string;
  /** Key for the file; default: the file's name. */
  keyFor?: (file: File) => string;
  onPicked?: (file: File) => void;
  onUploaded: (key: string, file: File) => void;
  disabled?: boolean;
  label?: string;
}) {
  const { t } = useTranslation();
  const showError = useShowError();
  const input = useRef<HTMLInputElement>(null);
  const abort = useRef<() => void>(undefined);
  const [state, setState] = useState<{ name: string; loaded: number; total: number }>();

  useEffect(() => () => abort.current?.(), []);

  const start = async (file: File) => {
    props.onPicked?.(file);
    const key = props.keyFor?.(file) ?? file.name;
    setState({ name: file.name, loaded: 0, total: file.size });
    const upload = uploadObject(props.bucket, key, file, (loaded, total) =>
      setState({ name: file.name, loaded, total }),
    );
    abort.current = upload.abort;
    try {
      await upload.done;
      props.onUploaded(key, file);
    } catch (err) {
      showError(err);
    } finally {
      abort.current = undefined;
      setState(undefined);
    }
  };

  return (
    <Space orientation="vertical" style={{ width: state ? '100%' : undefined }}>
      <input
        ref={input}
        type="file"
        style={{ display: 'none' }}
        aria-hidden
        data-testid="upload-input"
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (file) void start(file);
        }}
      />
      <Button
        icon={<UploadOutlined />}
        disabled={props.disabled || !!state}
        onClick={() => input.current?.click()}
      >
        {props.label ?? t('buckets.upload')}
      </Button>
      {state && (
        <div data-testid="upload-progress">
          <Typography.Text>
            {t('buckets.uploading', { name: state.name })} — {formatBytes(state.loaded)} /{' '}
            {formatBytes(state.total)}
          </Typography.Text>
          <Space>
            <Progress
              percent={state.total ? Math.floor((state.loaded / state.total) * 100) : 0}
              style={{ width: 280 }}
              aria-label={t('buckets.uploadProgress')}
            />
            <Button size="small" onClick={() => abort.current?.()}>
              {t('common.cancel')}
            </Button>
          </Space>
        </div>
      )}
    </Space>
  );
}
