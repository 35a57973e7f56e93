/**
 * The worker process the crash tests kill with SIGKILL: what `ecsimg worker` runs, plus the
 * internal test job type, over the test server's database (and PostgreSQL schema).
 */
import { loadConfig } from '../../src/config/index.js';
import { registerTestJobType } from '../../src/jobs/test-job.js';
import { createLogger } from '../../src/log/index.js';
import { startWorker } from '../../src/start/worker.js';
import { onShutdown } from '../../src/start/shutdown.js';

registerTestJobType();

const config = loadConfig(process.env);
const log = createLogger(config.logLevel);
const running = await startWorker(config, {
  log,
  schema: process.env.ECSIMG_TEST_SCHEMA || undefined,
  id: process.env.ECSIMG_TEST_WORKER_ID,
});
onShutdown(log, [running.close]);
