/**
 * PostgreSQL: statement triggers on the tables DescribeImages and the other catalogue reads look
 * at send a notification on `ecsimg_changes` (payload: the schema) with every committed change,
 * so each process's change clock (store/change-clock.ts) learns of other processes' writes and
 * its response cache stops trusting older answers. A later table such a read depends on gets the
 * same trigger in its own migration (`watchTable`). SQLite needs nothing: `PRAGMA data_version`
 * tells a connection that another one committed.
 */
import { sql, SqliteAdapter, type Kysely } from 'kysely';

export const WATCHED_TABLES = ['images', 'image_disk_device_mappings', 'image_shares', 'tags'];

export async function up(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return;
  // NOTIFY sends at commit and folds identical notifications of one transaction into one.
  await sql
    .raw(
      `CREATE FUNCTION ecsimg_notify_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('ecsimg_changes', TG_TABLE_SCHEMA);
        RETURN NULL;
      END $$`,
    )
    .execute(db);
  for (const table of WATCHED_TABLES) await watchTable(db, table);
}

/** Makes every INSERT, UPDATE and DELETE statement on `table` notify (PostgreSQL only). */
export async function watchTable(db: Kysely<unknown>, table: string): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return;
  await sql
    .raw(
      `CREATE TRIGGER ${table}_notify_change AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE
      ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ecsimg_notify_change()`,
    )
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) return;
  for (const table of WATCHED_TABLES) {
    await sql.raw(`DROP TRIGGER IF EXISTS ${table}_notify_change ON ${table}`).execute(db);
  }
  await sql.raw('DROP FUNCTION IF EXISTS ecsimg_notify_change()').execute(db);
}
