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
  /** Run an embedded worker inside `serve` (default on). */
  ECSIMG_EMBEDDED_WORKER: z
    .enum(['true', 'false', '1', '0'])
    .default('true')
    .transform((v) => v === 'true' || v === '1'),
  ECSIMG_ADMIN_ACCESS_KEY_ID: z.string().min(8).optional(),
  ECSIMG_ADMIN_ACCESS_KEY_SECRET: z.string().min(16).optional(),
  ECSIMG_ADMIN_API_KEY: z.string().min(16).optional(),
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
  embeddedWorker: boolean;
  adminPreset: { accessKeyId?: string; accessKeySecret?: string; apiKey?: string };
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

  const dataDir = path.resolve(overrides.dataDir ?? e.ECSIMG_DATA_DIR);
  return {
    port: overrides.port ?? e.ECSIMG_PORT,
    host: overrides.host ?? e.ECSIMG_HOST,
    dataDir,
    databaseUrl: e.ECSIMG_DATABASE_URL ?? `sqlite:${path.join(dataDir, 'ecsimg.db')}`,
    regions: e.ECSIMG_REGIONS ?? DEFAULT_REGIONS,
    masterKeyHex: e.ECSIMG_MASTER_KEY,
    logLevel: e.ECSIMG_LOG_LEVEL,
    rateLimit: { requestsPerSecond: e.ECSIMG_RATE_LIMIT_RPS, burst: e.ECSIMG_RATE_LIMIT_BURST },
    embeddedWorker: e.ECSIMG_EMBEDDED_WORKER,
    adminPreset: {
      accessKeyId: e.ECSIMG_ADMIN_ACCESS_KEY_ID,
      accessKeySecret: e.ECSIMG_ADMIN_ACCESS_KEY_SECRET,
      apiKey: e.ECSIMG_ADMIN_API_KEY,
    },
  };
}
