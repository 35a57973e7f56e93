import BetterSqlite3 from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCompiled } from './compiled.js';

interface Db {
  t: { k: string; n: number };
}

describe('runCompiled', () => {
  let db: Kysely<Db>;
  beforeEach(async () => {
    db = new Kysely<Db>({
      dialect: new SqliteDialect({ database: new BetterSqlite3(':memory:') }),
    });
    await db.schema.createTable('t').addColumn('k', 'text').addColumn('n', 'integer').execute();
    await db
      .insertInto('t')
      .values([
        { k: 'a', n: 1 },
        { k: 'b', n: 2 },
        { k: 'c', n: 3 },
      ])
      .execute();
  });
  afterEach(() => db.destroy());

  const byKeys = (keys: string[], min: number) => {
    let builds = 0;
    const run = runCompiled(db, `test.byKeys:${keys.length}`, [min, ...keys], ([low, ...ks]) => {
      builds++;
      return db
        .selectFrom('t')
        .select(['k', 'n'])
        .where('n', '>=', low as unknown as number)
        .where('k', 'in', ks)
        .orderBy('k');
    });
    return run.then((rows) => ({ rows, builds }));
  };

  it('builds a shape once and runs it with each call’s values', async () => {
    const first = await byKeys(['a', 'b'], 0);
    expect(first.rows).toEqual([
      { k: 'a', n: 1 },
      { k: 'b', n: 2 },
    ]);
    const second = await byKeys(['b', 'c'], 3);
    expect(second.builds).toBe(0);
    expect(second.rows).toEqual([{ k: 'c', n: 3 }]);
    // Another shape (three keys) is built on its own.
    const third = await byKeys(['a', 'b', 'c'], 2);
    expect(third.builds).toBe(1);
    expect(third.rows.map((r) => r.k)).toEqual(['b', 'c']);
  });

  it('refuses a query with a constant parameter, which the cached SQL would freeze', async () => {
    await expect(
      runCompiled(db, 'test.constant', ['a'], ([k]) =>
        db.selectFrom('t').selectAll().where('k', '=', k).where('n', '>', 1),
      ),
    ).rejects.toThrow(/not a marker/);
  });
});
