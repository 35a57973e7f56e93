/**
 * How the store sends statements (store/db.ts): on PostgreSQL parameterized SQL goes out as named
 * statements, one name per text, except SQL that reads `*`; on both backends the answers are the
 * same either way.
 */
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openDatabase, readsEveryColumn, type OpenedDatabase } from '../../src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';

describe('readsEveryColumn', () => {
  it('tells SQL reading every column from SQL naming its columns', () => {
    for (const text of [
      'select * from "images"',
      'select distinct * from t',
      'select "a", "t".* from "t"',
      'select a, * from t',
      'insert into t (a) values ($1) returning *',
      'SELECT\n  * FROM t',
    ]) {
      expect(readsEveryColumn(text), text).toBe(true);
    }
    for (const text of [
      'select "id", "created_at" from "images" where "region_id" = ?',
      'select count(*) as "n" from "images"',
      'select a * 2 as b from t',
      'insert into t (a) values ($1) returning "a"',
    ]) {
      expect(readsEveryColumn(text), text).toBe(false);
    }
  });
});

describe('named statements on PostgreSQL', () => {
  let database: TestDatabase;
  let opened: OpenedDatabase;

  beforeEach(async () => {
    database = await createTestDatabase('postgres');
    opened = await openDatabase(database.url, { schema: database.schema });
    await sql`create table t (a integer, b text)`.execute(opened.db);
    await sql`insert into t values (1, 'one'), (2, 'two'), (3, 'three')`.execute(opened.db);
  });
  afterEach(async () => {
    await opened.close();
    await database.drop();
  });

  it('names parameterized statements once per text, not those reading *', async () => {
    // One transaction holds one connection, so its prepared statements can be listed.
    const seen = await opened.db.transaction().execute(async (tx) => {
      for (const min of [0, 1, 2]) {
        const { rows } = await sql<{ a: number }>`select a from t where a > ${min}`.execute(tx);
        expect(rows.map((r) => r.a)).toEqual([1, 2, 3].filter((a) => a > min));
      }
      const all = await sql<{ a: number; b: string }>`select * from t where a = ${2}`.execute(tx);
      expect(all.rows).toEqual([{ a: 2, b: 'two' }]);
      const { rows } = await sql<{ name: string; statement: string }>`
        select name, statement from pg_prepared_statements order by name`.execute(tx);
      return rows;
    });

    const ours = seen.filter((s) => s.name.startsWith('ecsimg_'));
    expect(ours.map((s) => s.statement)).toContain('select a from t where a > $1');
    expect(ours.filter((s) => s.statement === 'select a from t where a > $1')).toHaveLength(1);
    expect(ours.some((s) => s.statement.includes('*'))).toBe(false);
  });

  it('sees a column added after a statement naming its columns was prepared', async () => {
    const read = () => sql<{ a: number }>`select a from t where a = ${1}`.execute(opened.db);
    expect((await read()).rows).toEqual([{ a: 1 }]);
    await sql`alter table t add column c integer default 7`.execute(opened.db);
    expect((await read()).rows).toEqual([{ a: 1 }]);
    const withC = await sql`select a, c from t where a = ${1}`.execute(opened.db);
    expect(withC.rows).toEqual([{ a: 1, c: 7 }]);
  });
});
