/**
 * The database as Kysely sees it: every table of every area. Each area declares its tables in
 * `tables/<area>.ts` and its migrations in `migrations/`.
 */
import type {
  AccessKeysTable,
  AccountsTable,
  ApiKeysTable,
  RamUsersTable,
} from './tables/accounts.js';
import type { BlobPinsTable, ManifestBlocksTable, ManifestsTable } from './tables/blobs.js';
import type { BucketsTable } from './tables/buckets.js';
import type { ClientTokensTable } from './tables/client-tokens.js';
import type {
  ImageCountsTable,
  ImageDiskDeviceMappingsTable,
  ImageSharesTable,
  ImagesTable,
} from './tables/images.js';
import type { ServiceRolesTable } from './tables/roles.js';
import type { TagsTable } from './tables/tags.js';
import type { TasksTable } from './tables/tasks.js';

export interface Database {
  accounts: AccountsTable;
  ram_users: RamUsersTable;
  access_keys: AccessKeysTable;
  api_keys: ApiKeysTable;
  tasks: TasksTable;
  images: ImagesTable;
  image_disk_device_mappings: ImageDiskDeviceMappingsTable;
  image_shares: ImageSharesTable;
  image_counts: ImageCountsTable;
  tags: TagsTable;
  client_tokens: ClientTokensTable;
  manifests: ManifestsTable;
  manifest_blocks: ManifestBlocksTable;
  blob_pins: BlobPinsTable;
  buckets: BucketsTable;
  service_roles: ServiceRolesTable;
}
