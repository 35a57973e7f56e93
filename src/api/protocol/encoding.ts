/**
 * Percent-encoding and parameter parsing shared by both signature schemes.
 * The SDKs sign RFC 3986 text (`!'()*` escaped, `~` raw, space as %20) of the *decoded* values,
 * so the server decodes first and re-encodes; it never signs the raw URL text.
 */
export function pct(value: string): string {
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
  const spaced = s.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}
