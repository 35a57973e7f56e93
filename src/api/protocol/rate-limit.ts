/**
 * A token bucket per AccessKey (or API key): `requestsPerSecond` refill, `burst` capacity.
 * Off when requestsPerSecond is 0.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly requestsPerSecond: number,
    private readonly burst: number,
  ) {}

  get enabled(): boolean {
    return this.requestsPerSecond > 0;
  }

  /** Takes one token; returns 0 when allowed, else the seconds until a token is available. */
  take(key: string, now: number): number {
    if (!this.enabled) return 0;
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    const refill = ((now - bucket.at) / 1000) * this.requestsPerSecond;
    bucket.tokens = Math.min(this.burst, bucket.tokens + refill);
    bucket.at = now;
    this.buckets.set(key, bucket);

    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.ceil((1 - bucket.tokens) / this.requestsPerSecond);
  }
}
