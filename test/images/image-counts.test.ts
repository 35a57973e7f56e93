/**
 * The per-group image counts behind DescribeImages' TotalCount are kept by triggers; whatever
 * writes the images table (repository, bulk load, status moves, expiry, deletion), the counts
 * must equal a real count, and the totals search() answers from them must equal counted ones.
 */
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import type { ImageRow, ImageSearch } from '../../src/store/repositories/images.js';
import { BACKENDS } from '../helpers/databases.js';
import { openSeededStore, type SeededStore } from '../helpers/stores.js';

const REGION = 'cn-hangzhou';
const OWNER = '1111111111111111';
const OTHER = '2222222222222222';

describe.each(BACKENDS)('image counts (%s)', (backend) => {
  let seeded: SeededStore;
  let store: Store;
  let template: ImageRow;
  let serial = 0;

  beforeEach(async () => {
    seeded = await openSeededStore(backend, REGION);
    ({ store, template } = seeded);
  });
  afterEach(() => seeded.close());

  const image = (patch: Partial<ImageRow>): ImageRow => ({
    ...template,
    id: `m-count${serial++}`,
    category: 'custom',
    owner_id: OWNER,
    name: `count-${serial}`,
    status: 'Available',
    is_expired: 0,
    ...patch,
  });

  /** The kept counts and a real GROUP BY, both as sorted `key=n` lines. */
  const both = async () => {
    const kept = await store.db
      .selectFrom('image_counts')
      .selectAll()
      .where('n', '!=', 0)
      .execute();
    const real = await store.db
      .selectFrom('images')
      .select(['region_id', 'owner_id', 'category', 'status', 'is_expired'])
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .groupBy(['region_id', 'owner_id', 'category', 'status', 'is_expired'])
      .execute();
    const lines = (rows: Array<Record<string, unknown>>) =>
      rows
        .map((r) =>
          [r.region_id, r.owner_id, r.category, r.status, r.is_expired, Number(r.n)].join('|'),
        )
        .sort();
    return { kept: lines(kept), real: lines(real) };
  };

  const expectCountsRight = async () => {
    const { kept, real } = await both();
    expect(kept).toEqual(real);
  };

  const search = (patch: Partial<ImageSearch> = {}): ImageSearch => ({
    regionId: REGION,
    viewerId: OWNER,
    scope: { system: true, self: true, shared: true, community: false, marketplace: false },
    statuses: ['Available'],
    includeExpired: false,
    offset: 0,
    limit: 10,
    ...patch,
  });

  it('counts the seeded system images', async () => {
    const { kept } = await both();
    expect(kept.length).toBeGreaterThan(0);
    await expectCountsRight();
  });

  it('follows inserts, bulk inserts, status moves, expiry, owner moves and deletes', async () => {
    const a = image({});
    const b = image({ status: 'Creating' });
    await store.images.insert(a);
    await store.images.insert(b);
    await store.db
      .insertInto('images')
      .values(Array.from({ length: 25 }, (_, i) => image({ owner_id: i % 2 ? OWNER : OTHER })))
      .execute();
    await expectCountsRight();

    await store.images.update(REGION, b.id, { status: 'Available' });
    await store.images.transition(REGION, a.id, ['Available'], { status: 'Deprecated' });
    await store.images.update(REGION, a.id, { is_expired: 1 });
    await store.images.update(REGION, a.id, { name: 'renamed' }); // not a counted column
    await store.db.updateTable('images').set({ owner_id: OTHER }).where('id', '=', b.id).execute();
    await expectCountsRight();

    await store.images.delete(REGION, a.id);
    await store.db.deleteFrom('images').where('owner_id', '=', OTHER).execute();
    await expectCountsRight();
  });

  it('answers the same totals from the counts as from counting rows', async () => {
    await store.db
      .insertInto('images')
      .values([
        ...Array.from({ length: 12 }, () => image({})),
        ...Array.from({ length: 3 }, () => image({ status: 'Deprecated' })),
        ...Array.from({ length: 2 }, () => image({ is_expired: 1 })),
        ...Array.from({ length: 4 }, () => image({ owner_id: OTHER })),
      ])
      .execute();
    // A filter the counters do not key on (a name fragment matching every image) makes search()
    // count rows; with no filter it reads the counters. Both must agree.
    for (const patch of [
      {},
      { statuses: ['Available', 'Deprecated'] },
      { statuses: undefined },
      { includeExpired: true },
      { scope: { system: false, self: true, shared: false, community: false, marketplace: false } },
    ] as Array<Partial<ImageSearch>>) {
      const fromCounts = await store.images.search(search(patch));
      const counted = await store.images.search(search({ ...patch, nameContains: '_'.slice(1) }));
      const everyName = await store.images.search(search({ ...patch, createdFrom: 0 }));
      expect(fromCounts.total).toBe(everyName.total);
      expect(fromCounts.total).toBe(counted.total);
      expect(fromCounts.rows.map((r) => r.id)).toEqual(everyName.rows.map((r) => r.id));
    }
    const own = await store.images.search(
      search({
        scope: { system: false, self: true, shared: false, community: false, marketplace: false },
      }),
    );
    expect(own.total).toBe(12);
    const { rows } = await sql<{ n: number }>`select count(*) as n from images`.execute(store.db);
    expect(Number(rows[0].n)).toBeGreaterThan(21);
  });
});
