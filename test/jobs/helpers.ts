/**
 * Shared pieces of the job tests: short lease timings, enqueueing the internal test job, reading
 * the side effects it records, starting workers in this process or in a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerTestJobType, TEST_JOB_TYPE, type TestJobParams } from '../../src/jobs/test-job.js';
import type { TaskRecord } from '../../src/jobs/index.js';
import { silentLogger } from '../../src/log/index.js';
import { startWorker, type RunningWorker } from '../../src/start/worker.js';
import type { TestServer } from '../helpers/server.js';

registerTestJobType();

/** Timings that keep the suite fast: a dead worker's lease is gone within 0.6 s. */
export const FAST_JOBS_ENV: Record<string, string> = {
  ECSIMG_JOB_LEASE_MS: '600',
  ECSIMG_JOB_HEARTBEAT_MS: '150',
  ECSIMG_WORKER_POLL_MS: '20',
  ECSIMG_WORKER_MAX_POLL_MS: '100',
  ECSIMG_JOB_RETRY_DELAY_MS: '50',
  ECSIMG_JOB_MAX_ATTEMPTS: '3',
  ECSIMG_WORKER_SHUTDOWN_GRACE_MS: '0',
};

export const REGION = 'cn-hangzhou';

export function effectsDir(t: TestServer): string {
  const dir = path.join(t.database.dataDir, 'job-effects');
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

export async function enqueueTestJob(
  t: TestServer,
  params: Partial<TestJobParams> = {},
  options: { supportCancel?: boolean; accountId?: string; resourceId?: string } = {},
): Promise<string> {
  return t.server.services.jobs.enqueue(
    TEST_JOB_TYPE,
    { steps: 4, stepMs: 20, effectsDir: effectsDir(t), ...params },
    {
      accountId: options.accountId ?? t.admin.accountId,
      regionId: REGION,
      resourceId: options.resourceId,
      supportCancel: options.supportCancel ?? true,
    },
  );
}

export interface EffectLine {
  event: string;
  workerId: string;
  attempt: number;
  at: number;
}

/** The events the test job recorded for a task, in order. */
export function readEffects(t: TestServer, taskId: string): EffectLine[] {
  const file = path.join(effectsDir(t), `${taskId}.log`);
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((line) => {
      const [event, workerId, attempt, at] = line.split(' ');
      return { event, workerId, attempt: Number(attempt), at: Number(at) };
    });
}

/** Result files the test job created for a task (there must never be more than one). */
export function resultFiles(t: TestServer, taskId: string): string[] {
  return fs.readdirSync(effectsDir(t)).filter((f) => f === `${taskId}.result`);
}

export async function task(t: TestServer, taskId: string): Promise<TaskRecord> {
  const record = await t.server.services.jobs.get(taskId);
  if (!record) throw new Error(`task ${taskId} vanished`);
  return record;
}

/** Polls `probe` until it returns something truthy; fails with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

export async function waitForStatus(t: TestServer, taskId: string, status: string) {
  return waitFor(`${taskId} to be ${status}`, async () => {
    const record = await task(t, taskId);
    return record.status === status ? record : undefined;
  });
}

/**
 * A worker with its own database connection, as another process would have, over the test
 * server's database and configuration.
 */
export async function startSeparateWorker(t: TestServer, id: string): Promise<RunningWorker> {
  return startWorker(t.server.services.config, {
    log: silentLogger(),
    schema: t.database.schema,
    id,
  });
}

const WORKER_SCRIPT = fileURLToPath(new URL('./worker-process.ts', import.meta.url));

/** `ecsimg worker` in a child process (with the test job type registered), to kill -9. */
export function spawnWorkerProcess(
  t: TestServer,
  id: string,
  env: Record<string, string> = {},
): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER_SCRIPT], {
    env: {
      ...process.env,
      ...FAST_JOBS_ENV,
      ECSIMG_DATABASE_URL: t.database.url,
      ECSIMG_DATA_DIR: t.database.dataDir,
      ECSIMG_LOG_LEVEL: 'silent',
      ECSIMG_TEST_SCHEMA: t.database.schema ?? '',
      ECSIMG_TEST_WORKER_ID: id,
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}
