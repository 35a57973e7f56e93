/**
 * Server-side verification of the three ways the official clients authenticate:
 *  - ACS3-HMAC-SHA256 in the Authorization header (default of @alicloud/ecs20140526 v7);
 *  - HMAC-SHA1 "signature v1" in the Signature parameter (pop-core, v7 with signatureAlgorithm 'v2');
 *  - `Authorization: Bearer <apiKey>` (scripts, the console).
 * Signatures are compared in constant time; nothing here logs a secret or a signature.
 */
import crypto from 'node:crypto';
import { EcsError } from '../../domain/errors/index.js';
import { pct } from './encoding.js';
import { header, type CollectedParams, type RawRequest } from './params.js';

export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

export type Credential =
  | { scheme: 'acs3'; accessKeyId: string; nonce: string; verify: (secret: string) => boolean }
  | { scheme: 'rpc-v1'; accessKeyId: string; nonce: string; verify: (secret: string) => boolean }
  | { scheme: 'bearer'; apiKey: string };

const ACS3_AUTH =
  /^ACS3-HMAC-SHA256 Credential=([^,]*),SignedHeaders=([^,]*),Signature=([0-9a-f]+)$/;
const ISO_SECONDS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** Parameters that belong to the signing envelope, not to the action. */
export const ENVELOPE_PARAMS = new Set([
  'Action',
  'Version',
  'Format',
  'AccessKeyId',
  'Signature',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureNonce',
  'SignatureType',
  'Timestamp',
  'SecurityToken',
  'BearerToken',
  'OwnerId',
  'OwnerAccount',
  'ResourceOwnerId',
  'ResourceOwnerAccount',
  'callerUid',
]);

/** Every RPC call of the SDKs has an empty body; its digest is a constant worth not recomputing. */
const EMPTY_SHA256_HEX = crypto.createHash('sha256').update('').digest('hex');

function sha256Hex(data: Buffer | string): string {
  if (data.length === 0) return EMPTY_SHA256_HEX;
  return crypto.hash('sha256', data, 'hex');
}

export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a);
  const bb = Buffer.from(b);
  // Returning early on a length mismatch reveals only the expected length, which is public: a
  // digest's size (64 hex characters for ACS3, 28 base64 characters for v1). Equal lengths are
  // compared in constant time.
  if (ab.length !== bb.length) return false;
  return crypto.timingSafeEqual(ab, bb);
}

function checkFreshness(timestamp: string | undefined, now: number): void {
  if (!timestamp || !ISO_SECONDS.test(timestamp)) {
    throw new EcsError('IncompleteSignature', {}, 'The request carries no valid UTC timestamp.');
  }
  const t = Date.parse(timestamp);
  if (Number.isNaN(t) || Math.abs(now - t) > MAX_CLOCK_SKEW_MS) {
    throw new EcsError('InvalidTimeStamp.Expired');
  }
}

export interface CredentialOptions {
  /**
   * The body is streamed and not in `req.body` (object uploads on `/oss/…`). ACS3 then signs the
   * declared `x-acs-content-sha256` (a hex digest, or `UNSIGNED-PAYLOAD` as on S3); the route
   * checks a hex digest against the bytes before it commits the object.
   */
  streamedBody?: boolean;
}

/**
 * Works out which scheme a request uses and prepares its verification. The caller looks up the
 * secret for the AccessKey and calls `verify`, then records the nonce.
 */
export function readCredential(
  req: RawRequest,
  params: CollectedParams,
  now: number,
  options: CredentialOptions = {},
): Credential {
  const authorization = header(req, 'authorization') ?? '';

  if (authorization.startsWith('Bearer ')) {
    const apiKey = authorization.slice('Bearer '.length).trim();
    if (!apiKey) throw new EcsError('IncompleteSignature');
    return { scheme: 'bearer', apiKey };
  }

  if (authorization.startsWith('ACS3-')) {
    return readAcs3(req, params, authorization, now, options);
  }

  if (params.all.Signature !== undefined) return readRpcV1(req, params, now);

  throw new EcsError('IncompleteSignature');
}

