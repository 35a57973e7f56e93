/**
 * Opens the metadata database: SQLite (better-sqlite3, the embedded default) or PostgreSQL (pg)
 * behind one Kysely instance. Nothing above `store/` sees which one it is.
 */
import fs from 'node:fs';
import path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql, type PostgresPool } from 'kysely';
import pg from 'pg';
import { ChangeClock, ChangeClockPlugin, sampleEvery } from './change-clock.js';
import type { Database } from './schema.js';

export type DialectName = 'sqlite' | 'postgres';

export interface OpenedDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  /** Moves when committed data cached reads depend on may have changed (change-clock.ts). */
  changes: ChangeClock;
  close(): Promise<void>;
}

// int8 (epoch milliseconds) and numeric arrive as strings from pg; our values fit in a double.
pg.types.setTypeParser(20, (v) => Number(v));

/**
 * @param url `sqlite:/path/file.db`, `sqlite::memory:` or `postgres://…`
 * @param options.schema PostgreSQL only: a schema to create and use (tests get one each).
 */
export async function openDatabase(
  url: string,
  options: { schema?: string } = {},
): Promise<OpenedDatabase> {
  if (url.startsWith('sqlite:')) return openSqlite(url.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(url)) return openPostgres(url, options.schema);
  throw new Error(`unsupported database URL (expected sqlite:… or postgres://…)`);
}

function openSqlite(file: string): OpenedDatabase {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
  const database = new BetterSqlite3(file);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('foreign_keys = ON');
  // Another process (an `ecsimg worker`) may hold the write lock for a moment.
  database.pragma('busy_timeout = 5000');

  // data_version changes for this connection whenever another one (an `ecsimg worker`)
  // commits; this connection's own writes tick the clock through the plugin.
  const dataVersion = database.prepare('PRAGMA data_version').pluck();
  const changes = new ChangeClock(sampleEvery(1, () => dataVersion.get()));
  const db = new Kysely<Database>({
    dialect: new SqliteDialect({ database: withStatementCache(database) }),
    plugins: [new ChangeClockPlugin(changes)],
  });
  return { db, dialect: 'sqlite', changes, close: () => db.destroy() };
}

/** Distinct SQL texts kept prepared; `IN (?, ?, …)` lists make a few shapes per query. */
export const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely's SQLite driver prepares every query afresh, and compiling the SQL was ~15% of a
 * DescribeImages request's CPU (bench/describe-images.ts profile). Statements are kept by their
 * text (least recently used dropped first) and reused; SQLite re-prepares a kept statement by
 * itself when the schema changes. A statement still being iterated (a streamed query) is busy
 * and cannot run twice at once, so that case gets a fresh one. Rows come as objects built by
 * `rowsAsObjects` where it can.
 */
export function withStatementCache(
  database: BetterSqlite3.Database,
  size = STATEMENT_CACHE_SIZE,
): Pick<BetterSqlite3.Database, 'prepare' | 'close'> {
  const cache = new Map<string, BetterSqlite3.Statement>();
  return {
    prepare(source: string) {
      const kept = cache.get(source);
      if (kept && !kept.busy) {
        // Map order is insertion order: re-inserting marks it most recently used.
        cache.delete(source);
        cache.set(source, kept);
        return kept;
      }
      const statement = rowsAsObjects(database.prepare(source));
      if (!kept) {
        cache.set(source, statement);
        if (cache.size > size) cache.delete(cache.keys().next().value!);
      }
      return statement;
    },
    close() {
      cache.clear();
      return database.close();
    },
  } as Pick<BetterSqlite3.Database, 'prepare' | 'close'>;
}

/**
 * A reading statement whose rows are read as arrays and made into objects by a function
 * generated for its columns. better-sqlite3 builds each row object one property at a time
 * through V8's API: for a page of 50 images (45 columns) that was half the read, 0.52 → 0.27 ms
 * this way, and every row gets the same shape at once.
 *
 * Not for SQL that reads `*`: the other statements' column names are fixed by their text, but
 * a `select *` can gain or lose columns when the schema changes (SQLite re-prepares it
 * silently), and the generated function would put values under the wrong names.
 */
