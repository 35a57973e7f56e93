/**
 * The CLI's client of the ecsimg HTTP API. Every client command (`ecsimg <Action>`, `accounts`,
 * `ram`, and the friendlier commands of other areas) calls the server through `ApiClient`, so
 * they all authenticate, encode and report failures the same way.
 *
 * Requests look like the official v7 SDK's: POST `/` with every parameter in the query string,
 * signed with ACS3-HMAC-SHA256 — or, with an API key, `Authorization: Bearer`.
 */
import { API_VERSION, canonicalQuery, signAcs3 } from './acs3-signer.js';

export type Credentials =
  | { kind: 'apiKey'; apiKey: string }
  | { kind: 'accessKey'; accessKeyId: string; accessKeySecret: string };

export interface ClientOptions {
  /** Base URL of the server, e.g. `http://127.0.0.1:8080`. */
  endpoint: string;
  credentials: Credentials;
  /** Language of server messages (sent as x-acs-accept-language). */
  lang?: 'en' | 'zh';
  timeoutMs?: number;
}

/** A value the client flattens to wire parameters the way the SDK does. */
export type ParamValue =
  string | number | boolean | undefined | null | ParamValue[] | { [key: string]: ParamValue };

export type ResponseBody = Record<string, unknown>;

/**
 * A failed call: the server's error envelope (code, HTTP status, RequestId), or a failure to
 * reach the server at all (status 0, code `ConnectionFailed` / `InvalidResponse`).
 */
export class ApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number,
    readonly requestId?: string,
    readonly body?: ResponseBody,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export const DEFAULT_TIMEOUT_MS = 60_000;

/**
 * Flattens nested values to wire names: objects become `Parent.Child`, arrays `Name.1`, `Name.2`
 * (1-based), arrays of objects `Name.1.Key`; undefined and null are dropped, empty strings kept.
 *
 * @example
 *   flattenParams({ Tag: [{ Key: 'env', Value: '' }], DryRun: true })
 *   // → { 'Tag.1.Key': 'env', 'Tag.1.Value': '', DryRun: 'true' }
 */
export function flattenParams(params: Record<string, ParamValue>): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (prefix: string, value: ParamValue) => {
    if (value === undefined || value === null) return;
    if (Array.isArray(value)) {
      value.forEach((item, i) => walk(`${prefix}.${i + 1}`, item));
    } else if (typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) walk(`${prefix}.${key}`, child);
    } else {
      out[prefix] = String(value);
    }
  };
  for (const [key, value] of Object.entries(params)) walk(key, value);
  return out;
}

export class ApiClient {
  private readonly base: URL;

  constructor(private readonly options: ClientOptions) {
    this.base = parseEndpoint(options.endpoint);
  }

  get endpoint(): string {
    return this.base.origin;
  }

  /**
   * Calls one action and resolves to its JSON body (with RequestId).
   *
   * @example
   *   const body = await client.callAction('DescribeImages', { RegionId: 'cn-hangzhou' });
   */
  async callAction(action: string, params: Record<string, ParamValue> = {}): Promise<ResponseBody> {
    const flat = flattenParams(params);
    const { url, headers } = this.prepare(action, flat);
    if (this.options.lang) headers['x-acs-accept-language'] = this.options.lang;

    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
    } catch (err) {
      const reason = (err as Error & { cause?: Error }).cause?.message ?? (err as Error).message;
      throw new ApiError('ConnectionFailed', `cannot reach ${this.base.origin}: ${reason}`, 0);
    }

    const text = await res.text();
    let body: ResponseBody;
    try {
      body = JSON.parse(text) as ResponseBody;
    } catch {
      throw new ApiError(
        'InvalidResponse',
        `the server at ${this.base.origin} answered HTTP ${res.status} without a JSON body`,
        res.status,
      );
    }

    if (res.status >= 400) {
      throw new ApiError(
        typeof body.Code === 'string' ? body.Code : `HTTP${res.status}`,
        typeof body.Message === 'string' ? body.Message : `HTTP ${res.status}`,
        res.status,
        typeof body.RequestId === 'string' ? body.RequestId : undefined,
        body,
      );
    }
    return body;
  }

  private prepare(action: string, params: Record<string, string>) {
    const creds = this.options.credentials;

    if (creds.kind === 'accessKey') {
      const signed = signAcs3({
        action,
        params,
        host: this.base.host,
        accessKeyId: creds.accessKeyId,
        accessKeySecret: creds.accessKeySecret,
      });
      // fetch sets Host from the URL itself; it matches `this.base.host`, which was signed.
      const { host: _host, ...headers } = signed.headers;
      return { url: new URL(signed.path, this.base).toString(), headers };
    }

    const query = canonicalQuery({ Action: action, Version: API_VERSION, ...params });
    return {
      url: new URL(`/?${query}`, this.base).toString(),
      headers: { authorization: `Bearer ${creds.apiKey}`, accept: 'application/json' } as Record<
        string,
        string
      >,
    };
  }
}

/** Accepts `http://host:port` (and, for convenience, a bare `host:port`). */
export function parseEndpoint(endpoint: string): URL {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(endpoint) ? endpoint : `http://${endpoint}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new ApiError('InvalidEndpoint', `"${endpoint}" is not a URL`, 0);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ApiError('InvalidEndpoint', `"${endpoint}" is not an http(s) URL`, 0);
  }
  return url;
}
