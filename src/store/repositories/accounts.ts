import { sql, type Kysely } from 'kysely';
import type { DialectName } from '../db.js';
import type { Database } from '../schema.js';
import type { AccountsTable, RamUsersTable } from '../tables/accounts.js';

export type AccountRow = AccountsTable;
export type RamUserRow = RamUsersTable;

export interface AccessKeyRecord {
  accessKeyId: string;
  accountId: string;
  ramUserId: string | null;
  secretEncrypted: string;
}

/** Accounts, RAM users, AccessKeys and API keys. */
export class AccountsRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  /**
   * Inside a transaction: holds the account until the transaction ends, so transactions that
   * check an account-wide rule and then write (an image name unique in the account and region)
   * run one after another instead of both passing the check. PostgreSQL locks the account's
   * row `FOR NO KEY UPDATE`: lockers wait for each other, while inserts whose foreign keys
   * point at the account (keys, buckets, roles) do not wait at all. SQLite takes the database's
   * write lock now, before the check reads, so the check sees every commit made before it.
   * Take it first in the transaction, before any other row lock, so lockers cannot deadlock.
   */
  async lock(accountId: string): Promise<void> {
    if (this.dialect === 'postgres') {
      await sql`select id from accounts where id = ${accountId} for no key update`.execute(this.db);
    } else {
      await this.db
        .updateTable('accounts')
        .set({ id: accountId })
        .where('id', '=', accountId)
        .execute();
    }
  }

  async insertAccount(row: AccountRow): Promise<void> {
    await this.db.insertInto('accounts').values(row).execute();
  }

  async findAccount(id: string): Promise<AccountRow | undefined> {
    return this.db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async findAccountByName(name: string): Promise<AccountRow | undefined> {
    return this.db.selectFrom('accounts').selectAll().where('name', '=', name).executeTakeFirst();
  }

  async findAdmin(): Promise<AccountRow | undefined> {
    return this.db.selectFrom('accounts').selectAll().where('is_admin', '=', 1).executeTakeFirst();
  }

  async listAccounts(): Promise<AccountRow[]> {
    return this.db.selectFrom('accounts').selectAll().orderBy('created_at').execute();
  }

  async insertRamUser(row: RamUserRow): Promise<void> {
    await this.db.insertInto('ram_users').values(row).execute();
  }

  async findRamUser(id: string): Promise<RamUserRow | undefined> {
    return this.db.selectFrom('ram_users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async listRamUsers(accountId: string): Promise<RamUserRow[]> {
    return this.db
      .selectFrom('ram_users')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('created_at')
      .execute();
  }

  async updateRamUserPolicies(id: string, policies: string): Promise<void> {
    await this.db.updateTable('ram_users').set({ policies }).where('id', '=', id).execute();
  }

  async insertAccessKey(key: AccessKeyRecord, now: number): Promise<void> {
    await this.db
      .insertInto('access_keys')
      .values({
        access_key_id: key.accessKeyId,
        account_id: key.accountId,
        ram_user_id: key.ramUserId,
        secret_encrypted: key.secretEncrypted,
        created_at: now,
      })
      .execute();
  }

  async findAccessKey(accessKeyId: string): Promise<AccessKeyRecord | undefined> {
    const row = await this.db
      .selectFrom('access_keys')
      .selectAll()
      .where('access_key_id', '=', accessKeyId)
      .executeTakeFirst();
    return (
      row && {
        accessKeyId: row.access_key_id,
        accountId: row.account_id,
        ramUserId: row.ram_user_id,
        secretEncrypted: row.secret_encrypted,
      }
    );
  }

  async insertApiKey(
    keyHash: string,
    accountId: string,
    ramUserId: string | null,
    now: number,
  ): Promise<void> {
    await this.db
      .insertInto('api_keys')
      .values({ key_hash: keyHash, account_id: accountId, ram_user_id: ramUserId, created_at: now })
      .execute();
  }

  async findApiKey(keyHash: string) {
    return this.db
      .selectFrom('api_keys')
      .selectAll()
      .where('key_hash', '=', keyHash)
      .executeTakeFirst();
  }
}
