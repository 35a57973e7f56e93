/**
 * Per-(region, owner, category, status, expired) image counts, kept by triggers on `images`.
 *
 * DescribeImages answers a TotalCount with every page. Counting 10,000 matching index entries
 * cost ~0.8 ms on SQLite and several ms on PostgreSQL per request (bench/describe-images.ts), the
 * largest single cost of the request. Triggers (not repository code) keep the counts, so every
 * writer — the API, the worker process, a bulk load straight into the table — keeps them right.
 */
import { sql, SqliteAdapter, type Kysely } from 'kysely';

const KEY = ['region_id', 'owner_id', 'category', 'status', 'is_expired'] as const;

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('image_counts')
    .addColumn('region_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('owner_id', 'varchar(20)', (c) => c.notNull())
    .addColumn('category', 'varchar(16)', (c) => c.notNull())
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('is_expired', 'integer', (c) => c.notNull())
    .addColumn('n', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('image_counts_pk', [...KEY])
    .execute();

  const key = KEY.join(', ');
  const matches = (row: 'OLD' | 'NEW') => KEY.map((k) => `${k} = ${row}.${k}`).join(' AND ');
  const add = (row: 'NEW') =>
    `INSERT INTO image_counts (${key}, n) VALUES (${KEY.map((k) => `${row}.${k}`).join(', ')}, 1)
     ON CONFLICT (${key}) DO UPDATE SET n = image_counts.n + 1;`;
  const remove = (row: 'OLD') => `UPDATE image_counts SET n = n - 1 WHERE ${matches(row)};`;

  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    await sql
      .raw(
        `CREATE TRIGGER images_count_insert AFTER INSERT ON images
      BEGIN ${add('NEW')} END`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER images_count_delete AFTER DELETE ON images
      BEGIN ${remove('OLD')} END`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER images_count_update AFTER UPDATE OF ${key} ON images
      WHEN ${KEY.map((k) => `OLD.${k} IS NOT NEW.${k}`).join(' OR ')}
      BEGIN ${remove('OLD')} ${add('NEW')} END`,
      )
      .execute(db);
  } else {
    // One row-level function for the three events. An update moves an image between two
    // groups; taking the two counter rows in key order keeps two concurrent opposite moves
    // (Available → Deprecated and back) from deadlocking on each other's rows.
    await sql
      .raw(
        `CREATE FUNCTION images_count_track() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP = 'UPDATE' THEN
          IF (${KEY.map((k) => `OLD.${k}`).join(', ')}) IS NOT DISTINCT FROM
             (${KEY.map((k) => `NEW.${k}`).join(', ')}) THEN
            RETURN NULL;
          END IF;
          IF (${KEY.map((k) => `OLD.${k}`).join(', ')}) < (${KEY.map((k) => `NEW.${k}`).join(', ')})
          THEN
            ${remove('OLD')} ${add('NEW')}
          ELSE
            ${add('NEW')} ${remove('OLD')}
          END IF;
        ELSIF TG_OP = 'INSERT' THEN
          ${add('NEW')}
        ELSE
          ${remove('OLD')}
        END IF;
        RETURN NULL;
      END $$`,
      )
      .execute(db);
    await sql
      .raw(
        `CREATE TRIGGER images_count AFTER INSERT OR DELETE OR UPDATE OF ${key}
      ON images FOR EACH ROW EXECUTE FUNCTION images_count_track()`,
      )
      .execute(db);
  }

  // Images that existed before this migration.
  await sql
    .raw(
      `INSERT INTO image_counts (${key}, n)
    SELECT ${key}, count(*) FROM images GROUP BY ${key}`,
    )
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (db.getExecutor().adapter instanceof SqliteAdapter) {
    for (const name of ['insert', 'delete', 'update']) {
      await sql.raw(`DROP TRIGGER IF EXISTS images_count_${name}`).execute(db);
    }
  } else {
    await sql.raw('DROP TRIGGER IF EXISTS images_count ON images').execute(db);
    await sql.raw('DROP FUNCTION IF EXISTS images_count_track()').execute(db);
  }
  await db.schema.dropTable('image_counts').execute();
}
