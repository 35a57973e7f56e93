/**
 * Account-wide image rules hold under concurrency: creates and renames racing for one new name
 * leave exactly one image holding it, and renames racing for a family's last place leave the
 * family at its quota (on PostgreSQL the requests run on separate pooled connections; on SQLite
 * they share one and queue).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ecs, ecsClient, startTestServer, type TestServer } from '../helpers/server.js';
import { BACKENDS } from '../helpers/databases.js';
import { IMAGES_PER_FAMILY } from '../../src/domain/images/rules.js';
import { REGION, makeImage } from './helpers.js';

describe.each(BACKENDS)('image rules under concurrency (%s)', (backend) => {
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

  it("lets one of 5 concurrent renames into a family take the family's last place", async () => {
    for (let made = 0; made < IMAGES_PER_FAMILY - 1; made += 11) {
      const batch = Math.min(11, IMAGES_PER_FAMILY - 1 - made);
      await Promise.all(
        Array.from({ length: batch }, () => makeImage(t, owner, { family: 'full' })),
      );
    }
    const outsiders = await Promise.all(Array.from({ length: 5 }, () => makeImage(t, owner)));
    const results = await Promise.allSettled(
      outsiders.map((image) =>
        ecsClient(t).modifyImageAttribute(
          new Ecs.ModifyImageAttributeRequest({
            regionId: REGION,
            imageId: image.id,
            imageFamily: 'full',
          }),
        ),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results.filter((r) => r.status === 'rejected')) {
      expect((r as PromiseRejectedResult).reason.code).toBe('ImageQuotaFull.ImageFamily');
    }
    expect(await t.server.services.store.images.countInFamily(REGION, owner, 'full')).toBe(
      IMAGES_PER_FAMILY,
    );
  });
});
