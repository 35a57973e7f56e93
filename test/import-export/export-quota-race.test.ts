/**
 * ExportImage's concurrency quota holds under concurrency: more simultaneous exports (of
 * different images, so the per-image export lock does not decide) than ECSIMG_EXPORT_CONCURRENCY
 * allows leave exactly the quota's number of tasks, and every other call answers the cloud's
 * quota code. On PostgreSQL the requests run on separate pooled connections; on SQLite they share
 * one and queue. No worker runs, so every accepted task stays Waiting and counts.
 *
 * SQLite's driver is synchronous: a request's queries never wait for I/O, so in one process the
 * requests would never interleave and the race could not show. The task count therefore pauses a
 * few milliseconds, which lets them interleave as they do on PostgreSQL; without the account lock
 * more than the quota then passed (measured: 3 of 8 on SQLite, 8 of 8 on PostgreSQL).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TasksRepository } from '../../src/store/repositories/tasks.js';
import { BACKENDS } from '../helpers/databases.js';
import { Ecs, ecsClient, startTestServer, type TestServer } from '../helpers/server.js';
import { FAST_ENV, REGION, exportableImage, prepareAccount } from './helpers.js';

const QUOTA = 2;
const CALLS = 8;

describe.each(BACKENDS)('ExportImage quota under concurrency (%s)', (backend) => {
  let t: TestServer;
  const out = `race-${backend}`;

  beforeAll(async () => {
    t = await startTestServer(backend, { ...FAST_ENV, ECSIMG_EXPORT_CONCURRENCY: String(QUOTA) });
    await prepareAccount(t, out);
  });
  afterAll(async () => t?.close());
  afterEach(() => vi.restoreAllMocks());

  const exportable = (i: number) => exportableImage(t, `race-${backend}-${i}`, `mf-race-${i}`);

  it(`lets ${QUOTA} of ${CALLS} simultaneous exports through and refuses the rest`, async () => {
    const imageIds = await Promise.all(Array.from({ length: CALLS }, (_, i) => exportable(i)));
    const list = TasksRepository.prototype.list;
    vi.spyOn(TasksRepository.prototype, 'list').mockImplementation(async function (
      this: TasksRepository,
      filter,
    ) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      return list.call(this, filter);
    });

    const results = await Promise.allSettled(
      imageIds.map((imageId) =>
        ecsClient(t).exportImage(
          new Ecs.ExportImageRequest({ regionId: REGION, imageId, OSSBucket: out }),
        ),
      ),
    );

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(QUOTA);
    const refused = results.filter((r) => r.status === 'rejected');
    for (const r of refused as PromiseRejectedResult[]) {
      expect([r.reason.code, r.reason.statusCode]).toEqual([
        'ConcurrentQuotaExceed.ExportImage',
        403,
      ]);
    }
    const tasks = await t.server.services.store.db
      .selectFrom('tasks')
      .select(['id', 'resource_id'])
      .where('account_id', '=', t.admin.accountId)
      .where('action', '=', 'ExportImage')
      .execute();
    expect(tasks).toHaveLength(QUOTA);

    // Only the winners' images are locked for export; the refused ones are free.
    const locked = await t.server.services.store.db
      .selectFrom('images')
      .select('id')
      .where('id', 'in', imageIds)
      .where('lock_operation', '=', 'export')
      .execute();
    expect(locked.map((r) => r.id).sort()).toEqual(tasks.map((r) => r.resource_id).sort());
  });
});
