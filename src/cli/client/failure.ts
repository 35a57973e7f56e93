/**
 * Turns a failed API call into what the CLI prints: the code, HTTP status and message, the
 * RequestId, then the likely cause and the fix from the error catalogue (`ecsimg explain`).
 */
import { lookupError } from '../../domain/errors/index.js';
import { CliError, EXIT } from '../io.js';
import { ApiError } from './http-client.js';

/** Failures the client meets before the server answers; they are not in the server catalogue. */
const CLIENT_FIXES: Record<string, { en: string; zh: string }> = {
  ConnectionFailed: {
    en: 'check that `ecsimg serve` runs and that --endpoint / ECSIMG_ENDPOINT points at it',
    zh: '确认 `ecsimg serve` 正在运行，且 --endpoint / ECSIMG_ENDPOINT 指向它',
  },
  InvalidResponse: {
    en: 'the endpoint does not look like an ecsimg server; check --endpoint / ECSIMG_ENDPOINT',
    zh: '该地址看起来不是 ecsimg 服务，请检查 --endpoint / ECSIMG_ENDPOINT',
  },
  InvalidEndpoint: {
    en: 'use a URL such as http://127.0.0.1:8080',
    zh: '请使用形如 http://127.0.0.1:8080 的地址',
  },
};

/** Exit code by outcome: refused by the server (4xx), server fault (5xx), unreachable. */
export function exitCodeFor(err: ApiError): number {
  if (err.status === 0) return EXIT.io;
  if (err.status < 500) return EXIT.refused;
  return EXIT.failure;
}

export function apiFailure(err: ApiError, lang: 'en' | 'zh'): CliError {
  const lines = [err.status > 0 ? `${err.code} (HTTP ${err.status}): ${err.message}` : err.message];
  if (err.requestId) lines.push(`request id: ${err.requestId}`);

  const known = lookupError(err.code);
  if (known) lines.push(`cause: ${known.entry.cause[lang]}`);
  const fix = known?.entry.fix[lang] ?? CLIENT_FIXES[err.code]?.[lang];

  return new CliError(lines.join('\n'), exitCodeFor(err), fix);
}

/** Runs `fn`, converting an ApiError into the CLI's printed failure. */
export async function withApiErrors<T>(lang: 'en' | 'zh', fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ApiError) throw apiFailure(err, lang);
    throw err;
  }
}
