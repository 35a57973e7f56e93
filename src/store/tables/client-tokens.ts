/** ClientToken claims for idempotent create actions. */
export interface ClientTokensTable {
  account_id: string;
  action: string;
  token: string;
  /** SHA-256 (hex) of the request's canonical parameters. */
  params_hash: string;
  state: 'running' | 'done';
  /** JSON of the first request's result once `done`. */
  result: string | null;
  claimed_at: number;
  expires_at: number;
}