function readAcs3(
  req: RawRequest,
  params: CollectedParams,
  authorization: string,
  now: number,
  options: CredentialOptions,
): Credential {
  const m = ACS3_AUTH.exec(authorization);
  if (!m) {
    throw new EcsError(
      'IncompleteSignature',
      {},
      'Only ACS3-HMAC-SHA256 is accepted among the ACS3 signature algorithms.',
    );
  }
  const [, accessKeyId, signedHeadersText, signature] = m;

  const nonce = header(req, 'x-acs-signature-nonce');
  if (!accessKeyId || !nonce) throw new EcsError('IncompleteSignature');
  checkFreshness(header(req, 'x-acs-date'), now);

  const declaredHash = header(req, 'x-acs-content-sha256');
  if (options.streamedBody && !/^([0-9a-f]{64}|UNSIGNED-PAYLOAD)$/.test(declaredHash ?? '')) {
    throw new EcsError(
      'IncompleteSignature',
      {},
      'A streamed body needs x-acs-content-sha256: its hex SHA-256 or UNSIGNED-PAYLOAD.',
    );
  }
  const payloadHash = options.streamedBody ? declaredHash! : sha256Hex(req.body);
  const signedHeaders = signedHeadersText.split(';');

  const verify = (secret: string): boolean => {
    if (declaredHash !== undefined && declaredHash !== payloadHash) return false;
    if (!signedHeaders.includes('host')) return false;

    let canonicalHeaders = '';
    for (const name of signedHeaders) {
      canonicalHeaders += `${name}:${(header(req, name) ?? '').trim()}\n`;
    }
    const q = req.url.indexOf('?');
    const path = (q < 0 ? req.url : req.url.slice(0, q)) || '/';
    const canonicalRequest = [
      req.method.toUpperCase(),
      path,
      canonicalQueryOf(params.query),
      canonicalHeaders,
      signedHeadersText,
      declaredHash ?? payloadHash,
    ].join('\n');

    const stringToSign = `ACS3-HMAC-SHA256\n${sha256Hex(canonicalRequest)}`;
    const expected = crypto.createHmac('sha256', secret).update(stringToSign).digest('hex');
    return constantTimeEqual(expected, signature);
  };

  return { scheme: 'acs3', accessKeyId, nonce, verify };
}

/** The query's pairs sorted by name (code unit order, as the SDKs sort) and RFC 3986 encoded. */
function canonicalQueryOf(query: ReadonlyArray<[string, string]>): string {
  // The SDKs send their query sorted already; copy and sort only when it is not.
  let sorted = query;
  for (let i = 1; i < query.length; i++) {
    if (query[i - 1][0] > query[i][0]) {
      sorted = [...query].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      break;
    }
  }
  let text = '';
  for (const [k, v] of sorted) text += `${text ? '&' : ''}${pct(k)}=${pct(v)}`;
  return text;
}

function readRpcV1(req: RawRequest, params: CollectedParams, now: number): Credential {
  const p = params.all;
  if (!p.AccessKeyId || !p.SignatureNonce) throw new EcsError('IncompleteSignature');
  if ((p.SignatureMethod ?? '').toUpperCase() !== 'HMAC-SHA1') {
    throw new EcsError('IncompleteSignature', {}, 'SignatureMethod must be HMAC-SHA1.');
  }
  checkFreshness(p.Timestamp, now);

  const verify = (secret: string): boolean => {
    const canonical = Object.keys(p)
      .filter((k) => k !== 'Signature')
      .sort()
      .map((k) => `${pct(k)}=${pct(p[k])}`)
      .join('&');
    const stringToSign = `${req.method.toUpperCase()}&${pct('/')}&${pct(canonical)}`;
    const expected = crypto.createHmac('sha1', `${secret}&`).update(stringToSign).digest('base64');
    return constantTimeEqual(expected, p.Signature);
  };

  return { scheme: 'rpc-v1', accessKeyId: p.AccessKeyId, nonce: p.SignatureNonce, verify };
}

/**
 * Remembers nonces for the freshness window so a replayed request is refused.
 * TODO(nonce-sharing): nonces live in this process's memory; several `serve` processes behind one
 * load balancer would each accept one replay. A shared store (the database) would close that.
 */
export class NonceCache {
  private readonly seen = new Map<string, number>();
  /** When the oldest entry expires: nothing needs evicting before then (or before the bound). */
  private frontExpires = Infinity;

  /**
   * @param maxEntries bound on memory: past it the oldest nonces are forgotten first (they are
   *   the nearest to leaving the window anyway). 1,000,000 entries is roughly 150 MiB.
   */
  constructor(private readonly maxEntries = 1_000_000) {}

  /** Returns false when the nonce was already used within the window. */
  remember(accessKeyId: string, nonce: string, now: number): boolean {
    if (now > this.frontExpires || this.seen.size >= this.maxEntries) this.evict(now);
    const key = `${accessKeyId}\u0000${nonce}`;
    if (this.seen.has(key)) return false;
    const expires = now + 2 * MAX_CLOCK_SKEW_MS;
    if (this.seen.size === 0) this.frontExpires = expires;
    this.seen.set(key, expires);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  /**
   * Entries are kept in insertion order with one lifetime, so expired ones sit at the front:
   * stop at the first live one. Then trim to the bound.
   */
  private evict(now: number): void {
    this.frontExpires = Infinity;
    for (const [key, expires] of this.seen) {
      if (expires >= now && this.seen.size < this.maxEntries) {
        this.frontExpires = expires;
        break;
      }
      this.seen.delete(key);
    }
  }
}
