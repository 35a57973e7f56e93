/**
 * Requests on object bodies, `/oss/<bucket>/<key>` (src/api/oss-routes.ts), for `ecsimg oss` and
 * `ecsimg import`: signed like every other call — Bearer, or ACS3-HMAC-SHA256 declaring the
 * body's SHA-256 or UNSIGNED-PAYLOAD — but streamed, so they bypass ApiClient's RPC encoding.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { pct } from '../../api/protocol/encoding.js';
import { acsTimestamp } from './acs3-signer.js';
import { ApiError, type ApiClient, type Credentials } from './http-client.js';

export interface OssPath {
  bucket: string;
  key: string;
}

// TODO(cli-client): ApiClient keeps its credentials private; object bodies need them to sign
// their own requests. Replace this with a public accessor once http-client.ts offers one.
export function credentialsOf(client: ApiClient): Credentials {
  return (client as unknown as { options: { credentials: Credentials } }).options.credentials;
}

/**
 * Headers authenticating an object request. ACS3 signs `payloadSha256` when the body is known
 * in advance (a completion list), UNSIGNED-PAYLOAD otherwise (streamed file bytes).
 */
export function objectAuthHeaders(
  credentials: Credentials,
  method: string,
  url: URL,
  payloadSha256 = 'UNSIGNED-PAYLOAD',
): Record<string, string> {
  if (credentials.kind === 'apiKey') return { authorization: `Bearer ${credentials.apiKey}` };

  const headers: Record<string, string> = {
    host: url.host,
    'x-acs-date': acsTimestamp(new Date()),
    'x-acs-signature-nonce': crypto.randomBytes(16).toString('hex'),
    'x-acs-content-sha256': payloadSha256,
  };
  const names = Object.keys(headers).sort();
  const query = [...url.searchParams]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${pct(k)}=${pct(v)}`)
    .join('&');
  const canonical = [
    method,
    url.pathname,
    query,
    names.map((n) => `${n}:${headers[n]}\n`).join(''),
    names.join(';'),
    payloadSha256,
  ].join('\n');
  const digest = crypto.createHash('sha256').update(canonical).digest('hex');
  const signature = crypto
    .createHmac('sha256', credentials.accessKeySecret)
    .update(`ACS3-HMAC-SHA256\n${digest}`)
    .digest('hex');
  const { host: _host, ...rest } = headers;
  return {
    ...rest,
    authorization:
      `ACS3-HMAC-SHA256 Credential=${credentials.accessKeyId},` +
      `SignedHeaders=${names.join(';')},Signature=${signature}`,
  };
}

/** The URL of an object, with `query` (a name with value '' is sent as `name=`). */
export function objectUrl(
  client: ApiClient,
  p: OssPath,
  query: Record<string, string | number> = {},
): URL {
  const key = p.key.split('/').map(encodeURIComponent).join('/');
  const url = new URL(`/oss/${encodeURIComponent(p.bucket)}/${key}`, client.endpoint);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, String(value));
  return url;
}

/** Sends one object request; resolves with the response (status and body stream). */
export function request(
  method: string,
  url: URL,
  headers: Record<string, string>,
): { req: http.ClientRequest; response: Promise<http.IncomingMessage> } {
  const lib = url.protocol === 'https:' ? https : http;
  let req!: http.ClientRequest;
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req = lib.request(url, { method, headers }, resolve);
    req.on('error', (err) =>
      reject(new ApiError('ConnectionFailed', `cannot reach ${url.origin}: ${err.message}`, 0)),
    );
  });
  return { req, response };
}

/** Reads an error envelope from a failed object request and throws it as an ApiError. */
export async function failed(res: http.IncomingMessage): Promise<never> {
  const parts: Buffer[] = [];
  for await (const p of res) parts.push(p as Buffer);
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    // Not our envelope (a proxy's page): report the status alone.
  }
  throw new ApiError(
    typeof body.Code === 'string' ? body.Code : `HTTP${res.statusCode}`,
    typeof body.Message === 'string' ? body.Message : `HTTP ${res.statusCode}`,
    res.statusCode ?? 0,
    typeof body.RequestId === 'string' ? body.RequestId : undefined,
  );
}

/** The JSON answer of a successful object request ({} for 204); failures throw ApiError. */
export async function readAnswer(res: http.IncomingMessage): Promise<Record<string, any>> {
  if (res.statusCode === undefined || res.statusCode >= 300) return failed(res);
  const parts: Buffer[] = [];
  for await (const p of res) parts.push(p as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  if (!text) return {};
  try {
    return JSON.parse(text) as Record<string, any>;
  } catch {
    throw new ApiError(
      'InvalidResponse',
      `the answer of ${res.url ?? 'the server'} is not JSON`,
      0,
    );
  }
}

/**
 * An object request whose body (if any) is small and in memory: ACS3 signs its SHA-256.
 *
 * @example
 *   const { UploadId } = await objectCall(client, 'POST', target, { uploads: '' });
 */
export async function objectCall(
  client: ApiClient,
  method: string,
  target: OssPath,
  query: Record<string, string | number>,
  body?: Buffer,
): Promise<Record<string, any>> {
  const url = objectUrl(client, target, query);
  const digest = crypto
    .createHash('sha256')
    .update(body ?? Buffer.alloc(0))
    .digest('hex');
  const headers: Record<string, string> = {
    ...objectAuthHeaders(credentialsOf(client), method, url, digest),
    'content-length': String(body?.length ?? 0),
  };
  if (body) headers['content-type'] = 'application/json';
  const { req, response } = request(method, url, headers);
  req.end(body);
  return readAnswer(await response);
}
