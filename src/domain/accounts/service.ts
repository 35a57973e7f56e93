/**
 * Accounts and their credentials. Every account has a 16-digit UID (as on the cloud), one
 * AccessKey pair and one API key when created; RAM users belong to an account and carry policies.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../../store/index.js';
import { EcsError } from '../errors/index.js';
import { policyDocumentSchema, type PolicyDocument } from './policy.js';
import { hashApiKey, randomToken, type SecretBox } from './secrets.js';

/** Who is calling: an account's owner, or one of its RAM users. */
export interface Principal {
  accountId: string;
  accountName: string;
  isAdmin: boolean;
  ramUser?: { id: string; name: string; policies: PolicyDocument[] };
}

/** What a new account or RAM user receives; written to credentials.json for the administrator. */
export interface IssuedCredentials {
  accountId: string;
  accessKeyId: string;
  accessKeySecret: string;
  apiKey: string;
}

export interface AdminPreset {
  accessKeyId?: string;
  accessKeySecret?: string;
  apiKey?: string;
}

const ACCOUNT_NAME = /^[A-Za-z][A-Za-z0-9._-]{0,63}$/;

/**
 * Sixteen digits, like the cloud's account UIDs, led by 1–8 so that every id stays below
 * Number.MAX_SAFE_INTEGER (9007199254740991): the wire carries `ImageOwnerId` as a JSON number
 * and the SDKs parse it into a double, so a larger id would come back as a different account.
 */
export function newAccountId(): string {
  return crypto.randomInt(1, 9).toString() + randomToken(15, '0123456789');
}

export interface RamUserSummary {
  userId: string;
  userName: string;
  policies: PolicyDocument[];
  /** ISO 8601 UTC. */
  createdAt: string;
}

/** Validates one policy document (an object, or its JSON text) with RAM's error code. */
export function parsePolicy(input: unknown): PolicyDocument {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw new EcsError('MalformedPolicyDocument', { reason: 'the text is not JSON' });
    }
  }
  const r = policyDocumentSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? `${issue.path.join('.')}: ` : '';
    throw new EcsError('MalformedPolicyDocument', { reason: `${where}${issue.message}` });
  }
  return r.data;
}

export class AccountService {
  private changes = 0;

