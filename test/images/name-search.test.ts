/**
 * DescribeImages' ImageName is a case-insensitive substring of the name. SQLite compares with
 * `name LIKE` and PostgreSQL with `lower(name) LIKE` (the covering index of migration 0009 keeps
 * what each reads); both must answer what `lower(name) LIKE` answered, names in any case or
 * script, wildcards taken literally, with the page and TotalCount agreeing.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import type { ImageSearch } from '../../src/store/repositories/images.js';
import { BACKENDS } from '../helpers/databases.js';
import { openSeededStore, type SeededStore } from '../helpers/stores.js';

const REGION = 'cn-hangzhou';
const OWNER = '1111111111111111';

const NAMES = [
  'Web-Server_100',
  'web-server-2',
  'WEB-9-LINUX',
  'db-900',
  '中文镜像-Web',
  '镜像Ubuntu',
  'Café-Base',
  'CAFÉ-base',
  'disk_50%!off',
  'disk-50-off',
  'Kelvin-\u212A-probe',
  'İstanbul-img',
];

const FRAGMENTS = [
  'web',
  'WEB-SERVER',
  'Server_1',
  'server_',
  'b-9',
  '镜像',
  '中文镜像-w',
  '镜象',
  'é-b',
  'É-B',
  'café',
  '50%',
  '_50',
  '%!',
  '!o',
  'k-',
  'i̇stanbul',
  'İstanbul',
  'no-such-name',
];

describe.each(BACKENDS)('ImageName fragments (%s)', (backend) => {
  let seeded: SeededStore;
  let store: Store;

  beforeAll(async () => {
    seeded = await openSeededStore(backend, REGION);
    store = seeded.store;
    const rows = NAMES.map((name, i) => ({
      ...seeded.template,
      id: `m-name${i}`,
      category: 'custom' as const,
      owner_id: OWNER,
      name,
      os_type: i % 3 ? 'linux' : 'windows',
      status: 'Available',
      is_expired: 0,
      created_at: 1_700_000_000_000 + i * 1000,
    }));
    await store.db.insertInto('images').values(rows).execute();
  });
  afterAll(() => seeded?.close());

  const search = (nameContains: string, patch: Partial<ImageSearch> = {}): ImageSearch => ({
    regionId: REGION,
    viewerId: OWNER,
    scope: { system: false, self: true, shared: false, community: false, marketplace: false },
    statuses: ['Available'],
    nameContains,
    includeExpired: false,
    offset: 0,
    limit: 50,
    ...patch,
  });

  /** The names `lower(name) LIKE` (the comparison before migration 0009) picks, newest first. */
  const byLowerLike = async (fragment: string, osType?: string) => {
    const pattern = `%${fragment.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
    let query = store.db
      .selectFrom('images')
      .select('name')
      .where('owner_id', '=', OWNER)
      .where(sql<boolean>`lower(name) like ${pattern} escape '!'`)
      .orderBy('created_at', 'desc');
    if (osType) query = query.where('os_type', '=', osType);
    return (await query.execute()).map((r) => r.name);
  };

  it('matches names in any case, CJK names and literal wildcards', async () => {
    const names = async (fragment: string) =>
      (await store.images.search(search(fragment))).rows.map((r) => r.name);

    expect(await names('WEB-SERVER')).toEqual(['web-server-2', 'Web-Server_100']);
    expect(await names('Server_1')).toEqual(['Web-Server_100']);
    expect(await names('镜像')).toEqual(['镜像Ubuntu', '中文镜像-Web']);
    expect(await names('中文镜像-w')).toEqual(['中文镜像-Web']);
    expect(await names('镜象')).toEqual([]);
    expect(await names('50%')).toEqual(['disk_50%!off']);
    expect(await names('_50')).toEqual(['disk_50%!off']);
    expect(await names('%!')).toEqual(['disk_50%!off']);
  });

  it('answers every fragment as lower(name) LIKE did, with the count agreeing', async () => {
    for (const fragment of FRAGMENTS) {
      for (const osType of [undefined, 'linux']) {
        const expected = await byLowerLike(fragment, osType);
        const found = await store.images.search(search(fragment, { osType }));
        expect(
          found.rows.map((r) => r.name),
          `${fragment} ${osType}`,
        ).toEqual(expected);
        expect(found.total, `${fragment} ${osType}`).toBe(expected.length);

        // A page of one fills its head, so the total comes from counting the matching rows.
        const first = await store.images.search(search(fragment, { osType, limit: 1 }));
        expect(first.rows.map((r) => r.name)).toEqual(expected.slice(0, 1));
        expect(first.total, `${fragment} ${osType} counted`).toBe(expected.length);
      }
    }
  });
});
