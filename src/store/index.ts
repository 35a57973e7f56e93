/**
 * The metadata store: one object holding every repository over one database connection.
 * Repositories are the only code that writes SQL; nothing above them knows the dialect.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import { ChangeClock, PgChangeListener } from './change-clock.js';
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
    /** Moves whenever committed metadata a cached read depends on may have changed. */
    readonly changes: ChangeClock = new ChangeClock(),
  ) {
    this.accounts = new AccountsRepository(db, dialect);
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
    try {
      return await this.db
        .transaction()
        .execute((trx: Transaction<Database>) =>
          fn(new Store(trx, this.dialect, async () => undefined, this.changes)),
        );
    } finally {
      // The statements inside ticked before the commit; a read that started in between saw
      // the old rows, so its cache stamp must fall behind now that they are committed.
      this.changes.tick();
    }
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
  if (opened.dialect !== 'postgres') {
    return new Store(opened.db, opened.dialect, opened.close, opened.changes);
  }
  const listener = new PgChangeListener(url, schema!);
  await listener.start();
  opened.changes.setExternal(listener.reading);
  const close = async () => {
    await listener.close();
    await opened.close();
  };
  return new Store(opened.db, opened.dialect, close, opened.changes);
}

/** PostgreSQL: the first schema on the search path, where unqualified tables are created. */
async function currentSchema(db: Kysely<unknown>): Promise<string> {
  const { rows } = await sql<{ name: string }>`select current_schema() as name`.execute(db);
  return rows[0].name;
}
