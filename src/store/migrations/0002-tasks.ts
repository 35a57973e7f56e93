import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('tasks')
    .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('account_id', 'varchar(16)')
    .addColumn('region_id', 'varchar(32)')
    .addColumn('action', 'varchar(64)', (c) => c.notNull())
    .addColumn('resource_id', 'varchar(64)')
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('params', 'text', (c) => c.notNull())
    .addColumn('result', 'text')
    .addColumn('related_items', 'text')
    .addColumn('error_code', 'varchar(128)')
    .addColumn('error_message', 'text')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('lease_owner', 'varchar(128)')
    .addColumn('lease_expires_at', 'bigint')
    .addColumn('heartbeat_at', 'bigint')
    .addColumn('available_at', 'bigint', (c) => c.notNull())
    .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('support_cancel', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('started_at', 'bigint')
    .addColumn('finished_at', 'bigint')
    .execute();

  // The worker's lease query scans by status and readiness; the API lists per account and region.
  await db.schema
    .createIndex('tasks_queue')
    .on('tasks')
    .columns(['status', 'available_at'])
    .execute();
  await db.schema
    .createIndex('tasks_owner_listing')
    .on('tasks')
    .columns(['account_id', 'region_id', 'created_at'])
    .execute();
  await db.schema.createIndex('tasks_resource').on('tasks').column('resource_id').execute();
}
