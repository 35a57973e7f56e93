/**
 * Hand-signs requests the way the SDKs do, for tests that must tamper with or replay a request
 * after it was signed (the SDKs re-sign every attempt, so they cannot).
 */
import crypto from 'node:crypto';
import { pct } from '../../src/api/protocol/encoding.js';
import type { TestServer } from './server.js';

const sha256 = (s: string) => crypto.createHash('sha256').update(s).digest('hex');

/** An ACS3-HMAC-SHA256 POST with the parameters in the query string, as the v7 SDK sends it. */
export function acs3Request(
  t: TestServer,
  action: string,
  params: Record<string, string>,
  creds = t.admin,
) {
  const query = Object.keys(params)
    .sort()
    .map((k) => `${pct(k)}=${pct(params[k])}`)
    .join('&');
  const headers: Record<string, string> = {
    host: t.endpoint,
    'x-acs-action': action,
    'x-acs-version': '2014-05-26',
    'x-acs-date': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    'x-acs-signature-nonce': crypto.randomBytes(32).toString('hex'),
    'x-acs-content-sha256': sha256(''),
  };
  const signed = Object.keys(headers).sort();
  const canonical = [
    'POST',
    '/',
    query,
    signed.map((h) => `${h}:${headers[h]}\n`).join(''),
    signed.join(';'),
    sha256(''),
  ].join('\n');
  const signature = crypto
    .createHmac('sha256', creds.accessKeySecret)
    .update(`ACS3-HMAC-SHA256\n${sha256(canonical)}`)
    .digest('hex');
  headers.authorization =
    `ACS3-HMAC-SHA256 Credential=${creds.accessKeyId},SignedHeaders=${signed.join(';')},` +
    `Signature=${signature}`;

  const { host: _host, ...sent } = headers;
  return { url: `${t.url}/?${query}`, init: { method: 'POST', headers: sent } as RequestInit };
}

/** The HMAC-SHA1 signature v1 of `params` (without a Signature of their own), as pop-core signs. */
export function signV1(params: Record<string, string>, secret: string, method = 'GET'): string {
  const canonical = Object.keys(params)
    .sort()
    .map((k) => `${pct(k)}=${pct(params[k])}`)
    .join('&');
  const toSign = `${method}&${pct('/')}&${pct(canonical)}`;
  return crypto.createHmac('sha1', `${secret}&`).update(toSign).digest('base64');
}

/** The signing envelope of a v1 request: a fresh nonce and the current time. */
export function v1Envelope(accessKeyId: string): Record<string, string> {
  return {
    Version: '2014-05-26',
    Format: 'JSON',
    AccessKeyId: accessKeyId,
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: crypto.randomBytes(16).toString('hex'),
    Timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
  };
}

/**
 * ACS3-HMAC-SHA256 headers for an object request on `/oss/…` (any method, query in `url`), with
 * the body's declared digest: its hex SHA-256 or `UNSIGNED-PAYLOAD`.
 */
export function acs3ObjectHeaders(
  method: string,
  url: string,
  creds: { accessKeyId: string; accessKeySecret: string },
  payloadHash = 'UNSIGNED-PAYLOAD',
): Record<string, string> {
  const u = new URL(url);
  const query = [...u.searchParams]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${pct(k)}=${pct(v)}`)
    .join('&');
  const headers: Record<string, string> = {
    host: u.host,
    'x-acs-date': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    'x-acs-signature-nonce': crypto.randomBytes(16).toString('hex'),
    'x-acs-content-sha256': payloadHash,
  };
  const signed = Object.keys(headers).sort();
  const canonical = [
    method,
    u.pathname,
    query,
    signed.map((h) => `${h}:${headers[h]}\n`).join(''),
    signed.join(';'),
    payloadHash,
  ].join('\n');
  const signature = crypto
    .createHmac('sha256', creds.accessKeySecret)
    .update(`ACS3-HMAC-SHA256\n${sha256(canonical)}`)
    .digest('hex');
  const { host: _host, ...sent } = headers;
  return {
    ...sent,
    authorization:
      `ACS3-HMAC-SHA256 Credential=${creds.accessKeyId},SignedHeaders=${signed.join(';')},` +
      `Signature=${signature}`,
  };
}
