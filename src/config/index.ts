/**
 * Every setting of ecsimg, read once from the environment and validated with one schema.
 * A bad value stops start-up with a message naming the variable. `.env.example` lists them all.
 */
import path from 'node:path';
import { z } from 'zod';

export const DEFAULT_REGIONS = [
  'cn-hangzhou',
  'cn-shanghai',
  'cn-beijing',
  'cn-shenzhen',
  'ap-southeast-1',
  'us-west-1',
  'eu-central-1',
];

const commaList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .pipe(
    z.array(z.string().regex(/^[a-z]{2,}(-[a-z0-9]+)+$/, 'a region id such as cn-hangzhou')).min(1),
  );

const schema = z.object({
  ECSIMG_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  ECSIMG_HOST: z.string().default('127.0.0.1'),
  ECSIMG_DATA_DIR: z.string().default('./data'),
  ECSIMG_DATABASE_URL: z
    .string()
    .regex(/^(postgres(ql)?:\/\/|sqlite:)/, 'postgres://… or sqlite:PATH')
    .optional(),
  ECSIMG_REGIONS: commaList.optional(),
  ECSIMG_MASTER_KEY: z
    .string()
    .regex(/^[0-9a-f]{64}$/i, '64 hex characters (32 bytes)')
    .optional(),
  ECSIMG_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
  /** Requests per second per AccessKey; 0 turns rate limiting off (the default). */
  ECSIMG_RATE_LIMIT_RPS: z.coerce.number().min(0).default(0),
  ECSIMG_RATE_LIMIT_BURST: z.coerce.number().int().min(1).default(50),
  /** Memory for answers of repeated catalogue reads (DescribeImages); 0 turns the cache off. */
  ECSIMG_RESPONSE_CACHE_MB: z.coerce.number().min(0).max(4096).default(32),
  /** Run an embedded worker inside `serve` (default on). */
  ECSIMG_EMBEDDED_WORKER: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((v) => v === 'true' || v === '1'),
  /** Jobs one worker runs at the same time. */
  ECSIMG_WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(2),
  /** First wait of an idle worker between polls; doubles up to ECSIMG_WORKER_MAX_POLL_MS. */
  ECSIMG_WORKER_POLL_MS: z.coerce.number().int().min(10).default(1000),
  ECSIMG_WORKER_MAX_POLL_MS: z.coerce.number().int().min(10).default(5000),
  /** A job's lease; a worker silent for this long loses the job to another worker. */
  ECSIMG_JOB_LEASE_MS: z.coerce.number().int().min(100).default(30_000),
  /** How often a running job renews its lease and checks for CancelTask (default lease/3). */
  ECSIMG_JOB_HEARTBEAT_MS: z.coerce.number().int().min(10).optional(),
  /** Runs of one task (crashes and retryable failures included) before it is Failed. */
  ECSIMG_JOB_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(3),
  /** Wait before retrying a failed attempt; doubles per attempt. */
  ECSIMG_JOB_RETRY_DELAY_MS: z.coerce.number().int().min(0).default(5000),
  /** On SIGTERM, how long running jobs may finish before they are handed back to the queue. */
  ECSIMG_WORKER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  ECSIMG_ADMIN_ACCESS_KEY_ID: z.string().min(8).optional(),
  ECSIMG_ADMIN_ACCESS_KEY_SECRET: z.string().min(16).optional(),
  ECSIMG_ADMIN_API_KEY: z.string().min(16).optional(),
  /** Where chunks and bucket objects live: a folder under the data directory, or S3. */
  ECSIMG_CHUNK_STORE: z.enum(['fs', 's3']).default('fs'),
  ECSIMG_S3_ENDPOINT: z.string().url().optional(),
  ECSIMG_S3_REGION: z.string().default('us-east-1'),
  ECSIMG_S3_BUCKET: z.string().min(3).optional(),
  ECSIMG_S3_ACCESS_KEY_ID: z.string().optional(),
  ECSIMG_S3_SECRET_ACCESS_KEY: z.string().optional(),
  /** Key prefix inside the S3 bucket (e.g. `ecsimg/`), so one bucket can serve several uses. */
  ECSIMG_S3_PREFIX: z.string().default(''),
  /** Path-style addressing (MinIO, Ceph, s3rver need it); virtual-hosted style otherwise. */
  ECSIMG_S3_FORCE_PATH_STYLE: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((v) => v === 'true' || v === '1'),
  /**
   * Filesystem store: write chunks and exported files, and read chunks, with O_DIRECT where the
   * file system takes it (past the page cache: they are flushed at once or read once).
   */
  ECSIMG_DIRECT_IO: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((v) => v === 'true' || v === '1'),
  /** How often `serve` collects unreferenced chunks; 0 turns the periodic collector off. */
  ECSIMG_GC_INTERVAL_MS: z.coerce.number().int().min(0).default(3_600_000),
  /** Chunks younger than this are never collected (protects writes in flight). */
  ECSIMG_GC_GRACE_MS: z.coerce.number().int().min(0).default(3_600_000),
  /** The collector aborts multipart uploads initiated longer ago than this (default 7 days). */
  ECSIMG_MULTIPART_MAX_AGE_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(7 * 24 * 3_600_000),
  /** ImportImage: the system disk's DiskImageSize range in GiB (this deployment's rule). */
  ECSIMG_IMPORT_SYSTEM_DISK_MIN_GIB: z.coerce.number().int().min(1).default(40),
  ECSIMG_IMPORT_SYSTEM_DISK_MAX_GIB: z.coerce.number().int().min(1).default(500),
  /** ImportImage: a data disk's DiskImageSize range in GiB. */
  ECSIMG_IMPORT_DATA_DISK_MIN_GIB: z.coerce.number().int().min(1).default(1),
  ECSIMG_IMPORT_DATA_DISK_MAX_GIB: z.coerce.number().int().min(1).default(2048),
  /** ImportImage reads at most this many bytes of disk per second per task; 0 = no limit. */
  ECSIMG_IMPORT_MAX_BYTES_PER_SEC: z.coerce.number().int().min(0).default(0),
  /** ExportImage tasks waiting or running per account and region before ConcurrentQuotaExceed. */
  ECSIMG_EXPORT_CONCURRENCY: z.coerce.number().int().min(1).default(5),
  /** ExportImage tasks per account and region in any 7 days before WeeklyQuotaExceed; 0 = none. */
  ECSIMG_EXPORT_WEEKLY_QUOTA: z.coerce.number().int().min(0).default(0),
});

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** `sqlite:<file>` by default, or a PostgreSQL URL. */
  databaseUrl: string;
  regions: string[];
  masterKeyHex?: string;
  logLevel: string;
  rateLimit: { requestsPerSecond: number; burst: number };
  /** Bytes the gateway's response cache may hold (0: off). */
  responseCacheBytes: number;
  embeddedWorker: boolean;
  worker: WorkerConfig;
  adminPreset: { accessKeyId?: string; accessKeySecret?: string; apiKey?: string };
  /** `fs` keeps chunks and bucket objects under the data directory; `s3` in `s3.bucket`. */
  chunkStore: 'fs' | 's3';
  /** O_DIRECT for chunks and exported files on the filesystem store (see fs/chunk-store.ts). */
  directIo: boolean;
  s3?: S3Config;
  /** `multipartMaxAgeMs`: unfinished multipart uploads older than this are aborted. */
  gc: { intervalMs: number; graceMs: number; multipartMaxAgeMs: number };
  importExport: ImportExportConfig;
}

