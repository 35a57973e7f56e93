/**
 * ClientToken claims. `claim` is an insert-first lock: the primary key decides which of many
 * concurrent requests (in any process, on either backend) runs the action.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { ClientTokensTable } from '../tables/client-tokens.js';

export type ClientTokenRow = ClientTokensTable;

export interface ClientTokenKey {
  accountId: string;
  action: string;
  token: string;
}

export class ClientTokensRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Inserts a `running` claim; false when a row for the key already exists. */
  async claim(
    key: ClientTokenKey,
    paramsHash: string,
    now: number,
    expiresAt: number,
  ): Promise<boolean> {
    const result = await this.db
      .insertInto('client_tokens')
      .values({
        account_id: key.accountId,
        action: key.action,
        token: key.token,
        params_hash: paramsHash,
        state: 'running',
        result: null,
        claimed_at: now,
        expires_at: expiresAt,
      })
      .onConflict((oc) => oc.columns(['account_id', 'action', 'token']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async find(key: ClientTokenKey): Promise<ClientTokenRow | undefined> {
    return this.db
      .selectFrom('client_tokens')
      .selectAll()
      .where('account_id', '=', key.accountId)
      .where('action', '=', key.action)
      .where('token', '=', key.token)
      .executeTakeFirst();
  }

  async complete(key: ClientTokenKey, claimedAt: number, result: string): Promise<void> {
    await this.db
      .updateTable('client_tokens')
      .set({ state: 'done', result })
      .where('account_id', '=', key.accountId)
      .where('action', '=', key.action)
      .where('token', '=', key.token)
      .where('claimed_at', '=', claimedAt)
      .execute();
  }

  /** Drops a claim, but only the one this caller holds (same claimed_at). */
  async release(key: ClientTokenKey, claimedAt: number): Promise<void> {
    await this.db
      .deleteFrom('client_tokens')
      .where('account_id', '=', key.accountId)
      .where('action', '=', key.action)
      .where('token', '=', key.token)
      .where('claimed_at', '=', claimedAt)
      .execute();
  }

  /**
   * Re-claims a stale `running` row (its holder died) for a new request; false when another
   * request re-claimed or finished it first.
   */
  async takeOver(
    key: ClientTokenKey,
    staleClaimedAt: number,
    paramsHash: string,
    now: number,
    expiresAt: number,
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('client_tokens')
      .set({ claimed_at: now, expires_at: expiresAt, params_hash: paramsHash, state: 'running' })
      .where('account_id', '=', key.accountId)
      .where('action', '=', key.action)
      .where('token', '=', key.token)
      .where('claimed_at', '=', staleClaimedAt)
      .where('state', '=', 'running')
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Forgets the account's expired tokens for one action. */
  async purgeExpired(accountId: string, action: string, now: number): Promise<number> {
    const result = await this.db
      .deleteFrom('client_tokens')
      .where('account_id', '=', accountId)
      .where('action', '=', action)
      .where('expires_at', '<', now)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
