/**
 * The tasks table: the ECS "Task" resource and, at the same time, the durable job queue.
 * Times are epoch milliseconds; flags are 0/1; params, result and related items are JSON text.
 */
export interface TasksTable {
  /** `t-…`, as the cloud's task IDs. */
  id: string;
  /** Null only for system jobs that belong to no account; those never appear in the API. */
  account_id: string | null;
  region_id: string | null;
  /** The job type; for API-visible tasks the cloud's TaskAction (ImportImage, ExportImage …). */
  action: string;
  /** The resource the task works on (the image ID for ImportImage/ExportImage). */
  resource_id: string | null;
  /** The cloud's TaskStatus: Waiting, Processing, Finished, Failed, Deleted (cancelled), Paused. */
  status: string;
  /** 0–100. */
  progress: number;
  params: string;
  result: string | null;
  /** JSON array of {Name, Value}, shown in DescribeTaskAttribute's RelatedItemSet. */
  related_items: string | null;
  error_code: string | null;
  error_message: string | null;
  /** How many times a worker has leased the task. */
  attempts: number;
  max_attempts: number;
  /** The worker holding the lease, while the task is Processing. */
  lease_owner: string | null;
  lease_expires_at: number | null;
  heartbeat_at: number | null;
  /** A Waiting task is not leased before this time (retry back-off). */
  available_at: number;
  cancel_requested: number;
  support_cancel: number;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}
