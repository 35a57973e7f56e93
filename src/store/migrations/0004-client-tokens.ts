/**
 * ClientToken claims: one row per (account, action, token). The primary key is what makes
 * concurrent retries with one token create one resource — the first INSERT wins on every backend
 * and across processes; the others find the row and wait for, or replay, its result.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('client_tokens')
    .addColumn('account_id', 'varchar(20)', (c) => c.notNull())
    .addColumn('action', 'varchar(64)', (c) => c.notNull())
    .addColumn('token', 'varchar(64)', (c) => c.notNull())
    .addColumn('params_hash', 'varchar(64)', (c) => c.notNull())
    // running | done
    .addColumn('state', 'varchar(8)', (c) => c.notNull())
    // JSON of the first request's result, once done.
    .addColumn('result', 'text')
    .addColumn('claimed_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('client_tokens_pk', ['account_id', 'action', 'token'])
    .execute();
  await db.schema
    .createIndex('client_tokens_expiry')
    .on('client_tokens')
    .columns(['account_id', 'action', 'expires_at'])
    .execute();
}
