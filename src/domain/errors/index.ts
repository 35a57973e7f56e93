/**
 * The error catalogue: every code ecsimg answers with, spelled exactly as the cloud spells it
 * (typos included: `InvalidParamter`, `NoSetRoletoECSServiceAcount`), with its HTTP status, an
 * English and a Chinese message in our own words, the likely cause and the fix.
 *
 * Each area keeps its codes in a file of its own; this module merges them. Request paths throw
 * `EcsError` (never a bare Error); the gateway renders it in the ECS envelope.
 */
import { ACCOUNT_ERRORS } from './accounts.js';
import { GATEWAY_ERRORS } from './gateway.js';
import { IMAGE_ERRORS } from './images.js';
import { IMPORT_EXPORT_ERRORS } from './import-export.js';
import { OSS_ERRORS } from './oss.js';
import { ROLE_ERRORS } from './roles.js';
import { TAG_ERRORS } from './tags.js';
import { TASK_ERRORS } from './tasks.js';
import type { ErrorEntry, ErrorTable } from './types.js';

export type { ErrorEntry, ErrorTable } from './types.js';

const TABLES: ErrorTable[] = [
  GATEWAY_ERRORS,
  ACCOUNT_ERRORS,
  IMAGE_ERRORS,
  IMPORT_EXPORT_ERRORS,
  TAG_ERRORS,
  TASK_ERRORS,
  OSS_ERRORS,
  ROLE_ERRORS,
];

export const CATALOGUE: ErrorTable = Object.assign({}, ...TABLES);

export type Lang = 'en' | 'zh';

/** Fills `{name}` placeholders; unknown placeholders stay visible rather than vanish. */
export function fillTemplate(text: string, params: Record<string, unknown>): string {
  return text.replace(/\{(\w+)\}/g, (whole, key: string) =>
    params[key] === undefined ? whole : String(params[key]),
  );
}

/**
 * A coded failure on a request path.
 *
 * @example
 *   throw new EcsError('MissingParameter', { name: 'RegionId' });
 */
export class EcsError extends Error {
  readonly code: string;
  readonly status: number;
  readonly params: Record<string, unknown>;

  constructor(code: string, params: Record<string, unknown> = {}, messageOverride?: string) {
    const entry = CATALOGUE[code];
    if (!entry) throw new Error(`error code ${code} is not in the catalogue`);
    super(messageOverride ?? fillTemplate(entry.en, params));
    this.name = 'EcsError';
    this.code = code;
    this.status = entry.status;
    this.params = params;
  }

  /** The message in the requested language. */
  localized(lang: Lang): string {
    return fillTemplate(CATALOGUE[this.code][lang], this.params);
  }
}

export function isEcsError(err: unknown): err is EcsError {
  return err instanceof EcsError;
}

/** Finds a catalogue entry by exact code, or case-insensitively. */
export function lookupError(code: string): { code: string; entry: ErrorEntry } | undefined {
  if (CATALOGUE[code]) return { code, entry: CATALOGUE[code] };
  const lower = code.toLowerCase();
  const hit = Object.keys(CATALOGUE).find((c) => c.toLowerCase() === lower);
  return hit ? { code: hit, entry: CATALOGUE[hit] } : undefined;
}
