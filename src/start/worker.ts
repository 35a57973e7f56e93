/**
 * `ecsimg worker`: a process that only runs jobs, leasing them from the same database as `serve`.
 * With PostgreSQL any number of them may run on any number of machines; with SQLite they share
 * the database file, so they must run on the machine that holds it.
 */
import type { Config } from '../config/index.js';
import { Worker } from '../jobs/index.js';
import { createLogger, type Logger } from '../log/index.js';
import './job-types.js';
import { buildServices, type BuiltServices } from './services.js';
import { onShutdown } from './shutdown.js';

/**
 * A worker over built services, configured from `config.worker`, woken whenever this process
 * enqueues or cancels a task. Not started yet.
 *
 * @example
 *   const worker = createWorker(services);
 *   worker.start();
 *   await worker.stop({ graceMs: 10_000 });
 */
export function createWorker(
  services: BuiltServices,
  options: { id?: string; types?: string[] } = {},
): Worker {
  const settings = services.config.worker;
  return new Worker({
    store: services.store,
    log: services.log,
    deps: services,
    id: options.id,
    types: options.types,
    concurrency: settings.concurrency,
    leaseMs: settings.leaseMs,
    heartbeatMs: settings.heartbeatMs,
    pollMs: settings.pollMs,
    maxPollMs: settings.maxPollMs,
    retryDelayMs: settings.retryDelayMs,
    wakeOn: (wake) => services.jobs.onChange(wake),
  });
}

export interface RunningWorker {
  services: BuiltServices;
  worker: Worker;
  /** Stops the worker (running jobs get the configured grace), then closes the services. */
  close(): Promise<void>;
}

/** Starts what `ecsimg worker` runs; the tests start it in a child process and kill it. */
export async function startWorker(
  config: Config,
  options: { log?: Logger; schema?: string; id?: string } = {},
): Promise<RunningWorker> {
  const log = options.log ?? createLogger(config.logLevel);
  const services = await buildServices(config, log, { schema: options.schema });
  const worker = createWorker(services, { id: options.id });
  worker.start();

  const close = async () => {
    await worker.stop({ graceMs: config.worker.shutdownGraceMs });
    await services.close();
  };
  return { services, worker, close };
}

export async function runWorker(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const running = await startWorker(config, { log });
  log.info(`[worker] ${running.worker.id} polling ${redactUrl(config.databaseUrl)}`);
  onShutdown(log, [running.close]);
}

/** The database URL without its password, for the start-up line. */
function redactUrl(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
