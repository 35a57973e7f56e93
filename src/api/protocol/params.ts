/**
 * Collects a request's parameters: the query string and, for POST, an urlencoded body
 * (pop-core's POST sends everything in the body; the v7 SDK sends everything in the query).
 */
import { parseFormPairs } from './encoding.js';

export interface RawRequest {
  method: string;
  /** Path and query as received, e.g. `/?Action=DescribeRegions`. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Body bytes exactly as received (needed for the ACS3 payload hash). */
  body: Buffer;
}

export interface CollectedParams {
  query: Array<[string, string]>;
  form: Array<[string, string]>;
  /** Query and form merged; a form value wins over a query value of the same name. */
  all: Record<string, string>;
}

export function header(req: RawRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

export function collectParams(req: RawRequest): CollectedParams {
  const q = req.url.indexOf('?');
  const query = q < 0 ? [] : parseFormPairs(req.url.slice(q + 1));

  const contentType = (header(req, 'content-type') ?? '').toLowerCase();
  const form =
    contentType.startsWith('application/x-www-form-urlencoded') && req.body.length > 0
      ? parseFormPairs(req.body.toString('utf8'))
      : [];

  const all: Record<string, string> = Object.create(null);
  for (const [k, v] of query) all[k] = v;
  for (const [k, v] of form) all[k] = v;
  return { query, form, all };
}
