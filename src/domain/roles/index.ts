/**
 * Service roles: before ECS may read (import) or write (export) an account's OSS buckets, the
 * account authorizes a RAM role for the ECS service, as on the cloud.
 *
 * How faithful: the cloud's roles live in RAM (CreateRole with a trust policy for
 * ecs.aliyuncs.com, AttachPolicyToRole …). ecsimg keeps the part that changes behaviour: per
 * account, which role names exist and which are authorized.
 *  - The two default roles (`AliyunECSImageImportDefaultRole`, `AliyunECSImageExportDefaultRole`)
 *    always exist; `AuthorizeServiceRole` authorizes them (the console's one-click button).
 *  - Any other RoleName must first be created (`CreateServiceRole`) and then authorized.
 *  - `RevokeServiceRole` withdraws the authorization; `DeleteServiceRole` removes a created role.
 */
import type { Store } from '../../store/index.js';
import { EcsError } from '../errors/index.js';

export const IMPORT_DEFAULT_ROLE = 'AliyunECSImageImportDefaultRole';
export const EXPORT_DEFAULT_ROLE = 'AliyunECSImageExportDefaultRole';
export const DEFAULT_ROLES: ReadonlyArray<{ name: string; purpose: 'import' | 'export' }> = [
  { name: IMPORT_DEFAULT_ROLE, purpose: 'import' },
  { name: EXPORT_DEFAULT_ROLE, purpose: 'export' },
];

export const ROLE_NAME_PATTERN = /^[A-Za-z0-9.-]{1,64}$/;

export interface ServiceRole {
  roleName: string;
  description: string;
  isDefault: boolean;
  authorized: boolean;
  authorizedAt: number | null;
  /** Null for a default role never authorized (it exists implicitly). */
  createdAt: number | null;
}

export class RoleService {
  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  static isDefault(roleName: string): boolean {
    return DEFAULT_ROLES.some((r) => r.name === roleName);
  }

  private check(roleName: string): void {
    if (!ROLE_NAME_PATTERN.test(roleName)) {
      throw new EcsError('InvalidRoleName.Malformed', { role: roleName });
    }
  }

  async create(accountId: string, roleName: string, description = ''): Promise<ServiceRole> {
    this.check(roleName);
    const inserted = RoleService.isDefault(roleName)
      ? false
      : await this.store.roles.insert({
          account_id: accountId,
          role_name: roleName,
          description,
          authorized: 0,
          authorized_at: null,
          created_at: this.now(),
        });
    if (!inserted) throw new EcsError('EntityAlreadyExists.Role', { role: roleName });
    return (await this.get(accountId, roleName))!;
  }

  /** Authorizes ECS to use the role (idempotent). */
  async authorize(accountId: string, roleName: string): Promise<ServiceRole> {
    this.check(roleName);
    if (RoleService.isDefault(roleName)) {
      await this.store.roles.insert({
        account_id: accountId,
        role_name: roleName,
        description: '',
        authorized: 0,
        authorized_at: null,
        created_at: this.now(),
      });
    } else if (!(await this.store.roles.find(accountId, roleName))) {
      throw new EcsError('EntityNotExist.Role', { role: roleName });
    }
    const current = await this.store.roles.find(accountId, roleName);
    if (current?.authorized !== 1)
      await this.store.roles.setAuthorized(accountId, roleName, this.now());
    return (await this.get(accountId, roleName))!;
  }

  async revoke(accountId: string, roleName: string): Promise<ServiceRole> {
    this.check(roleName);
    const role = await this.get(accountId, roleName);
    if (!role) throw new EcsError('EntityNotExist.Role', { role: roleName });
    if (role.createdAt !== null) await this.store.roles.setAuthorized(accountId, roleName, null);
    return (await this.get(accountId, roleName))!;
  }

  async delete(accountId: string, roleName: string): Promise<void> {
    this.check(roleName);
    if (RoleService.isDefault(roleName)) {
      throw new EcsError('DeleteConflict.Role.Default', { role: roleName });
    }
    if (!(await this.store.roles.find(accountId, roleName))) {
      throw new EcsError('EntityNotExist.Role', { role: roleName });
    }
    await this.store.roles.delete(accountId, roleName);
  }

  /** A role as the account sees it; undefined for a non-default name never created. */
  async get(accountId: string, roleName: string): Promise<ServiceRole | undefined> {
    const row = await this.store.roles.find(accountId, roleName);
    if (row) {
      return {
        roleName: row.role_name,
        description: row.description,
        isDefault: RoleService.isDefault(row.role_name),
        authorized: row.authorized === 1,
        authorizedAt: row.authorized_at,
        createdAt: row.created_at,
      };
    }
    if (!RoleService.isDefault(roleName)) return undefined;
    return {
      roleName,
      description: '',
      isDefault: true,
      authorized: false,
      authorizedAt: null,
      createdAt: null,
    };
  }

  /** The default roles (authorized or not) and every role the account created. */
  async list(accountId: string): Promise<ServiceRole[]> {
    const names = new Set([
      ...DEFAULT_ROLES.map((r) => r.name),
      ...(await this.store.roles.list(accountId)).map((r) => r.role_name),
    ]);
    const roles = await Promise.all([...names].map((n) => this.get(accountId, n)));
    return roles.filter((r): r is ServiceRole => r !== undefined);
  }

  /**
   * What ImportImage and ExportImage call before acting.
   *
   * @example
   *   await ctx.services.roles.requireAuthorized(ctx.principal.accountId,
   *     params.RoleName ?? IMPORT_DEFAULT_ROLE);   // throws NoSetRoletoECSServiceAcount (403)
   */
  async requireAuthorized(accountId: string, roleName: string): Promise<void> {
    const role = ROLE_NAME_PATTERN.test(roleName) ? await this.get(accountId, roleName) : undefined;
    if (!role?.authorized) throw new EcsError('NoSetRoletoECSServiceAcount', { role: roleName });
  }
}
