import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('manifests')
    .addColumn('id', 'varchar(32)', (c) => c.primaryKey())
    .addColumn('virtual_size', 'bigint', (c) => c.notNull())
    .addColumn('block_size', 'integer', (c) => c.notNull())
    .addColumn('state', 'varchar(16)', (c) => c.notNull())
    .addColumn('data_blocks', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('released', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('completed_at', 'bigint')
    .execute();

  await db.schema
    .createTable('manifest_blocks')
    .addColumn('manifest_id', 'varchar(32)', (c) =>
      c.notNull().references('manifests.id').onDelete('cascade'),
    )
    .addColumn('block_index', 'integer', (c) => c.notNull())
    .addColumn('address', 'varchar(128)', (c) => c.notNull())
    .addPrimaryKeyConstraint('manifest_blocks_pk', ['manifest_id', 'block_index'])
    .execute();
  // The collector's mark asks "is this address referenced?" for every stored chunk.
  await db.schema
    .createIndex('manifest_blocks_address')
    .on('manifest_blocks')
    .column('address')
    .execute();

  await db.schema
    .createTable('blob_pins')
    .addColumn('id', 'varchar(40)', (c) => c.primaryKey())
    .addColumn('manifest_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('holder', 'varchar(128)', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('blob_pins_manifest').on('blob_pins').column('manifest_id').execute();
}
