/**
 * Resource identifiers shaped like the cloud's: a prefix, two characters derived from the region,
 * then lower-case alphanumerics — `m-bp1g7004ksh0oeuc3f1a` (20 characters after the dash).
 */
import crypto from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Two stable characters per region, as the cloud's IDs start with (bp for cn-hangzhou …). */
function regionTag(regionId: string): string {
  const known: Record<string, string> = {
    'cn-hangzhou': 'bp',
    'cn-shanghai': 'uf',
    'cn-beijing': '2z',
    'cn-shenzhen': 'wz',
    'ap-southeast-1': 't4',
    'us-west-1': 'rj',
    'eu-central-1': 'gw',
  };
  if (known[regionId]) return known[regionId];
  const digest = crypto.createHash('sha256').update(regionId).digest();
  return ALPHABET[digest[0] % 36] + ALPHABET[digest[1] % 36];
}

function randomChars(n: number): string {
  const bytes = crypto.randomBytes(n);
  let out = '';
  for (let i = 0; i < n; i++) out += ALPHABET[bytes[i] % 36];
  return out;
}

/**
 * @example
 *   newResourceId('m', 'cn-hangzhou') // → 'm-bp67acfa2f8b3c1d9e0a'
 *   newResourceId('t')                // → 't-5k2…' (no region part)
 */
export function newResourceId(prefix: string, regionId?: string): string {
  return regionId
    ? `${prefix}-${regionTag(regionId)}${randomChars(18)}`
    : `${prefix}-${randomChars(20)}`;
}
