/**
 * Service roles an account created or authorized (RAM's role for ECS to read and write the
 * account's OSS). The two default roles need no row until authorized. Times are epoch ms.
 */
export interface ServiceRolesTable {
  account_id: string;
  role_name: string;
  description: string;
  /** 1 once the account authorized ECS to assume the role. */
  authorized: number;
  authorized_at: number | null;
  created_at: number;
}
