/**
 * One graceful shutdown for every entry point: the first SIGINT/SIGTERM runs the closers in
 * order, a second signal forces the exit.
 */
import type { Logger } from '../log/index.js';

export function onShutdown(log: Logger, closers: Array<() => Promise<void>>): void {
  let stopping = false;

  const stop = async (signal: string) => {
    if (stopping) {
      log.warn(`[shutdown] second ${signal}: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`[shutdown] ${signal} received, finishing work in progress`);
    for (const close of closers) {
      try {
        await close();
      } catch (err) {
        log.error({ err }, '[shutdown] a component failed to close');
      }
    }
    process.exit(0);
  };

  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}
