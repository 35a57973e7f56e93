/**
 * The durable job queue on both metadata backends: leases, heartbeats, crash recovery, retries,
 * attempts, and exclusive execution across workers and processes.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Worker } from '../../src/jobs/index.js';
import { TEST_JOB_TYPE } from '../../src/jobs/test-job.js';
import { createWorker, type RunningWorker } from '../../src/start/worker.js';
import { BACKENDS } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import {
  FAST_JOBS_ENV,
  enqueueTestJob,
  readEffects,
  resultFiles,
  spawnWorkerProcess,
  startSeparateWorker,
  task,
  waitFor,
  waitForStatus,
} from './helpers.js';

describe.each(BACKENDS)('job queue on %s', (backend) => {
  let t: TestServer;
  const workers: Array<Worker | RunningWorker> = [];

  beforeAll(async () => {
    t = await startTestServer(backend, FAST_JOBS_ENV);
  });
  afterEach(async () => {
    for (const w of workers.splice(0)) {
      if ('close' in w) await w.close();
      else await w.stop();
    }
  });
  afterAll(async () => t?.close());

  function inProcessWorker(id: string): Worker {
    const worker = createWorker(t.server.services, { id });
    workers.push(worker);
    worker.start();
    return worker;
  }

  it('runs a job to Finished with its result, progress 100 and one attempt', async () => {
    const taskId = await enqueueTestJob(t, { steps: 3 });
    expect((await task(t, taskId)).status).toBe('Waiting');

    inProcessWorker('w-finish');
    const done = await waitForStatus(t, taskId, 'Finished');

    expect(done.progress).toBe(100);
    expect(done.attempts).toBe(1);
    expect(done.result).toEqual({ steps: 3, producedBy: 'w-finish', attempt: 1 });
    expect(done.relatedItems).toEqual([{ Name: 'ProducedBy', Value: 'w-finish' }]);
    expect(done.startedAt).toBeGreaterThanOrEqual(done.createdAt);
    expect(done.finishedAt).toBeGreaterThanOrEqual(done.startedAt!);
    expect(readEffects(t, taskId).map((e) => e.event)).toEqual(['start', 'end']);
  });

  it('writes progress to the task row while the job runs', async () => {
    const taskId = await enqueueTestJob(t, { steps: 10, stepMs: 60 });
    inProcessWorker('w-progress');

    const seen = new Set<number>();
    await waitFor('the job to finish', async () => {
      const record = await task(t, taskId);
      if (record.status === 'Processing') seen.add(record.progress);
      return record.status === 'Finished';
    });
    const partial = [...seen].filter((p) => p > 0 && p < 100);
    expect(partial.length).toBeGreaterThan(1);
  });

  it('leaves a task alone when no worker knows its type', async () => {
    const taskId = await t.server.services.jobs.enqueue(
      'ecsimg.NobodyRunsThis',
      {},
      {
        accountId: t.admin.accountId,
        regionId: 'cn-hangzhou',
      },
    );
    inProcessWorker('w-unknown-type');
    const probe = await enqueueTestJob(t);
    await waitForStatus(t, probe, 'Finished');

    const untouched = await task(t, taskId);
    expect(untouched.status).toBe('Waiting');
    expect(untouched.attempts).toBe(0);
  });

  it('retries a transient failure with back-off, then finishes', async () => {
    const taskId = await enqueueTestJob(t, { failTimes: 1 });
    inProcessWorker('w-retry');

    const done = await waitForStatus(t, taskId, 'Finished');
    expect(done.attempts).toBe(2);
    expect(done.result).toMatchObject({ attempt: 2 });
    expect(readEffects(t, taskId).map((e) => `${e.event}#${e.attempt}`)).toEqual([
      'start#1',
      'start#2',
      'end#2',
    ]);
  });

  it('fails a task for good once its attempts are used up, keeping the last error', async () => {
    const taskId = await enqueueTestJob(t, { failTimes: 10 });
    inProcessWorker('w-exhaust');

    const failed = await waitForStatus(t, taskId, 'Failed');
    expect(failed.attempts).toBe(3);
    expect(failed.error).toEqual({
      code: 'InternalError',
      message: 'transient failure on request (attempt 3)',
    });
    expect(failed.finishedAt).toBeDefined();
    const events = readEffects(t, taskId).map((e) => e.event);
    expect(events.filter((e) => e === 'start')).toHaveLength(3);
    expect(events.at(-1)).toBe('failed:InternalError');
  });

  it('fails at once, without retrying, on a coded failure', async () => {
    const taskId = await enqueueTestJob(t, { failCode: 'InvalidImageFormat.Malformed' });
    inProcessWorker('w-coded');

    const failed = await waitForStatus(t, taskId, 'Failed');
    expect(failed.attempts).toBe(1);
    expect(failed.error?.code).toBe('InvalidImageFormat.Malformed');
  });

  it('returns a task with an expired lease to the queue; another worker finishes it', async () => {
    const taskId = await enqueueTestJob(t, { steps: 2 });
    // A worker that leased the task and then went silent: no heartbeat, no progress.
    const stalled = await t.server.services.store.tasks.lease({
      owner: 'w-silent',
      types: [TEST_JOB_TYPE],
      now: Date.now(),
      leaseMs: 300,
    });
    expect(stalled?.id).toBe(taskId);

    inProcessWorker('w-rescuer');
    const done = await waitForStatus(t, taskId, 'Finished');
    expect(done.attempts).toBe(2);
    expect(done.result).toMatchObject({ producedBy: 'w-rescuer' });

    // The silent worker wakes up too late: every write it tries is refused.
    const tasks = t.server.services.store.tasks;
    expect(await tasks.setProgress(taskId, 'w-silent', 50)).toBeUndefined();
    expect(await tasks.fail(taskId, 'w-silent', { now: 0, code: 'X', message: 'x' })).toBe(false);
    expect((await task(t, taskId)).status).toBe('Finished');
  });

  it('fails a task whose workers keep dying once its attempts are used up', async () => {
    const taskId = await enqueueTestJob(t);
    const tasks = t.server.services.store.tasks;
    for (let i = 0; i < 3; i++) {
      const leased = await tasks.lease({
        owner: `w-doomed-${i}`,
        types: [TEST_JOB_TYPE],
        now: Date.now() + i * 1000,
        leaseMs: 1,
      });
      expect(leased?.id).toBe(taskId);
    }

    inProcessWorker('w-undertaker');
    const failed = await waitForStatus(t, taskId, 'Failed');
    expect(failed.error?.code).toBe('InternalError');
    expect(failed.error?.message).toMatch(/interrupted 3 times/);
    // The job itself never ran: only the failure hook did.
    expect(readEffects(t, taskId).map((e) => e.event)).toEqual(['failed:InternalError']);
  });

  it('stops a job that never reports progress on the heartbeat after a cancel', async () => {
    // One 20 s step: only the heartbeat (every 150 ms) can tell this job it was cancelled.
    const taskId = await enqueueTestJob(t, { steps: 1, stepMs: 20_000 });
    inProcessWorker('w-heartbeat-cancel');
    await waitFor('the job to start', async () => readEffects(t, taskId).length > 0);

    const scope = { accountId: t.admin.accountId, regionId: 'cn-hangzhou' };
    expect(await t.server.services.jobs.cancel(taskId, scope)).toBe('cancelling');
    const requestedAt = Date.now();
    await waitForStatus(t, taskId, 'Deleted');

    expect(Date.now() - requestedAt).toBeLessThan(1500);
    expect(readEffects(t, taskId).map((e) => e.event)).toEqual(['start', 'cancelled']);
    expect(await t.server.services.jobs.cancel(taskId, scope)).toBe('not-running');
  });

  it('hands running jobs back to the queue on shutdown, without counting the attempt', async () => {
    const taskId = await enqueueTestJob(t, { steps: 50, stepMs: 50 });
    const worker = createWorker(t.server.services, { id: 'w-shutdown' });
    worker.start();
    await waitFor('the job to start', async () => (await task(t, taskId)).progress > 0);

    await worker.stop({ graceMs: 0 });
    const released = await task(t, taskId);
    expect(released.status).toBe('Waiting');
    expect(released.attempts).toBe(0);
  });

  it('survives a killed worker process: the job re-runs and leaves one result', async () => {
    const taskId = await enqueueTestJob(t, { steps: 12, stepMs: 100 });
    const child = spawnWorkerProcess(t, 'w-doomed-process');
    const exited = new Promise((resolve) => child.once('exit', resolve));

    try {
      await waitFor(
        'the child worker to make progress',
        async () => {
          const record = await task(t, taskId);
          return record.status === 'Processing' && record.progress >= 25;
        },
        30_000,
      );
    } finally {
      child.kill('SIGKILL');
      await exited;
    }
    const interrupted = await task(t, taskId);
    expect(interrupted.status).toBe('Processing');
    expect(interrupted.progress).toBeLessThan(100);

    inProcessWorker('w-survivor');
    const done = await waitForStatus(t, taskId, 'Finished');

    expect(done.attempts).toBe(2);
    expect(done.result).toEqual({ steps: 12, producedBy: 'w-survivor', attempt: 2 });
    expect(resultFiles(t, taskId)).toHaveLength(1);
    const events = readEffects(t, taskId).map((e) => `${e.event}@${e.workerId}`);
    expect(events).toEqual(['start@w-doomed-process', 'start@w-survivor', 'end@w-survivor']);
  });

  it('never runs a task on two workers: 40 tasks, two workers, each run once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push(await enqueueTestJob(t, { steps: 2, stepMs: 5 }));

    const a = await startSeparateWorker(t, 'w-a');
    const b = await startSeparateWorker(t, 'w-b');
    workers.push(a, b);
    for (const id of ids) await waitForStatus(t, id, 'Finished');

    const ranBy = new Map<string, number>();
    for (const id of ids) {
      const events = readEffects(t, id);
      expect(events.map((e) => e.event)).toEqual(['start', 'end']);
      expect((await task(t, id)).attempts).toBe(1);
      ranBy.set(events[0].workerId, (ranBy.get(events[0].workerId) ?? 0) + 1);
    }
    // Both competed for the queue (otherwise this would prove nothing about exclusivity).
    expect(ranBy.get('w-a')).toBeGreaterThan(0);
    expect(ranBy.get('w-b')).toBeGreaterThan(0);
  });
});
