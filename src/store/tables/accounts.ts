/** Accounts, RAM users and their credentials. Times are epoch milliseconds; flags are 0/1. */
export interface AccountsTable {
  /** 16-digit UID, as on the cloud. */
  id: string;
  name: string;
  is_admin: number;
  created_at: number;
}

export interface RamUsersTable {
  id: string;
  account_id: string;
  name: string;
  /** JSON array of policy documents ({Statement:[{Effect, Action, Resource}]}). */
  policies: string;
  created_at: number;
}

export interface AccessKeysTable {
  access_key_id: string;
  account_id: string;
  /** Null for the account's own (root) keys. */
  ram_user_id: string | null;
  /** The secret, encrypted with the master key (AES-256-GCM, base64 of iv|tag|ciphertext). */
  secret_encrypted: string;
  created_at: number;
}

export interface ApiKeysTable {
  /** SHA-256 of the key; the key itself is never stored. */
  key_hash: string;
  account_id: string;
  ram_user_id: string | null;
  created_at: number;
}
