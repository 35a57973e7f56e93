/**
 * ACS3-HMAC-SHA256 signing in the browser (WebCrypto), the scheme of the official v7 SDK, so a user
 * can sign in with an AccessKey pair instead of an API key.
 *
 * Browsers forbid setting `Host`, but they send it: we sign `location.host`, which is what the
 * server sees unless a proxy rewrites Host (then use an API key).
 */
const encoder = new TextEncoder();

function hex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === 'string' ? encoder.encode(data) : data;
  return hex(await crypto.subtle.digest('SHA-256', bytes as BufferSource));
}

async function hmacSha256Hex(secret: string, data: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return hex(await crypto.subtle.sign('HMAC', key, encoder.encode(data)));
}

/** RFC 3986 encoding, as the SDKs sign: `!'()*` escaped, space as %20. */
export function pct(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

export function canonicalQuery(params: Array<[string, string]>): string {
  return [...params]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${pct(k)}=${pct(v)}`)
    .join('&');
}

export interface SignInput {
  method: string;
  /** Path without the query, e.g. `/`. */
  path: string;
  query: Array<[string, string]>;
  host: string;
  body?: Uint8Array;
  /** `UNSIGNED-PAYLOAD` for a streamed upload whose bytes are not hashed beforehand. */
  payloadHash?: string;
  accessKeyId: string;
  accessKeySecret: string;
}

/** The headers to add to the request: Authorization and the signed x-acs-* headers. */
export async function signAcs3(input: SignInput): Promise<Record<string, string>> {
  const payloadHash = input.payloadHash ?? (await sha256Hex(input.body ?? new Uint8Array()));
  const signed: Record<string, string> = {
    host: input.host,
    'x-acs-content-sha256': payloadHash,
    'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    'x-acs-signature-nonce': crypto.randomUUID(),
  };
  const names = Object.keys(signed).sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    input.method.toUpperCase(),
    input.path,
    canonicalQuery(input.query),
    names.map((n) => `${n}:${signed[n].trim()}\n`).join(''),
    signedHeaders,
    payloadHash,
  ].join('\n');
  const stringToSign = `ACS3-HMAC-SHA256\n${await sha256Hex(canonicalRequest)}`;
  const signature = await hmacSha256Hex(input.accessKeySecret, stringToSign);

  const { host: _host, ...headers } = signed;
  return {
    ...headers,
    authorization:
      `ACS3-HMAC-SHA256 Credential=${input.accessKeyId},` +
      `SignedHeaders=${signedHeaders},Signature=${signature}`,
  };
}
