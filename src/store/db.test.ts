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
});