/** Limits of ImportImage and ExportImage. */
export interface ImportExportConfig {
  systemDiskGib: { min: number; max: number };
  dataDiskGib: { min: number; max: number };
  /** 0 = unlimited. */
  importMaxBytesPerSec: number;
  exportConcurrency: number;
  /** ExportImage tasks per account and region in any 7 days; 0 = no weekly limit. */
  exportWeeklyQuota: number;
}

/** An S3-compatible store (Alibaba OSS, MinIO, Ceph, AWS S3) holding chunks and objects. */
export interface S3Config {
  endpoint?: string;
  region: string;
  bucket: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  prefix: string;
  forcePathStyle: boolean;
}

/** How workers (embedded in `serve`, or `ecsimg worker`) lease and run jobs. */
export interface WorkerConfig {
  concurrency: number;
  pollMs: number;
  maxPollMs: number;
  leaseMs: number;
  heartbeatMs: number;
  maxAttempts: number;
  retryDelayMs: number;
  shutdownGraceMs: number;
}

export class ConfigError extends Error {}

/**
 * Reads the configuration; `overrides` (from CLI flags) win over the environment.
 *
 * @example
 *   const config = loadConfig(process.env, { port: 9090 });
 */
export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  overrides: Partial<Pick<Config, 'port' | 'dataDir' | 'host'>> = {},
): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration: ${lines.join('; ')}`);
  }
  const e = parsed.data;
  const heartbeatMs = e.ECSIMG_JOB_HEARTBEAT_MS ?? Math.floor(e.ECSIMG_JOB_LEASE_MS / 3);
  if (heartbeatMs >= e.ECSIMG_JOB_LEASE_MS) {
    throw new ConfigError(
      'invalid configuration: ECSIMG_JOB_HEARTBEAT_MS must be shorter than ECSIMG_JOB_LEASE_MS',
    );
  }

  const dataDir = path.resolve(overrides.dataDir ?? e.ECSIMG_DATA_DIR);
  if (e.ECSIMG_CHUNK_STORE === 's3' && !e.ECSIMG_S3_BUCKET) {
    throw new ConfigError('invalid configuration: ECSIMG_CHUNK_STORE=s3 needs ECSIMG_S3_BUCKET');
  }
  const s3: S3Config | undefined = e.ECSIMG_S3_BUCKET
    ? {
        endpoint: e.ECSIMG_S3_ENDPOINT,
        region: e.ECSIMG_S3_REGION,
        bucket: e.ECSIMG_S3_BUCKET,
        accessKeyId: e.ECSIMG_S3_ACCESS_KEY_ID,
        secretAccessKey: e.ECSIMG_S3_SECRET_ACCESS_KEY,
        prefix: e.ECSIMG_S3_PREFIX,
        forcePathStyle: e.ECSIMG_S3_FORCE_PATH_STYLE,
      }
    : undefined;
  return {
    port: overrides.port ?? e.ECSIMG_PORT,
    host: overrides.host ?? e.ECSIMG_HOST,
    dataDir,
    databaseUrl: e.ECSIMG_DATABASE_URL ?? `sqlite:${path.join(dataDir, 'ecsimg.db')}`,
    regions: e.ECSIMG_REGIONS ?? DEFAULT_REGIONS,
    masterKeyHex: e.ECSIMG_MASTER_KEY,
    logLevel: e.ECSIMG_LOG_LEVEL,
    rateLimit: { requestsPerSecond: e.ECSIMG_RATE_LIMIT_RPS, burst: e.ECSIMG_RATE_LIMIT_BURST },
    responseCacheBytes: Math.floor(e.ECSIMG_RESPONSE_CACHE_MB * 1024 * 1024),
    embeddedWorker: e.ECSIMG_EMBEDDED_WORKER,
    worker: {
      concurrency: e.ECSIMG_WORKER_CONCURRENCY,
      pollMs: e.ECSIMG_WORKER_POLL_MS,
      maxPollMs: Math.max(e.ECSIMG_WORKER_MAX_POLL_MS, e.ECSIMG_WORKER_POLL_MS),
      leaseMs: e.ECSIMG_JOB_LEASE_MS,
      heartbeatMs,
      maxAttempts: e.ECSIMG_JOB_MAX_ATTEMPTS,
      retryDelayMs: e.ECSIMG_JOB_RETRY_DELAY_MS,
      shutdownGraceMs: e.ECSIMG_WORKER_SHUTDOWN_GRACE_MS,
    },
    adminPreset: {
      accessKeyId: e.ECSIMG_ADMIN_ACCESS_KEY_ID,
      accessKeySecret: e.ECSIMG_ADMIN_ACCESS_KEY_SECRET,
      apiKey: e.ECSIMG_ADMIN_API_KEY,
    },
    chunkStore: e.ECSIMG_CHUNK_STORE,
    directIo: e.ECSIMG_DIRECT_IO,
    s3,
    gc: {
      intervalMs: e.ECSIMG_GC_INTERVAL_MS,
      graceMs: e.ECSIMG_GC_GRACE_MS,
      multipartMaxAgeMs: e.ECSIMG_MULTIPART_MAX_AGE_MS,
    },
    importExport: {
      systemDiskGib: {
        min: e.ECSIMG_IMPORT_SYSTEM_DISK_MIN_GIB,
        max: e.ECSIMG_IMPORT_SYSTEM_DISK_MAX_GIB,
      },
      dataDiskGib: {
        min: e.ECSIMG_IMPORT_DATA_DISK_MIN_GIB,
        max: e.ECSIMG_IMPORT_DATA_DISK_MAX_GIB,
      },
      importMaxBytesPerSec: e.ECSIMG_IMPORT_MAX_BYTES_PER_SEC,
      exportConcurrency: e.ECSIMG_EXPORT_CONCURRENCY,
      exportWeeklyQuota: e.ECSIMG_EXPORT_WEEKLY_QUOTA,
    },
  };
}
