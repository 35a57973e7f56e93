/** The cloud's timestamp shapes: UTC ISO-8601 to the second, or to the minute (tasks, filters). */

/** `2019-11-15T06:07:05Z` */
export function isoSeconds(ms: number): string {
  const iso = new Date(ms).toISOString();
  // `yyyy-MM-ddTHH:mm:ss.sssZ` for years 0–9999: cutting is cheaper than a regex, and
  // DescribeImages formats a time per image.
  return iso.length === 24 ? `${iso.slice(0, 19)}Z` : iso.replace(/\.\d{3}Z$/, 'Z');
}

/** `2020-11-24T12:50Z` */
export function isoMinutes(ms: number): string {
  return new Date(ms).toISOString().replace(/:\d{2}\.\d{3}Z$/, 'Z');
}

/**
 * Parses `yyyy-MM-ddTHH:mmZ` or `yyyy-MM-ddTHH:mm:ssZ` (UTC); undefined when it is neither.
 */
export function parseCloudTime(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?Z$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
