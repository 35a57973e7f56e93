/**
 * Tasks: the ECS Task resource and the durable job queue behind it.
 *
 * Leasing is the one place with dialect-specific SQL. On PostgreSQL a worker picks the next ready
 * row with `SELECT … FOR UPDATE SKIP LOCKED` inside a transaction, so any number of workers on
 * any number of machines each take a different row without waiting on each other. On SQLite a
 * single `UPDATE … WHERE id IN (SELECT … LIMIT 1) RETURNING *` does it: an UPDATE starts a write
 * transaction before it reads, and SQLite lets one writer in at a time, so two processes sharing
 * the file can never take the same row.
 *
 * Every write a worker makes after leasing is conditional on it still holding the lease
 * (`lease_owner = me AND status = 'Processing'`): a worker that lost its lease (it stalled, the
 * lease expired, another worker took the task) can no longer change the row.
 */
import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import type { DialectName } from '../db.js';
import type { Database } from '../schema.js';
import type { TasksTable } from '../tables/tasks.js';

export type TaskRow = Selectable<TasksTable>;

export interface TaskListFilter {
  accountId: string;
  regionId: string;
  taskIds?: string[];
  /** Restrict to these actions (the API hides internal job types unless asked by ID). */
  actions?: string[];
  resourceIds?: string[];
  status?: string;
  createdFrom?: number;
  createdTo?: number;
  offset: number;
  limit: number;
}

export interface LeaseRequest {
  owner: string;
  /** Only these job types: a worker takes only what it knows how to run. */
  types: string[];
  now: number;
  leaseMs: number;
}

/** What a lease holder learns back from a heartbeat or a progress write. */
export interface LeaseState {
  cancelRequested: boolean;
}

type Eb = ExpressionBuilder<Database, 'tasks'>;

