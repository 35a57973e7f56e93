/**
 * The consumer side of the job queue: a poll loop that leases ready tasks, runs them with a
 * heartbeat that keeps the lease alive, writes progress, and settles each task exactly once.
 *
 *   lease → (cancel requested? → onCancelled → Deleted)
 *         → (attempts used up by lost workers? → onFailed → Failed)
 *         → run, heartbeating → Finished | retry later (Waiting) | onFailed → Failed
 *                              | cancelled → onCancelled → Deleted | shutdown → released
 *
 * A worker that dies (kill -9, machine lost) stops heartbeating; once its lease expires another
 * worker leases the task again and re-runs it. Every write after the lease is conditional on
 * still holding it, so a worker that stalled past its lease cannot overwrite the new holder.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { Logger } from '../log/index.js';
import type { Store } from '../store/index.js';
import type { TaskRow } from '../store/repositories/tasks.js';
import { getJobType, registeredJobTypes } from './registry.js';
import {
  JobFailure,
  JobInterrupt,
  type JobContext,
  type JobError,
  type JobHookContext,
  type JobType,
  type RelatedItem,
} from './types.js';

export interface WorkerOptions {
  store: Store;
  log: Logger;
  /** Handed to every job as `ctx.deps` (the process's Services). */
  deps?: unknown;
  /** Unique per worker; default `host:pid:random`. */
  id?: string;
  /** Jobs run at the same time. */
  concurrency: number;
  /** How long a lease lasts without a heartbeat. */
  leaseMs: number;
  /** How often a running job's lease is extended (and cancellation checked); default lease/3. */
  heartbeatMs?: number;
  /** First wait when the queue is empty; doubles while it stays empty, up to `maxPollMs`. */
  pollMs: number;
  maxPollMs?: number;
  /** Back-off before retrying a failed attempt; doubles per attempt (capped at 10 minutes). */
  retryDelayMs: number;
  /** Only these job types (default: every type registered in this process). */
  types?: string[];
  /**
   * Subscribes the worker to a source of "look now" signals (the queue's `onChange`) while it
   * runs; returns the unsubscribe function.
   */
  wakeOn?: (wake: () => void) => () => void;
  now?: () => number;
}

const MAX_RETRY_DELAY_MS = 10 * 60_000;
const MAX_ERROR_MESSAGE_CHARS = 1000;

interface ActiveJob {
  controller: AbortController;
  done: Promise<void>;
}

/**
 * @example
 *   const worker = new Worker({ store, log, deps: services, concurrency: 2, leaseMs: 30_000,
 *     pollMs: 1000, retryDelayMs: 5000 });
 *   worker.start();
 *   // …
 *   await worker.stop();
 */
export class Worker {
  readonly id: string;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly heartbeatMs: number;
  private readonly maxPollMs: number;
  private readonly active = new Map<string, ActiveJob>();
  private loopDone?: Promise<void>;
  private stopping = false;
  private wakeUp?: () => void;
  private woken = false;
  private unsubscribe?: () => void;

