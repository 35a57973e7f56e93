/**
 * The metadata backends every integration suite runs against: SQLite always, PostgreSQL at
 * ECSIMG_TEST_DATABASE_URL (default: the local server on 127.0.0.1:5432, database `test`).
 * PostgreSQL is not optional: when it is unreachable the suite fails and says so.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';

export const POSTGRES_URL =
  process.env.ECSIMG_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type Backend = 'sqlite' | 'postgres';
export const BACKENDS: Backend[] = ['sqlite', 'postgres'];

export interface TestDatabase {
  backend: Backend;
  url: string;
  /** PostgreSQL: a fresh schema for this database; SQLite: none (a fresh file). */
  schema?: string;
  dataDir: string;
  drop(): Promise<void>;
}

export async function createTestDatabase(backend: Backend): Promise<TestDatabase> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecsimg-test-'));
  if (backend === 'sqlite') {
    return {
      backend,
      url: `sqlite:${path.join(dataDir, 'ecsimg.db')}`,
      dataDir,
      drop: async () => fs.rmSync(dataDir, { recursive: true, force: true }),
    };
  }

  const schema = `t_${crypto.randomBytes(6).toString('hex')}`;
  return {
    backend,
    url: POSTGRES_URL,
    schema,
    dataDir,
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      try {
        await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      } finally {
        await client.end();
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
