import type { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { runWorker } from '../start/worker.js';
import type { CliIo } from './io.js';

/** `ecsimg worker`: runs jobs only, from the same database and data directory as `serve`. */
export function registerWorkerCommands(program: Command, io: CliIo): void {
  program
    .command('worker')
    .description('run a worker that leases and runs jobs (imports, exports …) without the API')
    .option('--data-dir <dir>', 'data directory (ECSIMG_DATA_DIR, default ./data)')
    .option(
      '--concurrency <n>',
      'jobs run at the same time (ECSIMG_WORKER_CONCURRENCY, default 2)',
      (v) => v,
    )
    .action(async (opts: { dataDir?: string; concurrency?: string }) => {
      const env = opts.concurrency
        ? { ...io.env, ECSIMG_WORKER_CONCURRENCY: opts.concurrency }
        : io.env;
      const config = loadConfig(env, { dataDir: opts.dataDir });
      await runWorker(config);
    });
}
