/**
 * Percent-encoding and parameter parsing shared by both signature schemes.
 * The SDKs sign RFC 3986 text (`!'()*` escaped, `~` raw, space as %20) of the *decoded* values,
 * so the server decodes first and re-encodes; it never signs the raw URL text.
 */

/** RFC 3986's unreserved characters, which percent-encoding leaves as they are. */
const UNRESERVED = /^[A-Za-z0-9_.~-]*$/;

export function pct(value: string): string {
  // Most names and values (Action, RegionId, ids) are unreserved text already: nothing to encode.
  if (UNRESERVED.test(value)) return value;
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase(),
  );
}

/**
 * Decodes `a=1&b=2` with form semantics (`+` is a space, `%XX` is UTF-8) into ordered pairs.
 * Malformed escapes are kept literally rather than failing the request.
 */
export function parseFormPairs(text: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  if (!text) return pairs;

  for (const part of text.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    const rawKey = eq < 0 ? part : part.slice(0, eq);
    const rawValue = eq < 0 ? '' : part.slice(eq + 1);
    pairs.push([decodeFormComponent(rawKey), decodeFormComponent(rawValue)]);
  }
  return pairs;
}

function decodeFormComponent(s: string): string {
  if (!s.includes('%') && !s.includes('+')) return s;
  const spaced = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}
