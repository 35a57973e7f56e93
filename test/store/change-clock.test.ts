/**
 * The store's change clock (store/change-clock.ts): it must move after every committed change a
 * cached read could see — this process's statements, transactions, and other processes' commits
 * (SQLite data_version; PostgreSQL notifications) — and stay put for reads and quiet tables.
 */
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleEvery } from '../../src/store/change-clock.js';
import { openStore, type Store } from '../../src/store/index.js';
import type { ImageRow } from '../../src/store/repositories/images.js';
import { BACKENDS, type TestDatabase } from '../helpers/databases.js';
import { openSeededStore, type SeededStore } from '../helpers/stores.js';

const REGION = 'cn-hangzhou';

/** Resolves once `clock` reads something other than `from` (PostgreSQL notifications are async). */
async function movedFrom(store: Store, from: number, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (store.changes.read() !== from) return true;
    await new Promise((r) => setTimeout(r, 5));
  }
  return false;
}

/** The reading once late notifications of earlier writes (PostgreSQL) have all arrived. */
async function settled(store: Store): Promise<number> {
  let last = store.changes.read();
  for (;;) {
    await new Promise((r) => setTimeout(r, 60));
    const now = store.changes.read();
    if (now === last) return now;
    last = now;
  }
}

describe('sampleEvery', () => {
  it('asks its source again only once the interval has passed', () => {
    let t = 100;
    let version = 0;
    let asked = 0;
    const read = sampleEvery(
      1,
      () => (asked++, version),
      () => t,
    );
    expect(read()).toBe(0);
    version = 1;
    t += 0.5;
    expect(read()).toBe(0); // within the interval: the last value, the source is not asked
    expect(asked).toBe(1);
    t += 0.5;
    expect(read()).toBe(1);
    expect(asked).toBe(2);
  });
});

describe.each(BACKENDS)('change clock (%s)', (backend) => {
  let seeded: SeededStore;
  let database: TestDatabase;
  let store: Store;
  let template: ImageRow;
  let serial = 0;

  beforeEach(async () => {
    seeded = await openSeededStore(backend, REGION);
    ({ database, store, template } = seeded);
  });
  afterEach(() => seeded.close());

  const image = (): ImageRow => ({
    ...template,
    id: `m-clock${serial++}`,
    category: 'custom',
    owner_id: '1111111111111111',
    name: `clock-${serial}`,
  });

  it('stays put for reads and moves after a write to the catalogue', async () => {
    const before = await settled(store);
    await store.images.find(REGION, template.id);
    await store.db.selectFrom('images').select('id').execute();
    await sql`select 1`.execute(store.db);
    expect(store.changes.read()).toBe(before);

    await store.images.insert(image());
    const afterInsert = store.changes.read();
    expect(afterInsert).not.toBe(before);

    await store.images.update(REGION, template.id, { description: 'changed' });
    expect(store.changes.read()).not.toBe(afterInsert);
  });

  it('moves after deletes, tag writes and raw statements', async () => {
    const row = image();
    await store.images.insert(row);
    let last = store.changes.read();
    const expectMoved = () => {
      const now = store.changes.read();
      expect(now).not.toBe(last);
      last = now;
    };
    await store.images.delete(REGION, row.id);
    expectMoved();
    await store.db
      .insertInto('tags')
      .values({
        account_id: '1111111111111111',
        region_id: REGION,
        resource_type: 'image',
        resource_id: template.id,
        tag_key: 'k',
        tag_value: 'v',
        created_at: Date.now(),
      } as never)
      .execute();
    expectMoved();
    await sql`update images set description = 'raw' where id = ${template.id}`.execute(store.db);
    expectMoved();
  });

  it('does not move for writes to quiet tables (the job queue)', async () => {
    const before = await settled(store);
    await store.db.deleteFrom('tasks').where('id', '=', 'none').execute();
    await store.db
      .updateTable('client_tokens')
      .set({ expires_at: 0 } as never)
      .where('token', '=', 'none')
      .execute();
    expect(store.changes.read()).toBe(before);
  });

  it('moves after a transaction commits, also when it was read inside', async () => {
    let inside = -1;
    await store.transaction(async (tx) => {
      await tx.images.insert(image());
      inside = store.changes.read();
    });
    // A read stamped inside the transaction saw uncommitted rows (or, elsewhere, the old ones):
    // the commit must leave that stamp behind.
    expect(store.changes.read()).not.toBe(inside);
  });

  it("moves when another process's connection commits", async () => {
    const other = await openStore(database.url, { schema: database.schema });
    try {
      const before = store.changes.read();
      await other.images.insert(image());
      expect(await movedFrom(store, before)).toBe(true);

      // …and stays put once nothing else happens (the notification is counted once).
      const calm = await settled(store);
      await new Promise((r) => setTimeout(r, 50));
      expect(store.changes.read()).toBe(calm);

      // Another connection's quiet-table writes are not catalogue changes on PostgreSQL (no
      // trigger there); SQLite's data_version cannot tell tables apart, so it moves — a lost
      // cache hit, never a stale answer.
      await other.db.deleteFrom('tasks').where('id', '=', 'none').execute();
      if (backend === 'postgres') {
        await new Promise((r) => setTimeout(r, 50));
        expect(store.changes.read()).toBe(calm);
      }
    } finally {
      await other.close();
    }
  });
});
