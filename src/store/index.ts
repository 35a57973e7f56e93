/**
 * The metadata store: one object holding every repository over one database connection.
 * Repositories are the only code that writes SQL; nothing above them knows the dialect.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { openDatabase, type DialectName } from './db.js';
import { migrateToLatest } from './migrations/index.js';
import { AccountsRepository } from './repositories/accounts.js';
import { BlobsRepository } from './repositories/blobs.js';
import { BucketsRepository } from './repositories/buckets.js';
import { ClientTokensRepository } from './repositories/client-tokens.js';
import { ImagesRepository } from './repositories/images.js';
import { RolesRepository } from './repositories/roles.js';
import { TagsRepository } from './repositories/tags.js';
import { TasksRepository } from './repositories/tasks.js';
import type { Database } from './schema.js';

export type { Database } from './schema.js';
export type { DialectName } from './db.js';

export class Store {
  readonly accounts: AccountsRepository;
  readonly tasks: TasksRepository;
  readonly images: ImagesRepository;
  readonly tags: TagsRepository;
  readonly clientTokens: ClientTokensRepository;
  readonly blobs: BlobsRepository;
  readonly buckets: BucketsRepository;
  readonly roles: RolesRepository;

  constructor(
    readonly db: Kysely<Database>,
    readonly dialect: DialectName,
    private readonly closeFn: () => Promise<void>,
  ) {
    this.accounts = new AccountsRepository(db);
    this.tasks = new TasksRepository(db, dialect);
    this.images = new ImagesRepository(db);
    this.tags = new TagsRepository(db);
    this.clientTokens = new ClientTokensRepository(db);
    this.blobs = new BlobsRepository(db);
    this.buckets = new BucketsRepository(db);
    this.roles = new RolesRepository(db);
  }

  /** Runs `fn` in one transaction with repositories bound to it. */
  async transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    return this.db
      .transaction()
      .execute((trx: Transaction<Database>) =>
        fn(new Store(trx, this.dialect, async () => undefined)),
      );
  }

  async close(): Promise<void> {
    await this.closeFn();
  }
}

/**
 * Opens the database, applies pending migrations and returns the store.
 *
 * @example
 *   const store = await openStore('sqlite:./data/ecsimg.db');
 */
export async function openStore(url: string, options: { schema?: string } = {}): Promise<Store> {
  const opened = await openDatabase(url, options);
  const schema =
    opened.dialect === 'postgres'
      ? (options.schema ?? (await currentSchema(opened.db as Kysely<unknown>)))
      : undefined;
  await migrateToLatest(opened.db as Kysely<unknown>, schema);
  return new Store(opened.db, opened.dialect, opened.close);
}

/** PostgreSQL: the first schema on the search path, where unqualified tables are created. */
async function currentSchema(db: Kysely<unknown>): Promise<string> {
  const { rows } = await sql<{ name: string }>`select current_schema() as name`.execute(db);
  return rows[0].name;
}
