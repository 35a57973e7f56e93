import BetterSqlite3 from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { withStatementCache } from './db.js';

describe('withStatementCache', () => {
  const opened: BetterSqlite3.Database[] = [];
  const open = () => {
    const database = new BetterSqlite3(':memory:');
    opened.push(database);
    database.exec('create table t (n integer)');
    database.exec('insert into t values (1), (2), (3)');
    return database;
  };
  afterEach(() => {
    for (const database of opened.splice(0)) if (database.open) database.close();
  });

  it('reuses the prepared statement for the same SQL text', () => {
    const cached = withStatementCache(open());
    const first = cached.prepare('select n from t where n > ?');
    const second = cached.prepare('select n from t where n > ?');
    expect(second).toBe(first);
    expect(second.all(1)).toEqual([{ n: 2 }, { n: 3 }]);
    expect(cached.prepare('select n from t where n < ?')).not.toBe(first);
  });

  it('gives a fresh statement while the kept one is still being iterated', () => {
    const cached = withStatementCache(open());
    const streaming = cached.prepare('select n from t');
    const iterator = streaming.iterate();
    iterator.next();
    const other = cached.prepare('select n from t');
    expect(other).not.toBe(streaming);
    expect(other.all()).toHaveLength(3);
    iterator.return?.();
    expect(cached.prepare('select n from t')).toBe(streaming);
  });

  it('drops the least recently used statement beyond its size', () => {
    const cached = withStatementCache(open(), 2);
    const a = cached.prepare('select 1');
    const b = cached.prepare('select 2');
    expect(cached.prepare('select 1')).toBe(a); // now b is the oldest
    cached.prepare('select 3');
    expect(cached.prepare('select 1')).toBe(a);
    expect(cached.prepare('select 2')).not.toBe(b);
  });

  it('sees schema changes made after a statement was kept', () => {
    const database = open();
    const cached = withStatementCache(database);
    expect(cached.prepare('select * from t limit 1').get()).toEqual({ n: 1 });
    database.exec('alter table t add column m integer default 7');
    expect(cached.prepare('select * from t limit 1').get()).toEqual({ n: 1, m: 7 });
  });

  it('builds rows of statements that name their columns, equal to better-sqlite3 objects', () => {
    const database = open();
    database.exec('create table r (a integer, b text, c real, d blob, "x y" text)');
    database.exec(
      "insert into r values (1, 'one', 1.5, x'00ff', null), (2, '二', -0.5, null, 'z')",
    );
    const cached = withStatementCache(database);
    const source = 'select a, b, c, d, "x y", a + 1 as "__proto__x" from r where a >= ?';
    const statement = cached.prepare(source);
    const plain = database.prepare(source);

    expect(statement.all(1)).toEqual(plain.all(1));
    expect(statement.get(2)).toEqual(plain.get(2));
    expect(statement.get(3)).toBeUndefined();
    expect([...statement.iterate(1)]).toEqual(plain.all(1));
    expect(Object.getPrototypeOf(statement.get(1))).toBe(Object.prototype);
  });

  it('keeps a named column list right after the schema changes under it', () => {
    const database = open();
    const cached = withStatementCache(database);
    expect(cached.prepare('select n from t where n = 1').all()).toEqual([{ n: 1 }]);
    database.exec('alter table t add column m integer default 7');
    expect(cached.prepare('select n from t where n = 1').all()).toEqual([{ n: 1 }]);
    expect(cached.prepare('select n, m from t where n = 1').all()).toEqual([{ n: 1, m: 7 }]);
  });

  it('answers a column called __proto__ as better-sqlite3 does (a literal key would not)', () => {
    const database = open();
    const source = 'select n as "__proto__", n from t where n = 1';
    const row = withStatementCache(database).prepare(source).get() as object;
    expect(row).toEqual(database.prepare(source).get());
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
  });
});
