/**
 * `ecsimg serve`: the HTTP API, the console and (unless disabled) an embedded worker in one
 * process.
 */
import type { FastifyInstance } from 'fastify';
import { buildServer } from '../api/server.js';
import type { Config } from '../config/index.js';
import type { Worker } from '../jobs/index.js';
import { createLogger, type Logger } from '../log/index.js';
import { buildServices, type BuiltServices } from './services.js';
import { onShutdown } from './shutdown.js';
import { createWorker } from './worker.js';

export interface RunningServer {
  app: FastifyInstance;
  services: BuiltServices;
  /** The embedded worker, unless `config.embeddedWorker` is off. */
  worker?: Worker;
  /** e.g. http://127.0.0.1:8080 */
  url: string;
  close(): Promise<void>;
}

/** Starts everything `serve` runs; used by the CLI and, in-process, by the tests. */
export async function startServer(
  config: Config,
  options: { log?: Logger; schema?: string } = {},
): Promise<RunningServer> {
  const log = options.log ?? createLogger(config.logLevel);
  const services = await buildServices(config, log, { schema: options.schema });
  const app = await buildServer(services);
  const worker = config.embeddedWorker ? createWorker(services) : undefined;

  await app.listen({ port: config.port, host: config.host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host}:${port}`;

  worker?.start();

  const close = async () => {
    await app.close();
    await worker?.stop({ graceMs: config.worker.shutdownGraceMs });
    await services.close();
  };
  return { app, services, worker, url, close };
}

export async function serve(config: Config): Promise<void> {
  const log = createLogger(config.logLevel);
  const running = await startServer(config, { log });
  running.services.gc.start();
  log.info(`[serve] ecsimg listening on ${running.url} (console: ${running.url}/console/)`);
  log.info(`[serve] administrator credentials: ${running.services.credentialsFile}`);
  onShutdown(log, [running.close]);
}
