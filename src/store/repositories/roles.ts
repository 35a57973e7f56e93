import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';
import type { ServiceRolesTable } from '../tables/roles.js';

export type ServiceRoleRow = ServiceRolesTable;

/** Service roles per account (domain/roles/ holds the rules). */
export class RolesRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async find(accountId: string, roleName: string): Promise<ServiceRoleRow | undefined> {
    const row = await this.db
      .selectFrom('service_roles')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('role_name', '=', roleName)
      .executeTakeFirst();
    return row && normalize(row);
  }

  async list(accountId: string): Promise<ServiceRoleRow[]> {
    const rows = await this.db
      .selectFrom('service_roles')
      .selectAll()
      .where('account_id', '=', accountId)
      .orderBy('role_name')
      .execute();
    return rows.map(normalize);
  }

  /** Creates the role if absent; false when it existed already. */
  async insert(row: ServiceRoleRow): Promise<boolean> {
    const result = await this.db
      .insertInto('service_roles')
      .values(row)
      .onConflict((oc) => oc.columns(['account_id', 'role_name']).doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async setAuthorized(accountId: string, roleName: string, at: number | null): Promise<void> {
    await this.db
      .updateTable('service_roles')
      .set({ authorized: at === null ? 0 : 1, authorized_at: at })
      .where('account_id', '=', accountId)
      .where('role_name', '=', roleName)
      .execute();
  }

  async delete(accountId: string, roleName: string): Promise<void> {
    await this.db
      .deleteFrom('service_roles')
      .where('account_id', '=', accountId)
      .where('role_name', '=', roleName)
      .execute();
  }
}

function normalize(row: ServiceRoleRow): ServiceRoleRow {
  return {
    ...row,
    authorized: Number(row.authorized),
    created_at: Number(row.created_at),
    authorized_at: row.authorized_at === null ? null : Number(row.authorized_at),
  };
}
