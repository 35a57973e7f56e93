/**
 * Versioned migrations, applied in name order on start. A migration never changes once
 * released: a schema change is a new file. Each area owns its numbers.
 */
import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import * as m0001 from './0001-accounts.js';
import * as m0002 from './0002-tasks.js';
import * as m0003 from './0003-images.js';
import * as m0004 from './0004-client-tokens.js';
import * as m0005 from './0005-blobs.js';
import * as m0006 from './0006-buckets-roles.js';
import * as m0007 from './0007-image-counts.js';
import * as m0008 from './0008-change-notify.js';
import * as m0009 from './0009-image-search-index.js';

const MIGRATIONS: Record<string, Migration> = {
  '0001-accounts': m0001,
  '0002-tasks': m0002,
  '0003-images': m0003,
  '0004-client-tokens': m0004,
  '0005-blobs': m0005,
  '0006-buckets-roles': m0006,
  '0007-image-counts': m0007,
  '0008-change-notify': m0008,
  '0009-image-search-index': m0009,
};

class InCodeProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    return MIGRATIONS;
  }
}

/**
 * @param schema PostgreSQL: the schema our tables live in. Kysely looks for its bookkeeping tables
 * in every schema of the database unless told which one, so without it a second ecsimg schema
 * (every test server has one) makes the migrator skip creating its own lock table and fail.
 */
export async function migrateToLatest(db: Kysely<unknown>, schema?: string): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: new InCodeProvider(),
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error;
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
