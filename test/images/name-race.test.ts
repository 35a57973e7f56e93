/**
 * Image names are unique per account and region, also under concurrency: creates and renames
 * that race for one new name must leave exactly one image holding it (on PostgreSQL the requests
 * run on separate pooled connections; on SQLite they share one and queue).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ecs, ecsClient, startTestServer, type TestServer } from '../helpers/server.js';
import { BACKENDS } from '../helpers/databases.js';
import { REGION, makeImage } from './helpers.js';

describe.each(BACKENDS)('image names under concurrency (%s)', (backend) => {
  let t: TestServer;
  let owner: string;
  beforeAll(async () => {
    t = await startTestServer(backend);
    owner = t.admin.accountId;
  });
  afterAll(async () => t?.close());

  /** One call won, every other was refused as a duplicate, and one image holds the name. */
  async function expectOneWinner(results: PromiseSettledResult<unknown>[], name: string) {
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const codes = results.filter((r) => r.status === 'rejected').map((r: any) => r.reason.code);
    expect(new Set(codes)).toEqual(new Set(['InvalidImageName.Duplicated']));
    const holders = await t.server.services.store.db
      .selectFrom('images')
      .select('id')
      .where('owner_id', '=', owner)
      .where('name', '=', name)
      .execute();
    expect(holders).toHaveLength(1);
  }

  it('lets one of 20 concurrent creates with one new name through', async () => {
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () => makeImage(t, owner, { name: 'raced-create' })),
    );
    await expectOneWinner(results, 'raced-create');
  });

  it('lets one of 10 concurrent renames to one new name through (SDK)', async () => {
    const images = await Promise.all(Array.from({ length: 10 }, () => makeImage(t, owner)));
    const results = await Promise.allSettled(
      images.map((image) =>
        ecsClient(t).modifyImageAttribute(
          new Ecs.ModifyImageAttributeRequest({
            regionId: REGION,
            imageId: image.id,
            imageName: 'raced-rename',
          }),
        ),
      ),
    );
    await expectOneWinner(results, 'raced-rename');
  });
});
