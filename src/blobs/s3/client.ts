/**
 * One S3 client per process for chunks and bucket objects, built from `S3Config`.
 *
 * Compatibility: the SDK's newer flexible checksums (CRC32 trailers in aws-chunked bodies) are
 * turned off unless an operation requires them, because MinIO, Ceph, OSS and s3rver do not all
 * accept them; plain Content-MD5-free PUTs work everywhere.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { S3Config } from '../../config/index.js';

export function createS3Client(config: S3Config): S3Client {
  return new S3Client({
    region: config.region,
    endpoint: config.endpoint,
    forcePathStyle: config.forcePathStyle,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    ...(config.accessKeyId && config.secretAccessKey
      ? {
          credentials: {
            accessKeyId: config.accessKeyId,
            secretAccessKey: config.secretAccessKey,
          },
        }
      : {}),
  });
}

/** True for the SDK's ways of saying "no such key" (404 on HEAD has no error body). */
export function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e?.name === 'NotFound' || e?.name === 'NoSuchKey' || e?.$metadata?.httpStatusCode === 404;
}

/** Joins the configured prefix and a relative key (`chunks/…`, `buckets/…`). */
export function prefixed(config: Pick<S3Config, 'prefix'>, key: string): string {
  return `${config.prefix}${key}`;
}
