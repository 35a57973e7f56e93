/**
 * ClientToken idempotency, shared by every create action (ImportImage, CopyImage, CreateImage,
 * CreateSnapshot, pipelines …).
 *
 * As on the cloud: the same token with the same parameters returns the first result; the same
 * token with other parameters is refused (IdempotentParameterMismatch, or the action's own code);
 * a token whose first request is still running answers IdempotentProcessing. A claim row is
 * inserted BEFORE the action runs and its primary key decides the winner, so concurrent retries
 * — in one process or many, on SQLite or PostgreSQL — create one resource.
 *
 * Differences from the cloud: the retention window is not documented there; tokens are kept 24 h
 * here, per account and action. A request that fails releases its token, so a corrected retry
 * with the same token runs again instead of replaying the failure.
 */
import crypto from 'node:crypto';
import type { Store } from '../../store/index.js';
import { EcsError } from '../errors/index.js';

export const CLIENT_TOKEN_RETENTION_MS = 24 * 60 * 60 * 1000;
/** A `running` claim older than this belongs to a process that died; a retry may take it over. */
export const CLIENT_TOKEN_RUNNING_LEASE_MS = 10 * 60 * 1000;
export const CLIENT_TOKEN_MAX_LENGTH = 64;

export interface ClientTokenRequest {
  accountId: string;
  /** The action name (tokens are scoped per action). */
  action: string;
  /** Absent or empty: no idempotency, `create` simply runs. */
  token?: string;
  /** The request's decoded parameters; ClientToken and DryRun are left out of the comparison. */
  params: Record<string, unknown>;
  /** The action's code for a token reused with other parameters. */
  mismatchCode?: string;
}

/** Parameters as a stable string: object keys sorted at every depth. */
export function canonicalParams(params: Record<string, unknown>): string {
  const normalise = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(normalise);
    if (value && typeof value === 'object') {
      return Object.fromEntries(
        Object.keys(value as Record<string, unknown>)
          .sort()
          .map((k) => [k, normalise((value as Record<string, unknown>)[k])]),
      );
    }
    return value;
  };
  const { ClientToken: _token, DryRun: _dryRun, ...rest } = params;
  return JSON.stringify(normalise(rest));
}

export function checkClientToken(token: string): void {
  if (token.length > CLIENT_TOKEN_MAX_LENGTH || !/^[\x20-\x7e]+$/.test(token)) {
    throw new EcsError('InvalidClientToken.Malformed', { name: 'ClientToken' });
  }
}

export class Idempotency {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
    private readonly retentionMs = CLIENT_TOKEN_RETENTION_MS,
    private readonly runningLeaseMs = CLIENT_TOKEN_RUNNING_LEASE_MS,
  ) {}

  /**
   * Runs `create` at most once per (account, action, token) and returns its result — the stored
   * one on a replay. The result must be JSON-serialisable.
   *
   * @example
   *   const { ImageId } = await idempotency.withClientToken(
   *     { accountId, action: 'CreateImage', token: params.ClientToken, params,
   *       mismatchCode: 'IdempotenceParamNotMatch' },
   *     async () => ({ ImageId: (await images.createImage(input)).id }),
   *   );
   */
  async withClientToken<T>(request: ClientTokenRequest, create: () => Promise<T>): Promise<T> {
    if (!request.token) return create();
    checkClientToken(request.token);

    const key = { accountId: request.accountId, action: request.action, token: request.token };
    const hash = crypto.createHash('sha256').update(canonicalParams(request.params)).digest('hex');
    const repo = this.store.clientTokens;
    const now = this.now();

    // Lazy retention: expired tokens of this account and action go before they could match.
    await repo.purgeExpired(key.accountId, key.action, now);

    let claimedAt = now;
    if (!(await repo.claim(key, hash, now, now + this.retentionMs))) {
      const existing = await repo.find(key);
      if (!existing) {
        // Released between our insert and our read: the first request failed; ask for a retry.
        throw new EcsError('IdempotentProcessing');
      }
      if (existing.params_hash !== hash) {
        throw new EcsError(request.mismatchCode ?? 'IdempotentParameterMismatch');
      }
      if (existing.state === 'done') return JSON.parse(existing.result ?? 'null') as T;

      const stale = existing.claimed_at < now - this.runningLeaseMs;
      if (
        !stale ||
        !(await repo.takeOver(key, existing.claimed_at, hash, now, now + this.retentionMs))
      ) {
        throw new EcsError('IdempotentProcessing');
      }
      claimedAt = now;
    }

    let result: T;
    try {
      result = await create();
    } catch (err) {
      await repo.release(key, claimedAt);
      throw err;
    }
    await repo.complete(key, claimedAt, JSON.stringify(result ?? null));
    return result;
  }
}
