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
import type { TasksTable } from './tables/tasks.js';

export interface Database {
  accounts: AccountsTable;
  ram_users: RamUsersTable;
  access_keys: AccessKeysTable;
  api_keys: ApiKeysTable;
  tasks: TasksTable;
}
