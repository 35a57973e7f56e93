/**
 * Hash routing under /console/: `#/images?tab=self&name=web`. Hash routes need no server
 * fallback, and the API's `Recommend` links (`/console/#/troubleshooting?code=…`) land directly
 * on the page. The query part holds page state (filters, tabs) so a link can be shared.
 */
import { useSyncExternalStore } from 'react';

export interface Route {
  /** e.g. `/images` */
  path: string;
  query: URLSearchParams;
}

export type QueryInput = Record<string, string | number | boolean | null | undefined>;

let cachedHash: string | undefined;
let cachedRoute: Route = { path: '/', query: new URLSearchParams() };

function parseHash(hash: string): Route {
  const text = hash.replace(/^#/, '') || '/';
  const q = text.indexOf('?');
  const path = q < 0 ? text : text.slice(0, q);
  return {
    path: path.startsWith('/') ? path : `/${path}`,
    query: new URLSearchParams(q < 0 ? '' : text.slice(q + 1)),
  };
}

function snapshot(): Route {
  // useSyncExternalStore needs the same object while the hash is unchanged.
  if (window.location.hash !== cachedHash) {
    cachedHash = window.location.hash;
    cachedRoute = parseHash(cachedHash);
  }
  return cachedRoute;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useRoute(): Route {
  return useSyncExternalStore(subscribe, snapshot);
}

/** `#/path?a=1`, leaving out empty values. */
export function hrefFor(path: string, query: QueryInput = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '' || value === false) continue;
    params.set(key, String(value));
  }
  const text = params.toString();
  return `#${path}${text ? `?${text}` : ''}`;
}

export function navigate(
  path: string,
  query: QueryInput = {},
  options: { replace?: boolean } = {},
) {
  const href = hrefFor(path, query);
  if (options.replace) {
    window.history.replaceState(null, '', href);
    // replaceState does not fire hashchange; tell the subscribers ourselves.
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  } else {
    window.location.hash = href.slice(1);
  }
}
