/**
 * Signs a request with ACS3-HMAC-SHA256 the way @alicloud/openapi-core (the v7 SDK's runtime)
 * does: every parameter in the query string, an empty body, the SDK's header set, and the
 * canonical request built from the sorted, RFC 3986-encoded query and every `x-acs-*` header.
 * The server verifies this in src/api/protocol/signatures.ts; the two must agree byte for byte.
 */
import crypto from 'node:crypto';
import { pct } from '../../api/protocol/encoding.js';

export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';
export const API_VERSION = '2014-05-26';

/** sha256 of the empty body, which every RPC call sends. */
const EMPTY_BODY_SHA256 = crypto.createHash('sha256').update('').digest('hex');

export interface SignInput {
  action: string;
  /** Flat wire parameters (`Tag.1.Key`); all travel in the query string. */
  params: Record<string, string>;
  /** `host[:port]` exactly as the request's Host header will carry it. */
  host: string;
  accessKeyId: string;
  accessKeySecret: string;
  /** Injected for tests; defaults to now and a random 32-byte hex nonce. */
  date?: Date;
  nonce?: string;
}

export interface SignedRequest {
  method: 'POST';
  /** Path and query, e.g. `/?RegionId=cn-hangzhou`. */
  path: string;
  /** Every header to send, including `host` and `authorization`. */
  headers: Record<string, string>;
}

/** `YYYY-MM-DDTHH:mm:ssZ` in UTC, the SDK's x-acs-date format (no milliseconds). */
export function acsTimestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** The query string both the URL and the signature use: sorted keys, RFC 3986 values. */
export function canonicalQuery(params: Record<string, string>): string {
  return Object.keys(params)
    .sort()
    .map((key) => `${pct(key)}=${pct(params[key])}`)
    .join('&');
}

/**
 * @example
 *   const req = signAcs3({ action: 'DescribeRegions', params: {}, host: '127.0.0.1:8080',
 *     accessKeyId: 'LTAI…', accessKeySecret: '…' });
 *   await fetch(`http://127.0.0.1:8080${req.path}`, { method: req.method, headers: req.headers });
 */
export function signAcs3(input: SignInput): SignedRequest {
  const query = canonicalQuery(input.params);
  const headers: Record<string, string> = {
    host: input.host,
    'x-acs-action': input.action,
    'x-acs-version': API_VERSION,
    'x-acs-date': acsTimestamp(input.date ?? new Date()),
    'x-acs-signature-nonce': input.nonce ?? crypto.randomBytes(32).toString('hex'),
    'x-acs-content-sha256': EMPTY_BODY_SHA256,
  };

  // The SDK signs host, content-type and every x-acs-* header it sends, sorted by name.
  const signedNames = Object.keys(headers).sort();
  const canonicalHeaders = signedNames.map((name) => `${name}:${headers[name].trim()}\n`).join('');
  const canonicalRequest = [
    'POST',
    '/',
    query,
    canonicalHeaders,
    signedNames.join(';'),
    EMPTY_BODY_SHA256,
  ].join('\n');

  const digest = crypto.createHash('sha256').update(canonicalRequest).digest('hex');
  const signature = crypto
    .createHmac('sha256', input.accessKeySecret)
    .update(`${ACS3_ALGORITHM}\n${digest}`)
    .digest('hex');

  return {
    method: 'POST',
    path: query ? `/?${query}` : '/',
    headers: {
      ...headers,
      accept: 'application/json',
      authorization:
        `${ACS3_ALGORITHM} Credential=${input.accessKeyId},` +
        `SignedHeaders=${signedNames.join(';')},Signature=${signature}`,
    },
  };
}
