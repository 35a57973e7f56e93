/**
 * The console's only way to the server: the same RPC endpoint every SDK uses.
 * `POST /?Action=…&Version=2014-05-26&…` with the parameters in the query and either
 * `Authorization: Bearer <apiKey>` or an ACS3 signature. Errors come back as ApiError with the
 * cloud's code, RequestId and the troubleshooting link.
 */
import i18n from '../i18n/index.js';
import { signAcs3 } from './acs3.js';
import { getSession, signOut, type Credentials } from './session.js';

export const API_VERSION = '2014-05-26';

export type ParamValue = string | number | boolean | null | undefined;
export type FlatParams = Record<string, ParamValue>;

/** A failed call: the ECS error envelope, or a transport failure (`code` = `NetworkError`). */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly requestId?: string;
  readonly action: string;

  constructor(init: {
    code: string;
    message: string;
    status: number;
    requestId?: string;
    action: string;
  }) {
    super(init.message);
    this.name = 'ApiError';
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.action = init.action;
  }
}

/** Codes meaning "your credentials are not good": the console signs out and asks again. */
const CREDENTIAL_CODES = new Set([
  'InvalidApiKey.NotFound',
  'InvalidAccessKeyId.NotFound',
  'SignatureDoesNotMatch',
]);

/**
 * Flattens nested values the way the SDKs put them on the wire:
 * `{Tag: [{Key: 'a'}]}` → `Tag.1.Key=a`; lists are 1-based.
 */
export function flattenParams(
  input: Record<string, unknown>,
  prefix = '',
): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(input)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) {
      value.forEach((item, i) => {
        if (item !== null && typeof item === 'object') {
          out.push(...flattenParams(item as Record<string, unknown>, `${name}.${i + 1}`));
        } else if (item !== undefined && item !== null && item !== '') {
          out.push([`${name}.${i + 1}`, String(item)]);
        }
      });
    } else if (typeof value === 'object') {
      out.push(...flattenParams(value as Record<string, unknown>, name));
    } else {
      out.push([name, String(value)]);
    }
  }
  return out;
}

/** Authorization headers for any request to this server (RPC or the /oss routes). */
export async function authHeaders(
  credentials: Credentials,
  request: {
    method: string;
    path: string;
    query: Array<[string, string]>;
    body?: Uint8Array;
    payloadHash?: string;
  },
): Promise<Record<string, string>> {
  if (credentials.kind === 'apiKey') return { authorization: `Bearer ${credentials.apiKey}` };
  return signAcs3({
    ...request,
    host: window.location.host,
    accessKeyId: credentials.accessKeyId,
    accessKeySecret: credentials.accessKeySecret,
  });
}

export function acceptLanguage(): string {
  return i18n.language === 'zh' ? 'zh-CN' : 'en-US';
}

/**
 * Calls an action. Parameters use wire names (`Tag.1.Key`) or nested objects/arrays.
 *
 * @example
 *   const body = await callAction<DescribeImagesBody>('DescribeImages', { RegionId, PageSize: 20 });
 */
export async function callAction<T = Record<string, unknown>>(
  action: string,
  params: Record<string, unknown> = {},
  options: { credentials?: Credentials; signal?: AbortSignal } = {},
): Promise<T> {
  const credentials = options.credentials ?? getSession()?.credentials;
  if (!credentials) {
    throw new ApiError({ code: 'NotSignedIn', message: 'Sign in first.', status: 401, action });
  }

  const query: Array<[string, string]> = [
    ['Action', action],
    ['Version', API_VERSION],
    ...flattenParams(params),
  ];
  const headers = {
    ...(await authHeaders(credentials, { method: 'POST', path: '/', query })),
    'x-acs-accept-language': acceptLanguage(),
  };
  const url = `/?${query.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&')}`;

  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers, signal: options.signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError({ code: 'NetworkError', message: String(err), status: 0, action });
  }

  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.ok) return body as T;

  const error = new ApiError({
    code: typeof body.Code === 'string' ? body.Code : `HTTP${response.status}`,
    message: typeof body.Message === 'string' ? body.Message : response.statusText,
    status: response.status,
    requestId: typeof body.RequestId === 'string' ? body.RequestId : undefined,
    action,
  });
  // A key revoked while the console is open: forget it, the sign-in page explains why.
  if (!options.credentials && CREDENTIAL_CODES.has(error.code)) signOut();
  throw error;
}