  constructor(
    private readonly store: Store,
    private readonly secrets: SecretBox,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Creates the administrator account on first start and writes `<dataDir>/credentials.json`
   * (mode 0600). Returns the file's path and whether the account was created now.
   */
  async ensureAdmin(dataDir: string, preset: AdminPreset = {}) {
    const file = path.join(dataDir, 'credentials.json');
    const existing = await this.store.accounts.findAdmin();
    if (existing) return { file, created: false, accountId: existing.id };

    const issued = await this.createAccount('admin', { isAdmin: true, preset });
    fs.mkdirSync(dataDir, { recursive: true });
    fs.writeFileSync(file, JSON.stringify(issued, null, 2) + '\n', { mode: 0o600 });
    fs.chmodSync(file, 0o600);
    return { file, created: true, accountId: issued.accountId };
  }

  async createAccount(
    name: string,
    options: { isAdmin?: boolean; preset?: AdminPreset } = {},
  ): Promise<IssuedCredentials> {
    if (!ACCOUNT_NAME.test(name)) {
      throw new EcsError('InvalidParameter', {
        name: 'AccountName',
        reason: '1-64 letters, digits, ".", "_" or "-", starting with a letter',
      });
    }
    if (await this.store.accounts.findAccountByName(name)) {
      throw new EcsError('InvalidParameter', { name: 'AccountName', reason: 'already in use' });
    }

    const accountId = newAccountId();
    const now = this.now();
    return this.store.transaction(async (tx) => {
      await tx.accounts.insertAccount({
        id: accountId,
        name,
        is_admin: options.isAdmin ? 1 : 0,
        created_at: now,
      });
      return this.issueCredentials(tx, accountId, null, options.preset ?? {});
    });
  }

  /**
   * A RAM user of `accountId` with its own AccessKey pair and API key, governed by `policies`.
   * Names are unique per account (EntityAlreadyExists.User, as RAM answers).
   */
  async createRamUser(accountId: string, name: string, policies: unknown[]) {
    if (!ACCOUNT_NAME.test(name)) {
      throw new EcsError('InvalidParameter', { name: 'UserName', reason: 'letters, digits, ._-' });
    }
    const parsed = policies.map(parsePolicy);
    if (await this.findRamUserByName(accountId, name)) {
      throw new EcsError('EntityAlreadyExists.User', { name });
    }

    const id = `ram-${randomToken(16).toLowerCase()}`;
    try {
      return await this.store.transaction(async (tx) => {
        await tx.accounts.insertRamUser({
          id,
          account_id: accountId,
          name,
          policies: JSON.stringify(parsed),
          created_at: this.now(),
        });
        const issued = await this.issueCredentials(tx, accountId, id, {});
        return { ...issued, userId: id, userName: name };
      });
    } catch (err) {
      // Two concurrent calls with one name: the unique constraint stops the second.
      if (await this.findRamUserByName(accountId, name)) {
        throw new EcsError('EntityAlreadyExists.User', { name });
      }
      throw err;
    }
  }

  /** The RAM users of an account, oldest first. */
  async listRamUsers(accountId: string): Promise<RamUserSummary[]> {
    const rows = await this.store.accounts.listRamUsers(accountId);
    return rows.map((r) => ({
      userId: r.id,
      userName: r.name,
      policies: JSON.parse(r.policies) as PolicyDocument[],
      createdAt: new Date(Number(r.created_at)).toISOString(),
    }));
  }

  /**
   * Replaces every policy of a RAM user with `policies` (one inline document in the API).
   * Bumps `revision` so the gateway drops the principals it cached with the old policies.
   */
  async setRamUserPolicies(accountId: string, name: string, policies: unknown[]) {
    const parsed = policies.map(parsePolicy);
    const user = await this.findRamUserByName(accountId, name);
    if (!user) throw new EcsError('EntityNotExist.User', { name });

    await this.store.accounts.updateRamUserPolicies(user.userId, JSON.stringify(parsed));
    this.changes++;
    return { ...user, policies: parsed };
  }

  private async findRamUserByName(accountId: string, name: string) {
    return (await this.listRamUsers(accountId)).find((u) => u.userName === name);
  }

  /**
   * Counts changes that alter what a cached principal may do (policy updates in this process).
   * Callers caching principals compare it to drop stale entries at once.
   */
  get revision(): number {
    return this.changes;
  }

  private async issueCredentials(
    tx: Store,
    accountId: string,
    ramUserId: string | null,
    preset: AdminPreset,
  ): Promise<IssuedCredentials> {
    const accessKeyId = preset.accessKeyId ?? `LTAI${randomToken(20)}`;
    const accessKeySecret = preset.accessKeySecret ?? randomToken(30);
    const apiKey = preset.apiKey ?? `ecsimg_${randomToken(40)}`;
    const now = this.now();

    await tx.accounts.insertAccessKey(
      { accessKeyId, accountId, ramUserId, secretEncrypted: this.secrets.seal(accessKeySecret) },
      now,
    );
    await tx.accounts.insertApiKey(hashApiKey(apiKey), accountId, ramUserId, now);
    return { accountId, accessKeyId, accessKeySecret, apiKey };
  }

  /** The secret and principal behind an AccessKey ID, or undefined when unknown. */
  async resolveAccessKey(accessKeyId: string) {
    const key = await this.store.accounts.findAccessKey(accessKeyId);
    if (!key) return undefined;
    const principal = await this.principal(key.accountId, key.ramUserId);
    return principal && { secret: this.secrets.open(key.secretEncrypted), principal };
  }

  async resolveApiKey(apiKey: string): Promise<Principal | undefined> {
    const row = await this.store.accounts.findApiKey(hashApiKey(apiKey));
    return row ? this.principal(row.account_id, row.ram_user_id) : undefined;
  }

  async listAccounts() {
    const rows = await this.store.accounts.listAccounts();
    return rows.map((r) => ({
      accountId: r.id,
      name: r.name,
      isAdmin: r.is_admin === 1,
      createdAt: new Date(Number(r.created_at)).toISOString(),
    }));
  }

  async accountExists(accountId: string): Promise<boolean> {
    return !!(await this.store.accounts.findAccount(accountId));
  }

  private async principal(accountId: string, ramUserId: string | null) {
    const account = await this.store.accounts.findAccount(accountId);
    if (!account) return undefined;
    const base: Principal = {
      accountId,
      accountName: account.name,
      isAdmin: account.is_admin === 1 && !ramUserId,
    };
    if (!ramUserId) return base;

    const user = await this.store.accounts.findRamUser(ramUserId);
    if (!user) return undefined;
    const policies = JSON.parse(user.policies) as PolicyDocument[];
    return { ...base, ramUser: { id: user.id, name: user.name, policies } };
  }
}