export class TasksRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly dialect: DialectName,
  ) {}

  async insert(row: TaskRow): Promise<void> {
    await this.db.insertInto('tasks').values(row).execute();
  }

  async find(id: string): Promise<TaskRow | undefined> {
    return this.db.selectFrom('tasks').selectAll().where('id', '=', id).executeTakeFirst();
  }

  /** Newest first; `total` counts every match, ignoring offset and limit. */
  async list(filter: TaskListFilter): Promise<{ rows: TaskRow[]; total: number }> {
    const where = (eb: Eb) => {
      const terms = [
        eb('account_id', '=', filter.accountId),
        eb('region_id', '=', filter.regionId),
      ];
      if (filter.taskIds) terms.push(eb('id', 'in', nonEmpty(filter.taskIds)));
      if (filter.actions) terms.push(eb('action', 'in', nonEmpty(filter.actions)));
      if (filter.resourceIds) terms.push(eb('resource_id', 'in', nonEmpty(filter.resourceIds)));
      if (filter.status) terms.push(eb('status', '=', filter.status));
      if (filter.createdFrom !== undefined) terms.push(eb('created_at', '>=', filter.createdFrom));
      if (filter.createdTo !== undefined) terms.push(eb('created_at', '<=', filter.createdTo));
      return eb.and(terms);
    };

    const counted = await this.db
      .selectFrom('tasks')
      .select((eb) => eb.fn.countAll<number | string>().as('n'))
      .where(where)
      .executeTakeFirstOrThrow();
    const rows = await this.db
      .selectFrom('tasks')
      .selectAll()
      .where(where)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .offset(filter.offset)
      .limit(filter.limit)
      .execute();
    return { rows, total: Number(counted.n) };
  }

  /**
   * Takes the next ready task: a Waiting one whose back-off has passed, or a Processing one whose
   * lease expired (its worker died or stalled). Counts the attempt. Cancellations go first, so a
   * cancelled task does not wait behind a long queue. Undefined when none is ready.
   */
  async lease(request: LeaseRequest): Promise<TaskRow | undefined> {
    if (request.types.length === 0) return undefined;
    const { now, owner, leaseMs, types } = request;

    const ready = (eb: Eb) =>
      eb.and([
        eb('action', 'in', types),
        eb.or([
          eb.and([eb('status', '=', 'Waiting'), eb('available_at', '<=', now)]),
          eb.and([eb('status', '=', 'Processing'), eb('lease_expires_at', '<', now)]),
        ]),
      ]);
    const take = (eb: Eb) => ({
      status: 'Processing',
      lease_owner: owner,
      lease_expires_at: now + leaseMs,
      heartbeat_at: now,
      attempts: eb('attempts', '+', 1),
      started_at: eb.fn.coalesce('started_at', eb.val(now)),
    });

    if (this.dialect === 'sqlite') {
      return this.db
        .updateTable('tasks')
        .set(take)
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('tasks')
            .select('id')
            .where(ready)
            .orderBy('cancel_requested', 'desc')
            .orderBy('available_at')
            .orderBy('created_at')
            .limit(1),
        )
        .returningAll()
        .executeTakeFirst();
    }

    const leaseIn = async (trx: Kysely<Database>) => {
      const picked = await trx
        .selectFrom('tasks')
        .select('id')
        .where(ready)
        .orderBy('cancel_requested', 'desc')
        .orderBy('available_at')
        .orderBy('created_at')
        .limit(1)
        .forUpdate()
        .skipLocked()
        .executeTakeFirst();
      if (!picked) return undefined;
      return trx
        .updateTable('tasks')
        .set(take)
        .where('id', '=', picked.id)
        .returningAll()
        .executeTakeFirst();
    };
    return this.db.isTransaction ? leaseIn(this.db) : this.db.transaction().execute(leaseIn);
  }

  /** Extends the lease; undefined when the caller no longer holds it. */
  async heartbeat(id: string, owner: string, now: number, leaseMs: number) {
    const row = await this.db
      .updateTable('tasks')
      .set({ lease_expires_at: now + leaseMs, heartbeat_at: now })
      .where((eb) => held(eb, id, owner))
      .returning('cancel_requested')
      .executeTakeFirst();
    return row && leaseState(row);
  }

  /** Writes progress (0–100); undefined when the caller no longer holds the lease. */
  async setProgress(id: string, owner: string, progress: number) {
    const row = await this.db
      .updateTable('tasks')
      .set({ progress })
      .where((eb) => held(eb, id, owner))
      .returning('cancel_requested')
      .executeTakeFirst();
    return row && leaseState(row);
  }

  /** Processing → Finished with the job's result. False when the lease was lost. */
  async complete(
    id: string,
    owner: string,
    done: { now: number; result: string; relatedItems: string | null },
  ): Promise<boolean> {
    return this.finish(id, owner, {
      status: 'Finished',
      progress: 100,
      result: done.result,
      related_items: done.relatedItems,
      finished_at: done.now,
    });
  }

  /** Processing → Failed with an error code and message. False when the lease was lost. */
  async fail(
    id: string,
    owner: string,
    failure: { now: number; code: string; message: string },
  ): Promise<boolean> {
    return this.finish(id, owner, {
      status: 'Failed',
      error_code: failure.code,
      error_message: failure.message,
      finished_at: failure.now,
    });
  }

  /** Processing → Deleted (the cloud's status for a cancelled task). */
  async markCancelled(id: string, owner: string, now: number): Promise<boolean> {
    return this.finish(id, owner, { status: 'Deleted', finished_at: now });
  }

  /**
   * Processing → Waiting after a failed attempt that may succeed later; the last error stays
   * visible until the task ends.
   */
  async retryLater(
    id: string,
    owner: string,
    retry: { availableAt: number; code: string; message: string },
  ): Promise<boolean> {
    return this.finish(id, owner, {
      status: 'Waiting',
      available_at: retry.availableAt,
      error_code: retry.code,
      error_message: retry.message,
    });
  }

  /**
   * Hands a task back untouched (the worker is shutting down): Waiting again at once, and the
   * attempt is not counted, since the job did not fail.
   */
  async release(id: string, owner: string, now: number): Promise<boolean> {
    const res = await this.db
      .updateTable('tasks')
      .set((eb) => ({
        status: 'Waiting',
        lease_owner: null,
        lease_expires_at: null,
        available_at: now,
        attempts: eb('attempts', '-', 1),
      }))
      .where((eb) => held(eb, id, owner))
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  /**
   * Flags a Waiting or Processing cancellable task. A worker holding it notices on its next
   * heartbeat or progress write; a Waiting one becomes ready at once, so the next worker that
   * polls runs its cancellation (hooks included) instead of the job. False when the task is
   * finished or does not support cancellation.
   */
  async requestCancel(id: string, now: number): Promise<boolean> {
    const res = await this.db
      .updateTable('tasks')
      .set({ cancel_requested: 1, available_at: now })
      .where('id', '=', id)
      .where('status', 'in', ['Waiting', 'Processing'])
      .where('support_cancel', '=', 1)
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }

  private async finish(
    id: string,
    owner: string,
    values: Partial<Omit<TaskRow, 'id'>>,
  ): Promise<boolean> {
    const res = await this.db
      .updateTable('tasks')
      .set({ ...values, lease_owner: null, lease_expires_at: null })
      .where((eb) => held(eb, id, owner))
      .executeTakeFirst();
    return Number(res.numUpdatedRows) === 1;
  }
}

function held(eb: Eb, id: string, owner: string) {
  return eb.and([
    eb('id', '=', id),
    eb('lease_owner', '=', owner),
    eb('status', '=', 'Processing'),
  ]);
}

function leaseState(row: { cancel_requested: number }): LeaseState {
  return { cancelRequested: Number(row.cancel_requested) === 1 };
}

// `IN ()` is a syntax error; an impossible ID keeps an empty filter meaning "matches nothing".
function nonEmpty(values: string[]): string[] {
  return values.length > 0 ? values : [''];
}
