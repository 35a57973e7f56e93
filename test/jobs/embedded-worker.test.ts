/**
 * `serve` runs an embedded worker unless ECSIMG_EMBEDDED_WORKER=false; the worker settings come
 * from the environment and are validated once.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, ConfigError } from '../../src/config/index.js';
import { BACKENDS } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { FAST_JOBS_ENV, enqueueTestJob, waitForStatus } from './helpers.js';

describe.each(BACKENDS)('serve with its embedded worker on %s', (backend) => {
  let t: TestServer;

  beforeAll(async () => {
    t = await startTestServer(backend, { ...FAST_JOBS_ENV, ECSIMG_EMBEDDED_WORKER: 'true' });
  });
  afterAll(async () => t?.close());

  it('runs enqueued jobs without a separate worker', async () => {
    expect(t.server.worker).toBeDefined();
    const taskId = await enqueueTestJob(t, { steps: 2 });
    const done = await waitForStatus(t, taskId, 'Finished');
    expect(done.result).toMatchObject({ producedBy: t.server.worker!.id });
  });
});

describe('an idle embedded worker', () => {
  let t: TestServer;

  beforeAll(async () => {
    // Polls only every 10 s: a job done much sooner proves the enqueue woke the worker.
    t = await startTestServer('sqlite', {
      ...FAST_JOBS_ENV,
      ECSIMG_EMBEDDED_WORKER: 'true',
      ECSIMG_WORKER_POLL_MS: '10000',
      ECSIMG_WORKER_MAX_POLL_MS: '10000',
    });
  });
  afterAll(async () => t?.close());

  it('is woken by an enqueue in its process instead of waiting for its next poll', async () => {
    await new Promise((resolve) => setTimeout(resolve, 300)); // let it fall asleep
    const started = Date.now();
    const taskId = await enqueueTestJob(t, { steps: 1, stepMs: 1 });
    await waitForStatus(t, taskId, 'Finished');
    expect(Date.now() - started).toBeLessThan(3000);
  });
});

describe('worker configuration', () => {
  it('defaults to a 30 s lease renewed every 10 s, two slots, three attempts', () => {
    const config = loadConfig({});
    expect(config.worker).toMatchObject({
      concurrency: 2,
      leaseMs: 30_000,
      heartbeatMs: 10_000,
      maxAttempts: 3,
    });
  });

  it('refuses a heartbeat as long as the lease, naming both variables', () => {
    expect(() =>
      loadConfig({ ECSIMG_JOB_LEASE_MS: '1000', ECSIMG_JOB_HEARTBEAT_MS: '1000' }),
    ).toThrow(ConfigError);
    expect(() => loadConfig({ ECSIMG_WORKER_CONCURRENCY: '0' })).toThrow(
      /ECSIMG_WORKER_CONCURRENCY/,
    );
  });

  it('starts serve without a worker when ECSIMG_EMBEDDED_WORKER=false', async () => {
    const t = await startTestServer('sqlite');
    try {
      expect(t.server.worker).toBeUndefined();
    } finally {
      await t.close();
    }
  });
});