function rowsAsObjects(statement: BetterSqlite3.Statement): BetterSqlite3.Statement {
  if (!statement.reader || readsEveryColumn(statement.source)) return statement;
  const names = statement.columns().map((c) => c.name);
  // As a literal key, `__proto__` would set the prototype instead of a property.
  if (names.includes('__proto__')) return statement;
  const fields = names.map((name, i) => `${JSON.stringify(name)}: row[${i}]`);
  const toObject = new Function('row', `return { ${fields.join(', ')} };`) as (
    row: unknown[],
  ) => unknown;
  const raw = statement.raw(true);

  // What Kysely's driver and the cache above use of a statement.
  const wrapped: Pick<BetterSqlite3.Statement, 'source' | 'reader' | 'busy'> &
    Record<'get' | 'all' | 'run' | 'iterate', (...params: unknown[]) => unknown> = {
    source: raw.source,
    reader: true,
    get busy() {
      return raw.busy;
    },
    get(...params) {
      const row = raw.get(...params) as unknown[] | undefined;
      return row && toObject(row);
    },
    all(...params) {
      const rows = raw.all(...params) as unknown[];
      for (let i = 0; i < rows.length; i++) rows[i] = toObject(rows[i] as unknown[]);
      return rows;
    },
    run: (...params) => raw.run(...params),
    *iterate(...params) {
      for (const row of raw.iterate(...params)) yield toObject(row as unknown[]);
    },
  };
  return wrapped as unknown as BetterSqlite3.Statement;
}

/**
 * Does the SQL read `*` — every column of a table, whatever the schema holds when it runs?
 * (`select *`, `t.*`, `returning *`; not `count(*)`.)
 */
export function readsEveryColumn(source: string): boolean {
  return /(?:\b(?:select|all|distinct|returning)|[,./])\s*\*/i.test(source);
}

async function openPostgres(url: string, schema?: string): Promise<OpenedDatabase> {
  if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new Error('invalid schema name');

  if (schema) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    } finally {
      await admin.end();
    }
  }

  const pool = new pg.Pool({
    connectionString: url,
    max: 10,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // Other processes' commits reach the clock once the store starts its PgChangeListener.
  const changes = new ChangeClock();
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: withNamedStatements(pool) }),
    plugins: [new ChangeClockPlugin(changes)],
  });
  await sql`select 1`.execute(db);
  return { db, dialect: 'postgres', changes, close: () => db.destroy() };
}

/**
 * PostgreSQL parses and plans every unnamed statement it is sent, and planning was about half of
 * its CPU for an uncached DescribeImages default listing (1.3–1.6 → 0.6 ms a request sent named;
 * bench/describe-images.ts --gateway-only). Parameterized statements go out named, one name per
 * SQL text, so each connection parses a statement once; after five runs PostgreSQL may reuse a
 * generic plan, which it does only where it estimates it no costlier than planning anew.
 *
 * Left unnamed: SQL that reads `*` (another process's migration could change its columns, and a
 * prepared statement's result columns may not change), and texts beyond the first `limit`, which
 * bounds what every connection keeps. Named statements need session connections, as the change
 * listener's LISTEN already does (a transaction-pooling proxy would lose them).
 */
export function withNamedStatements(pool: pg.Pool, limit = STATEMENT_CACHE_SIZE): PostgresPool {
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (name === undefined && names.size < limit && !readsEveryColumn(text)) {
      name = `ecsimg_${names.size}`;
      names.set(text, name);
    }
    return name;
  };

  const named = new WeakSet<pg.PoolClient>();
  return {
    async connect() {
      const client = await pool.connect();
      if (named.has(client)) return client;
      named.add(client);
      // Kysely sends a query as (text, values), or a cursor object for a stream.
      const query = client.query.bind(client) as (...args: unknown[]) => unknown;
      client.query = ((...args: unknown[]) => {
        const [text, values] = args;
        const name =
          typeof text === 'string' && Array.isArray(values) && values.length
            ? nameOf(text)
            : undefined;
        return name ? query({ name, text, values }) : query(...args);
      }) as typeof client.query;
      return client;
    },
    end: () => pool.end(),
  };
}