  constructor(private readonly options: WorkerOptions) {
    this.id =
      options.id ?? `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
    this.log = options.log.child({ component: 'worker', workerId: this.id });
    this.now = options.now ?? Date.now;
    this.heartbeatMs = options.heartbeatMs ?? Math.max(10, Math.floor(options.leaseMs / 3));
    this.maxPollMs = options.maxPollMs ?? Math.max(options.pollMs, 5000);
    if (this.heartbeatMs >= options.leaseMs) {
      throw new Error('the heartbeat interval must be shorter than the lease');
    }
  }

  /** Tasks running now. */
  get running(): number {
    return this.active.size;
  }

  start(): void {
    if (this.loopDone) return;
    const types = this.types();
    if (types.length === 0) {
      // Types registered later (a lazily imported module) are picked up at the next poll.
      this.log.warn('[worker] started with no job types registered: nothing to run yet');
    } else {
      const slots = this.options.concurrency;
      this.log.info(`[worker] started (${slots} slots; job types: ${types.join(', ')})`);
    }
    this.unsubscribe = this.options.wakeOn?.(() => this.wake());
    this.loopDone = this.loop();
  }

  /** Looks at the queue now instead of at the next poll (a task was enqueued or cancelled). */
  wake(): void {
    this.woken = true;
    this.wakeUp?.();
  }

  /**
   * Stops leasing, lets running jobs finish for `graceMs`, then interrupts the rest and hands
   * their tasks back to the queue (attempt not counted) so another worker resumes them at once.
   */
  async stop(options: { graceMs?: number } = {}): Promise<void> {
    this.stopping = true;
    this.unsubscribe?.();
    this.wake();
    await this.loopDone;

    const graceMs = options.graceMs ?? 0;
    if (this.active.size > 0 && graceMs > 0) {
      this.log.info(`[worker] waiting up to ${graceMs} ms for ${this.active.size} job(s)`);
      await Promise.race([this.allDone(), delay(graceMs)]);
    }
    for (const job of this.active.values()) job.controller.abort(new JobInterrupt('shutdown'));
    // A job that ignores its signal keeps its lease until it expires; do not wait for it forever.
    await Promise.race([this.allDone(), delay(Math.max(graceMs, this.options.leaseMs))]);
    this.log.info('[worker] stopped');
  }

  private types(): string[] {
    return this.options.types ?? registeredJobTypes();
  }

  private allDone(): Promise<unknown> {
    return Promise.allSettled([...this.active.values()].map((j) => j.done));
  }

  private async loop(): Promise<void> {
    let idleMs = this.options.pollMs;

    while (!this.stopping) {
      if (this.active.size >= this.options.concurrency) {
        await this.sleep(this.maxPollMs);
        continue;
      }

      let row: TaskRow | undefined;
      try {
        row = await this.options.store.tasks.lease({
          owner: this.id,
          types: this.types(),
          now: this.now(),
          leaseMs: this.options.leaseMs,
        });
      } catch (err) {
        this.log.error({ err }, '[worker] leasing failed; retrying after a pause');
      }
      if (this.stopping && row) {
        await this.options.store.tasks.release(row.id, this.id, this.now());
        break;
      }

      if (row) {
        this.launch(row);
        idleMs = this.options.pollMs;
        continue;
      }
      await this.sleep(idleMs);
      idleMs = Math.min(idleMs * 2, this.maxPollMs);
    }
  }

  /** Waits `ms`, or less when woken (new work, a free slot, stop). */
  private async sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = done;
    });
    this.wakeUp = undefined;
    this.woken = false;
  }

  private launch(row: TaskRow): void {
    const controller = new AbortController();
    const done = this.settle(row, controller)
      .catch((err) => this.log.error({ err, taskId: row.id }, '[worker] settling a task failed'))
      .finally(() => {
        this.active.delete(row.id);
        this.wake();
      });
    this.active.set(row.id, { controller, done });
  }

  private async settle(row: TaskRow, controller: AbortController): Promise<void> {
    const definition = getJobType(row.action);
    const log = this.log.child({ taskId: row.id, type: row.action, attempt: row.attempts });
    if (!definition) {
      // Leased only registered types, so this means the registry changed under us.
      await this.options.store.tasks.release(row.id, this.id, this.now());
      return;
    }
    let params: unknown;
    try {
      params = JSON.parse(row.params);
    } catch {
      // Nothing can run on unreadable parameters, now or on any later attempt.
      const message = 'the task parameters are not valid JSON';
      await this.options.store.tasks.fail(row.id, this.id, {
        now: this.now(),
        code: 'InternalError',
        message,
      });
      return;
    }
    const hookCtx: JobHookContext = {
      taskId: row.id,
      type: row.action,
      accountId: row.account_id,
      regionId: row.region_id,
      resourceId: row.resource_id,
      attempt: Number(row.attempts),
      workerId: this.id,
      log,
      deps: this.options.deps,
    };

    if (Number(row.cancel_requested) === 1) {
      await this.cancelled(row, definition, params, hookCtx);
      return;
    }
    if (Number(row.attempts) > Number(row.max_attempts)) {
      const message =
        `the task was interrupted ${row.max_attempts} times (its worker stopped ` +
        `responding each time); not trying again`;
      await this.failed(row, definition, params, hookCtx, { code: 'InternalError', message });
      return;
    }

    log.info(`[worker] running ${row.action} ${row.id} (attempt ${row.attempts})`);
    await this.execute(row, definition, params, hookCtx, controller);
  }

  private async execute(
    row: TaskRow,
    definition: JobType,
    params: unknown,
    hookCtx: JobHookContext,
    controller: AbortController,
  ): Promise<void> {
    const { store } = this.options;
    const { signal } = controller;
    const interrupt = (kind: JobInterrupt['kind']) => {
      if (!signal.aborted) controller.abort(new JobInterrupt(kind));
    };
    const observe = (state: { cancelRequested: boolean } | undefined) => {
      if (!state) interrupt('lease-lost');
      else if (state.cancelRequested) interrupt('cancelled');
    };

    // Heartbeat: extend the lease, and learn about CancelTask. If the database stays unreachable
    // for a whole lease, another worker may already hold the task: stop.
    let lastBeat = this.now();
    const heartbeat = setInterval(() => {
      store.tasks
        .heartbeat(row.id, this.id, this.now(), this.options.leaseMs)
        .then((state) => {
          lastBeat = this.now();
          observe(state);
        })
        .catch((err) => {
          hookCtx.log.warn({ err }, '[worker] heartbeat failed');
          if (this.now() - lastBeat >= this.options.leaseMs) interrupt('lease-lost');
        });
    }, this.heartbeatMs);

    let lastPercent = Number(row.progress);
    const ctx: JobContext = {
      ...hookCtx,
      signal,
      progress: async (percent: number) => {
        signal.throwIfAborted();
        const rounded = Math.max(0, Math.min(100, Math.round(percent)));
        if (rounded !== lastPercent) {
          lastPercent = rounded;
          observe(await store.tasks.setProgress(row.id, this.id, rounded));
        }
        signal.throwIfAborted();
      },
    };

    let outcome: { ok: true; result: unknown } | { ok: false; error: unknown };
    try {
      outcome = { ok: true, result: await definition.run(ctx, params) };
    } catch (error) {
      outcome = { ok: false, error };
    } finally {
      clearInterval(heartbeat);
    }

    const reason = signal.aborted ? (signal.reason as JobInterrupt) : undefined;
    if (reason?.kind === 'lease-lost') {
      hookCtx.log.warn(`[worker] lost the lease of ${row.id}; its new holder settles it`);
      return;
    }

    // A job that finished before it noticed a cancellation or a shutdown keeps its result.
    if (outcome.ok) {
      let related: RelatedItem[] | null = null;
      try {
        related = definition.relatedItems?.(outcome.result, params) ?? null;
      } catch (err) {
        hookCtx.log.error({ err }, `[worker] relatedItems of ${row.id} failed; none shown`);
      }
      const saved = await store.tasks.complete(row.id, this.id, {
        now: this.now(),
        result: JSON.stringify(outcome.result ?? null),
        relatedItems: related && JSON.stringify(related),
      });
      if (saved) hookCtx.log.info(`[worker] ${row.id} finished`);
      else hookCtx.log.warn(`[worker] ${row.id} finished after losing its lease; result dropped`);
      return;
    }

    if (reason?.kind === 'cancelled') {
      await this.cancelled(row, definition, params, hookCtx);
      return;
    }
    if (reason?.kind === 'shutdown') {
      await store.tasks.release(row.id, this.id, this.now());
      hookCtx.log.info(`[worker] ${row.id} handed back to the queue (shutdown)`);
      return;
    }

    const failure = describeFailure(outcome.error);
    const attempts = Number(row.attempts);
    if (failure.retryable && attempts < Number(row.max_attempts)) {
      const backoff = Math.min(this.options.retryDelayMs * 2 ** (attempts - 1), MAX_RETRY_DELAY_MS);
      hookCtx.log.warn(
        { err: outcome.error },
        `[worker] ${row.id} attempt ${attempts} failed; retrying in ${backoff} ms`,
      );
      await store.tasks.retryLater(row.id, this.id, {
        availableAt: this.now() + backoff,
        code: failure.code,
        message: failure.message,
      });
      return;
    }
    hookCtx.log.warn({ err: outcome.error }, `[worker] ${row.id} failed: ${failure.code}`);
    await this.failed(row, definition, params, hookCtx, failure);
  }

  private async cancelled(
    row: TaskRow,
    definition: JobType,
    params: unknown,
    ctx: JobHookContext,
  ): Promise<void> {
    try {
      await definition.onCancelled?.(ctx, params);
    } catch (err) {
      // The cancellation itself stands; a cleanup that failed is logged, not retried forever.
      ctx.log.error({ err }, `[worker] onCancelled of ${row.id} failed`);
    }
    if (await this.options.store.tasks.markCancelled(row.id, this.id, this.now())) {
      ctx.log.info(`[worker] ${row.id} cancelled`);
    }
  }

  private async failed(
    row: TaskRow,
    definition: JobType,
    params: unknown,
    ctx: JobHookContext,
    error: JobError,
  ): Promise<void> {
    try {
      await definition.onFailed?.(ctx, params, error);
    } catch (err) {
      ctx.log.error({ err }, `[worker] onFailed of ${row.id} failed`);
    }
    await this.options.store.tasks.fail(row.id, this.id, { now: this.now(), ...error });
  }
}

/**
 * A JobFailure keeps its code and says itself whether to retry; a coded error with an HTTP status
 * (the domain's EcsError) is permanent — the input is wrong and will stay wrong; anything else is
 * unexpected (a crashed helper, a network error) and worth another attempt.
 */
export function describeFailure(err: unknown): JobError & { retryable: boolean } {
  const message = truncate(err instanceof Error ? err.message : String(err));
  if (err instanceof JobFailure) return { code: err.code, message, retryable: err.retryable };

  const coded = err as { code?: unknown; status?: unknown } | null;
  if (coded && typeof coded.code === 'string' && typeof coded.status === 'number') {
    return { code: coded.code, message, retryable: false };
  }
  return { code: 'InternalError', message, retryable: true };
}

function truncate(text: string): string {
  return text.length > MAX_ERROR_MESSAGE_CHARS
    ? `${text.slice(0, MAX_ERROR_MESSAGE_CHARS)}…`
    : text;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
