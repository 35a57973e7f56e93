import type { Command } from 'commander';
import { loadConfig } from '../config/index.js';
import { serve } from '../start/serve.js';
import type { CliIo } from './io.js';

export function registerServeCommands(program: Command, io: CliIo): void {
  program
    .command('serve')
    .description('run the API server, the web console and an embedded worker')
    .option('--port <port>', 'port to listen on (ECSIMG_PORT, default 8080)', (v) => Number(v))
    .option('--host <host>', 'address to bind (ECSIMG_HOST, default 127.0.0.1)')
    .option('--data-dir <dir>', 'data directory (ECSIMG_DATA_DIR, default ./data)')
    .action(async (opts: { port?: number; host?: string; dataDir?: string }) => {
      const config = loadConfig(io.env, opts);
      await serve(config);
    });
}
