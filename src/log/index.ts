/**
 * The one logger. Components take a child (`logger.child({ component: 'gateway' })`), messages
 * start with `[component]`. Secrets, signatures and Authorization headers are redacted here, so a
 * careless log call cannot leak them.
 */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

const REDACT_PATHS = [
  'accessKeySecret',
  'apiKey',
  'signature',
  'authorization',
  'headers.authorization',
  'req.headers.authorization',
  'params.Signature',
  'params.AccessKeySecret',
  '*.accessKeySecret',
  '*.apiKey',
];

/**
 * @example
 *   const log = createLogger('info');
 *   log.child({ component: 'jobs' }).info('[jobs] leased %s', taskId);
 */
export function createLogger(level = 'info', destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      base: undefined,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    },
    destination as never,
  );
}

/** A logger that writes nothing, for tests and library calls. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
