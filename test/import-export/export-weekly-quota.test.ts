/**
 * ExportImage's weekly quota (ECSIMG_EXPORT_WEEKLY_QUOTA): every export started by the account in
 * the region within the last 7 days counts, however it ended; older ones do not, nor do other
 * accounts' or regions'. No worker runs, so tasks stay Waiting; the concurrency quota is set high
 * so that only the weekly one decides.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/databases.js';
import { Ecs, ecsClient, startTestServer, type TestServer } from '../helpers/server.js';
import { FAST_ENV, REGION, exportableImage, prepareAccount } from './helpers.js';

const WEEKLY = 2;

describe.each(BACKENDS)('ExportImage weekly quota (%s)', (backend) => {
  let t: TestServer;
  const out = `weekly-${backend}`;

  beforeAll(async () => {
    t = await startTestServer(backend, {
      ...FAST_ENV,
      ECSIMG_EXPORT_CONCURRENCY: '20',
      ECSIMG_EXPORT_WEEKLY_QUOTA: String(WEEKLY),
    });
    await prepareAccount(t, out);
  });
  afterAll(async () => t?.close());

  const exportable = (i: number) => exportableImage(t, `weekly-${backend}-${i}`, `mf-weekly-${i}`);

  const exportOf = (imageId: string) =>
    ecsClient(t).exportImage(
      new Ecs.ExportImageRequest({ regionId: REGION, imageId, OSSBucket: out }),
    );

  it('refuses the export past the quota of 7 days, and counts only those 7 days', async () => {
    const ids = await Promise.all([0, 1, 2].map(exportable));
    const first = (await exportOf(ids[0])).body!.taskId!;
    await exportOf(ids[1]);

    const refused = await exportOf(ids[2]).catch((err) => err);
    expect([refused.code, refused.statusCode]).toEqual(['WeeklyQuotaExceed.ExportImage', 403]);
    expect(refused.message).toContain(`limit ${WEEKLY}`);

    // The first export turns eight days old: it leaves the window, and one more may start.
    await t.server.services.store.db
      .updateTable('tasks')
      .set({ created_at: Date.now() - 8 * 24 * 3600 * 1000 })
      .where('id', '=', first)
      .execute();
    expect((await exportOf(ids[2])).body!.taskId).toMatch(/^t-/);
  });
});
