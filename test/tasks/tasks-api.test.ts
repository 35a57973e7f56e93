/**
 * DescribeTasks, DescribeTaskAttribute and CancelTask through the official v7 SDK (and raw JSON
 * over Bearer), on both metadata backends, with the internal test job standing in for imports.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Worker } from '../../src/jobs/index.js';
import { createWorker } from '../../src/start/worker.js';
import { BACKENDS } from '../helpers/databases.js';
import { Ecs, bearerCall, ecsClient, startTestServer, type TestServer } from '../helpers/server.js';
import {
  FAST_JOBS_ENV,
  REGION,
  enqueueTestJob,
  readEffects,
  resultFiles,
  task,
  waitFor,
} from '../jobs/helpers.js';

/** The SDK's error fields the tests look at. */
async function sdkError(call: Promise<unknown>): Promise<{ code: string; statusCode: number }> {
  try {
    await call;
  } catch (err) {
    const e = err as { code: string; statusCode: number };
    return { code: e.code, statusCode: e.statusCode };
  }
  throw new Error('the call succeeded');
}

describe.each(BACKENDS)('task actions on %s', (backend) => {
  let t: TestServer;
  let worker: Worker | undefined;

  beforeAll(async () => {
    t = await startTestServer(backend, FAST_JOBS_ENV);
  });
  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });
  afterAll(async () => t?.close());

  function startWorker(): void {
    worker = createWorker(t.server.services, { id: 'w-api' });
    worker.start();
  }

  function attribute(taskId: string, creds = t.admin) {
    return ecsClient(t, creds).describeTaskAttribute(
      new Ecs.DescribeTaskAttributeRequest({ regionId: REGION, taskId }),
    );
  }

  function cancel(taskId: string, creds = t.admin) {
    return ecsClient(t, creds).cancelTask(new Ecs.CancelTaskRequest({ regionId: REGION, taskId }));
  }

  describe('DescribeTaskAttribute', () => {
    it('shows progress while the job runs, then the finished operation', async () => {
      const taskId = await enqueueTestJob(t, { steps: 20, stepMs: 60 });
      const queued = (await attribute(taskId)).body!;
      expect(queued.taskStatus).toBe('Waiting');
      expect(queued.taskProcess).toBe('0%');

      startWorker();
      const running = await waitFor('a partial TaskProcess', async () => {
        const body = (await attribute(taskId)).body!;
        const percent = Number(body.taskProcess!.replace('%', ''));
        return body.taskStatus === 'Processing' && percent > 0 && percent < 100 ? body : undefined;
      });
      expect(running.taskProcess).toMatch(/^\d{1,2}%$/);
      expect(running.finishedTime).toBeUndefined();

      const done = await waitFor('Finished', async () => {
        const body = (await attribute(taskId)).body!;
        return body.taskStatus === 'Finished' ? body : undefined;
      });
      expect(done).toMatchObject({
        taskId,
        regionId: REGION,
        taskAction: 'ecsimg.Test',
        taskProcess: '100%',
        supportCancel: 'true',
        totalCount: 1,
        successCount: 1,
        failedCount: 0,
      });
      expect(done.creationTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/);
      expect(done.finishedTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/);
      const operation = done.operationProgressSet!.operationProgress![0];
      expect(operation.operationStatus).toBe('Success');
      expect(operation.relatedItemSet!.relatedItem).toEqual([
        expect.objectContaining({ name: 'ProducedBy', value: 'w-api' }),
      ]);
    });

    it('shows the error code of a failed task', async () => {
      const taskId = await enqueueTestJob(t, { failCode: 'InvalidImageFormat.Malformed' });
      startWorker();
      const failed = await waitFor('Failed', async () => {
        const body = (await attribute(taskId)).body!;
        return body.taskStatus === 'Failed' ? body : undefined;
      });
      expect(failed.failedCount).toBe(1);
      expect(failed.successCount).toBe(0);
      const operation = failed.operationProgressSet!.operationProgress![0];
      expect(operation.operationStatus).toBe('Failed');
      expect(operation.errorCode).toBe('InvalidImageFormat.Malformed');
      expect(operation.errorMsg).toMatch(/failing on request/);
    });

    it('answers InvalidTaskId.NotFound for unknown IDs and other regions’ tasks', async () => {
      expect(await sdkError(attribute('t-doesnotexist000000000'))).toEqual({
        code: 'InvalidTaskId.NotFound',
        statusCode: 400,
      });
      const taskId = await enqueueTestJob(t);
      const elsewhere = ecsClient(t).describeTaskAttribute(
        new Ecs.DescribeTaskAttributeRequest({ regionId: 'cn-shanghai', taskId }),
      );
      expect((await sdkError(elsewhere)).code).toBe('InvalidTaskId.NotFound');
    });
  });

  describe('CancelTask', () => {
    it('stops a running job cooperatively; the task ends Deleted with no result', async () => {
      const taskId = await enqueueTestJob(t, { steps: 100, stepMs: 50 });
      startWorker();
      await waitFor('the job to run', async () => (await task(t, taskId)).progress > 0);

      const res = await cancel(taskId);
      expect(res.statusCode).toBe(200);
      const requestedAt = Date.now();

      const cancelled = await waitFor('Deleted', async () => {
        const body = (await attribute(taskId)).body!;
        return body.taskStatus === 'Deleted' ? body : undefined;
      });
      // Seen on the next progress write or heartbeat, not when the job would have ended (5 s).
      expect(Date.now() - requestedAt).toBeLessThan(2000);
      expect(Number(cancelled.taskProcess!.replace('%', ''))).toBeLessThan(100);
      expect(cancelled.finishedTime).toMatch(/Z$/);
      expect(cancelled.operationProgressSet!.operationProgress![0].operationStatus).toBe(
        'Cancelled',
      );
      expect(readEffects(t, taskId).map((e) => e.event)).toEqual(['start', 'cancelled']);
      expect(resultFiles(t, taskId)).toHaveLength(0);
    });

    it('cancels a waiting task before it ever runs', async () => {
      const taskId = await enqueueTestJob(t);
      await cancel(taskId);
      expect((await task(t, taskId)).cancelRequested).toBe(true);

      startWorker();
      await waitFor('Deleted', async () => (await task(t, taskId)).status === 'Deleted');
      expect(readEffects(t, taskId).map((e) => e.event)).toEqual(['cancelled']);
    });

    it('refuses a finished task with InvalidTaskId.IncorrectTaskStatus (403)', async () => {
      const taskId = await enqueueTestJob(t);
      startWorker();
      await waitFor('Finished', async () => (await task(t, taskId)).status === 'Finished');

      expect(await sdkError(cancel(taskId))).toEqual({
        code: 'InvalidTaskId.IncorrectTaskStatus',
        statusCode: 403,
      });
    });

    it('refuses a task that does not support cancellation (403)', async () => {
      const taskId = await enqueueTestJob(t, {}, { supportCancel: false });
      expect(await sdkError(cancel(taskId))).toEqual({
        code: 'InvalidTaskId.TaskActionNotSupport',
        statusCode: 403,
      });
      expect((await task(t, taskId)).cancelRequested).toBe(false);
    });

    it('treats another account’s task as not found, and leaves it alone', async () => {
      const other = await t.server.services.accounts.createAccount(`other${Date.now()}`);
      const taskId = await enqueueTestJob(t);

      expect(await sdkError(cancel(taskId, other))).toEqual({
        code: 'InvalidTaskId.NotFound',
        statusCode: 400,
      });
      expect((await sdkError(attribute(taskId, other))).code).toBe('InvalidTaskId.NotFound');
      expect((await task(t, taskId)).cancelRequested).toBe(false);
    });

    it('requires TaskId', async () => {
      const res = await bearerCall(t, 'CancelTask', { RegionId: REGION });
      expect(res.status).toBe(400);
      expect(res.body.Code).toBe('MissingParameter');
    });
  });

  describe('DescribeTasks', () => {
    // A fresh account per run keeps these counts independent of the other tests' tasks.
    let owner: { accountId: string; accessKeyId: string; accessKeySecret: string };
    let exports: string[];
    let imports: string[];
    let internal: string;

    function list(request: Record<string, unknown> = {}) {
      return ecsClient(t, owner).describeTasks(
        new Ecs.DescribeTasksRequest({ regionId: REGION, ...request }),
      );
    }

    beforeAll(async () => {
      owner = await t.server.services.accounts.createAccount(`lister${Date.now()}`);
      const jobs = t.server.services.jobs;
      const enqueue = (type: string, resourceId: string) =>
        jobs.enqueue(type, {}, { accountId: owner.accountId, regionId: REGION, resourceId });
      exports = [];
      imports = [];
      for (let i = 0; i < 12; i++) exports.push(await enqueue('ExportImage', `m-export${i}`));
      for (let i = 0; i < 3; i++) imports.push(await enqueue('ImportImage', `m-import${i}`));
      internal = await enqueueTestJob(t, {}, { accountId: owner.accountId });

      // Settle two exports the way a worker would: one Finished, one Failed.
      const tasks = t.server.services.store.tasks;
      for (const outcome of ['finish', 'fail'] as const) {
        const leased = await tasks.lease({
          owner: 'w-setup',
          types: ['ExportImage'],
          now: Date.now(),
          leaseMs: 60_000,
        });
        if (outcome === 'finish') {
          await tasks.complete(leased!.id, 'w-setup', {
            now: Date.now(),
            result: '{}',
            relatedItems: null,
          });
        } else {
          await tasks.fail(leased!.id, 'w-setup', { now: Date.now(), code: 'X', message: 'x' });
        }
      }
    });

    it('pages newest first, ten by default, with the total', async () => {
      const first = (await list()).body!;
      expect(first.totalCount).toBe(15);
      expect(first.pageNumber).toBe(1);
      expect(first.pageSize).toBe(10);
      expect(first.regionId).toBe(REGION);
      expect(first.taskSet!.task).toHaveLength(10);

      const second = (await list({ pageNumber: 2 })).body!;
      expect(second.taskSet!.task).toHaveLength(5);

      const ids = [...first.taskSet!.task!, ...second.taskSet!.task!].map((x) => x.taskId!);
      expect(new Set(ids).size).toBe(15);
      expect([...ids].sort()).toEqual([...exports, ...imports].sort());
      // Newest first; tasks created in the same millisecond come in a stable (ID) order.
      const created = await Promise.all(ids.map(async (id) => (await task(t, id)).createdAt));
      expect(created).toEqual([...created].sort((a, b) => b - a));
      const again = (await list({ pageNumber: 2 })).body!.taskSet!.task!.map((x) => x.taskId);
      expect(again).toEqual(ids.slice(10));
    });

    it('renders each task with the SDK model’s fields and types', async () => {
      const res = await bearerCall(
        t,
        'DescribeTasks',
        { RegionId: REGION, TaskIds: imports[0] },
        (await t.server.services.accounts.createAccount(`raw${Date.now()}`)).apiKey,
      );
      expect(res.body.TotalCount).toBe(0); // another account sees nothing

      const body = (await list({ taskIds: imports[0] })).body!;
      expect(body.taskSet!.task).toEqual([
        expect.objectContaining({
          taskId: imports[0],
          taskAction: 'ImportImage',
          taskStatus: 'Waiting',
          supportCancel: 'false',
          resourceId: 'm-import0',
          creationTime: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}Z$/),
        }),
      ]);
    });

    it('filters by TaskAction, ResourceIds and TaskIds', async () => {
      expect((await list({ taskAction: 'ImportImage' })).body!.totalCount).toBe(3);

      const byResource = (await list({ resourceIds: ['m-export3', 'm-import1'] })).body!;
      expect(byResource.taskSet!.task!.map((x) => x.resourceId).sort()).toEqual([
        'm-export3',
        'm-import1',
      ]);

      const byIds = (await list({ taskIds: `${exports[0]}, ${imports[2]}` })).body!;
      expect(byIds.totalCount).toBe(2);
    });

    it('lists an internal job only when its TaskId is asked for', async () => {
      const all = (await list({ pageSize: 100 })).body!;
      expect(all.taskSet!.task!.map((x) => x.taskId)).not.toContain(internal);

      const asked = (await list({ taskIds: internal })).body!;
      expect(asked.taskSet!.task!.map((x) => x.taskAction)).toEqual(['ecsimg.Test']);
    });

    it('filters by Finished, Processing or Failed and ignores any other status', async () => {
      expect((await list({ taskStatus: 'Finished' })).body!.totalCount).toBe(1);
      expect((await list({ taskStatus: 'Failed' })).body!.totalCount).toBe(1);
      expect((await list({ taskStatus: 'Processing' })).body!.totalCount).toBe(0);
      expect((await list({ taskStatus: 'Waiting' })).body!.totalCount).toBe(15);
    });

    it('filters by creation time; a minute-precision EndTime includes its minute', async () => {
      const hourAgo = new Date(Date.now() - 3_600_000).toISOString().slice(0, 16) + 'Z';
      const later = new Date(Date.now() + 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z');

      expect((await list({ startTime: hourAgo, endTime: later })).body!.totalCount).toBe(15);
      expect((await list({ startTime: later })).body!.totalCount).toBe(0);
      expect((await list({ endTime: hourAgo })).body!.totalCount).toBe(0);
      // The newest task's own minute as EndTime must include it, though it was created after
      // hh:mm:00 — a minute-precision EndTime covers its whole minute.
      const newest = await task(t, imports[2]);
      const newestMinute = new Date(newest.createdAt).toISOString().slice(0, 16) + 'Z';
      expect((await list({ endTime: newestMinute })).body!.totalCount).toBe(15);
    });

    it('refuses bad paging, too many TaskIds, malformed times, unknown actions', async () => {
      const bad = async (params: Record<string, string>) =>
        (await bearerCall(t, 'DescribeTasks', { RegionId: REGION, ...params })).body.Code;

      expect(await bad({ PageSize: '101' })).toBe('InvalidParameter');
      expect(await bad({ PageNumber: '0' })).toBe('InvalidParameter');
      const ids = Array.from({ length: 101 }, (_, i) => `t-${i}`).join(',');
      expect(await bad({ TaskIds: ids })).toBe('InvalidParameter');
      expect(await bad({ StartTime: '2024-13-45T99:99Z' })).toBe('InvalidParameter');
      expect(await bad({ EndTime: 'yesterday' })).toBe('InvalidParameter');
      expect(await bad({ TaskAction: 'ecsimg.Test' })).toBe('InvalidParameter');
      expect(await bad({ TaskGroupId: 'g-1' })).toBe('InvalidParameter');
    });

    it('requires RegionId', async () => {
      const res = await bearerCall(t, 'DescribeTasks', {});
      expect(res.body.Code).toBe('MissingParameter');
    });
  });
});
