import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('buckets')
    .addColumn('name', 'varchar(63)', (c) => c.primaryKey())
    .addColumn('account_id', 'varchar(16)', (c) => c.notNull().references('accounts.id'))
    .addColumn('region_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('buckets_account').on('buckets').column('account_id').execute();

  await db.schema
    .createTable('service_roles')
    .addColumn('account_id', 'varchar(16)', (c) => c.notNull().references('accounts.id'))
    .addColumn('role_name', 'varchar(64)', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('authorized', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('authorized_at', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('service_roles_pk', ['account_id', 'role_name'])
    .execute();
}
