/**
 * The image catalogue: images, their disk device mappings, the accounts they are shared with, and
 * tags (one table for every taggable resource type, so snapshots and others reuse it).
 *
 * System images carry the same ImageId in every region (`ubuntu_22_04_x64_20G_alibase_….vhd`), so
 * an image is keyed by (region_id, id).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('images')
    .addColumn('region_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('id', 'varchar(128)', (c) => c.notNull())
    // system | custom | marketplace — who published it; the viewer's ImageOwnerAlias derives from it.
    .addColumn('category', 'varchar(16)', (c) => c.notNull())
    .addColumn('owner_id', 'varchar(20)', (c) => c.notNull())
    .addColumn('name', 'varchar(128)', (c) => c.notNull())
    .addColumn('description', 'varchar(256)', (c) => c.notNull().defaultTo(''))
    .addColumn('family', 'varchar(128)')
    .addColumn('version', 'varchar(40)', (c) => c.notNull().defaultTo(''))
    .addColumn('status', 'varchar(16)', (c) => c.notNull())
    .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
    // import | copy | create | pipeline | system: where the image came from (refusals depend on it).
    .addColumn('origin', 'varchar(16)', (c) => c.notNull())
    .addColumn('source_image_id', 'varchar(128)')
    .addColumn('source_region_id', 'varchar(32)')
    // A long operation holding the image (export | copy-source); null when idle.
    .addColumn('lock_operation', 'varchar(16)')
    .addColumn('os_type', 'varchar(16)', (c) => c.notNull())
    .addColumn('os_name', 'varchar(128)', (c) => c.notNull().defaultTo(''))
    .addColumn('os_name_en', 'varchar(128)', (c) => c.notNull().defaultTo(''))
    .addColumn('platform', 'varchar(32)', (c) => c.notNull())
    .addColumn('architecture', 'varchar(16)', (c) => c.notNull())
    .addColumn('boot_mode', 'varchar(16)', (c) => c.notNull())
    .addColumn('size_gib', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('license_type', 'varchar(16)', (c) => c.notNull().defaultTo('Auto'))
    .addColumn('is_copied', 'integer', (c) => c.notNull().defaultTo(0))
    // Community image (published to every account); system images are public by nature.
    .addColumn('is_public', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('is_support_io_optimized', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('is_support_cloudinit', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('login_as_non_root_supported', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('classic_network', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('usable', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('is_expired', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('imds_support', 'varchar(8)', (c) => c.notNull().defaultTo('v1'))
    .addColumn('nvme_support', 'varchar(16)', (c) => c.notNull().defaultTo('unsupported'))
    .addColumn('cpu_online_upgrade', 'varchar(16)', (c) => c.notNull().defaultTo('unsupported'))
    .addColumn('cpu_online_downgrade', 'varchar(16)', (c) => c.notNull().defaultTo('unsupported'))
    .addColumn('memory_online_upgrade', 'varchar(16)', (c) => c.notNull().defaultTo('unsupported'))
    .addColumn('memory_online_downgrade', 'varchar(16)', (c) =>
      c.notNull().defaultTo('unsupported'),
    )
    .addColumn('secure_boot_support', 'varchar(16)', (c) => c.notNull().defaultTo('unsupported'))
    .addColumn('product_code', 'varchar(64)', (c) => c.notNull().defaultTo(''))
    .addColumn('supplier_name', 'varchar(128)', (c) => c.notNull().defaultTo(''))
    .addColumn('resource_group_id', 'varchar(64)', (c) => c.notNull().defaultTo(''))
    // JSON {Status, Items:[{Name, Value, RiskLevel, RiskCode}]} once a detection ran; else null.
    .addColumn('detection', 'text')
    .addColumn('failure_reason', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('images_pk', ['region_id', 'id'])
    .execute();

  // DescribeImages pages an account's images in a region by creation time; system images likewise.
  // Every equality column of the default query leads, so the count is an index range scan and
  // the page is read in index order.
  await db.schema
    .createIndex('images_owner_listing')
    .on('images')
    .columns(['region_id', 'owner_id', 'status', 'category', 'is_expired', 'created_at'])
    .execute();
  await db.schema
    .createIndex('images_category_listing')
    .on('images')
    .columns(['region_id', 'category', 'status', 'is_expired', 'created_at'])
    .execute();
  await db.schema
    .createIndex('images_family')
    .on('images')
    .columns(['region_id', 'family', 'created_at'])
    .execute();
  // Names are unique per account and region (InvalidImageName.Duplicated). The check is made in
  // the domain, which answers the cloud's code; this index keeps it one lookup.
  await db.schema
    .createIndex('images_owner_name')
    .on('images')
    .columns(['region_id', 'owner_id', 'name'])
    .execute();

  await db.schema
    .createTable('image_disk_device_mappings')
    .addColumn('region_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('image_id', 'varchar(128)', (c) => c.notNull())
    .addColumn('position', 'integer', (c) => c.notNull())
    .addColumn('device', 'varchar(32)', (c) => c.notNull().defaultTo(''))
    .addColumn('type', 'varchar(8)', (c) => c.notNull())
    .addColumn('size_gib', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('snapshot_id', 'varchar(64)', (c) => c.notNull().defaultTo(''))
    .addColumn('format', 'varchar(16)', (c) => c.notNull().defaultTo(''))
    .addColumn('import_oss_bucket', 'varchar(64)', (c) => c.notNull().defaultTo(''))
    .addColumn('import_oss_object', 'varchar(1024)', (c) => c.notNull().defaultTo(''))
    .addColumn('encrypted', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('progress', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('remain_time_s', 'integer', (c) => c.notNull().defaultTo(0))
    // Where this disk's content lives (a manifest), set by the area that stores the data.
    .addColumn('content_ref', 'varchar(128)')
    .addPrimaryKeyConstraint('image_disk_device_mappings_pk', ['region_id', 'image_id', 'position'])
    .execute();
  await db.schema
    .createIndex('image_mappings_snapshot')
    .on('image_disk_device_mappings')
    .columns(['snapshot_id'])
    .execute();

  await db.schema
    .createTable('image_shares')
    .addColumn('region_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('image_id', 'varchar(128)', (c) => c.notNull())
    .addColumn('account_id', 'varchar(20)', (c) => c.notNull())
    .addColumn('shared_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('image_shares_pk', ['region_id', 'image_id', 'account_id'])
    .execute();
  await db.schema
    .createIndex('image_shares_recipient')
    .on('image_shares')
    .columns(['account_id', 'region_id'])
    .execute();

  await db.schema
    .createTable('tags')
    .addColumn('account_id', 'varchar(20)', (c) => c.notNull())
    .addColumn('region_id', 'varchar(32)', (c) => c.notNull())
    .addColumn('resource_type', 'varchar(32)', (c) => c.notNull())
    .addColumn('resource_id', 'varchar(128)', (c) => c.notNull())
    .addColumn('tag_key', 'varchar(128)', (c) => c.notNull())
    .addColumn('tag_value', 'varchar(128)', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('tags_pk', [
      'account_id',
      'region_id',
      'resource_type',
      'resource_id',
      'tag_key',
    ])
    .execute();
  await db.schema
    .createIndex('tags_by_key')
    .on('tags')
    .columns(['account_id', 'region_id', 'resource_type', 'tag_key', 'tag_value'])
    .execute();
}
