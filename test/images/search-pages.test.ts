/**
 * Paging a DescribeImages search. A query of one scope part reads its page in one ordered query
 * and skips to it in SQL; a query of several parts merges their heads. Either way every page must
 * be the matching slice of the newest-first list, with the same TotalCount, up to and past the
 * last page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import type { ImageScope, ImageSearch } from '../../src/store/repositories/images.js';
import { BACKENDS } from '../helpers/databases.js';
import { openSeededStore, type SeededStore } from '../helpers/stores.js';

const REGION = 'cn-hangzhou';
const OWNER = '1111111111111111';
const IMAGES = 13;

const SELF: ImageScope = {
  system: false,
  self: true,
  shared: false,
  community: false,
  marketplace: false,
};
const DEFAULT: ImageScope = { ...SELF, system: true, shared: true };

describe.each(BACKENDS)('search pages (%s)', (backend) => {
  let seeded: SeededStore;
  let store: Store;

  beforeAll(async () => {
    seeded = await openSeededStore(backend, REGION);
    store = seeded.store;
    // Pairs share a creation time, so the id decides their order.
    const rows = Array.from({ length: IMAGES }, (_, i) => ({
      ...seeded.template,
      id: `m-page${String(i).padStart(2, '0')}`,
      category: 'custom' as const,
      owner_id: OWNER,
      name: i % 3 ? `page-web-${i}` : `page-db-${i}`,
      status: 'Available',
      is_expired: 0,
      created_at: 1_700_000_000_000 + Math.floor(i / 2) * 1000,
    }));
    await store.db.insertInto('images').values(rows).execute();
  });
  afterAll(() => seeded?.close());

  const search = (patch: Partial<ImageSearch>): ImageSearch => ({
    regionId: REGION,
    viewerId: OWNER,
    scope: SELF,
    statuses: ['Available'],
    includeExpired: false,
    offset: 0,
    limit: 100,
    ...patch,
  });

  it.each([
    ['own images', { scope: SELF }],
    ['own images named *web*', { scope: SELF, nameContains: 'WEB' }],
    ['the default scope', { scope: DEFAULT }],
    ['the default scope named *web*', { scope: DEFAULT, nameContains: 'web' }],
  ] as Array<[string, Partial<ImageSearch>]>)('pages through %s', async (_, patch) => {
    const all = await store.images.search(search(patch));
    const ids = all.rows.map((r) => r.id);
    expect(all.total).toBe(ids.length);
    expect(ids.length).toBeGreaterThan(3);

    for (const limit of [1, 2, 4, 5, ids.length, ids.length + 1]) {
      for (let offset = 0; offset <= ids.length + limit; offset += limit) {
        const page = await store.images.search(search({ ...patch, offset, limit }));
        const where = `limit ${limit} offset ${offset}`;
        expect(
          page.rows.map((r) => r.id),
          where,
        ).toEqual(ids.slice(offset, offset + limit));
        expect(page.total, where).toBe(ids.length);
      }
    }
  });
});
