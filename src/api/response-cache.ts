/**
 * Serialized answers of read-only actions (`cacheable` in their definition), kept per account
 * and decoded parameters and trusted only while the store's change clock reads what it read
 * before the answer was built (store/change-clock.ts). A repeat of DescribeImages then costs a
 * map lookup instead of the queries, the rendering and the JSON serialization of a page of
 * images (bench/describe-images.ts shows both paths).
 *
 * Bounded by total bytes; the least recently used answers go first.
 */
export interface CachedAnswer {
  /**
   * The success body without RequestId, serialized and UTF-8 encoded, less its opening brace:
   * `"RegionId":…}`. Kept as bytes so that an answer is written to the socket as it is, with no
   * string to build, encode or collect per request.
   */
  members: Buffer;
  stamp: number;
}

export class ResponseCache {
  private readonly entries = new Map<string, CachedAnswer>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private readonly maxBytes: number) {}

  get enabled(): boolean {
    return this.maxBytes > 0;
  }

  /** The answer kept under `key` if the clock still reads `stamp`. */
  get(key: string, stamp: number): Buffer | undefined {
    const entry = this.entries.get(key);
    if (!entry || entry.stamp !== stamp) {
      if (entry) this.remove(key, entry);
      this.misses++;
      return undefined;
    }
    // Map order is insertion order: re-inserting marks it most recently used.
    this.entries.delete(key);
    this.entries.set(key, entry);
    this.hits++;
    return entry.members;
  }

  /** Keeps `json` (a serialized object) under `key`; returns its members as `get` would. */
  set(key: string, stamp: number, json: string): Buffer {
    // Its own allocation: a small Buffer.from would pin a shared 8 KiB pool slab for as long as
    // the answer is kept.
    const text = json.slice(1);
    const members = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
    members.write(text);
    const size = sizeOf(key, members);
    if (size > this.maxBytes / 8) return members; // one huge answer must not flush the rest
    const old = this.entries.get(key);
    if (old) this.remove(key, old);
    this.entries.set(key, { members, stamp });
    this.bytes += size;
    while (this.bytes > this.maxBytes) {
      const [oldestKey, oldest] = this.entries.entries().next().value!;
      this.remove(oldestKey, oldest);
    }
    return members;
  }

  get size(): number {
    return this.entries.size;
  }

  private remove(key: string, entry: CachedAnswer): void {
    this.entries.delete(key);
    this.bytes -= sizeOf(key, entry.members);
  }
}

/** The key as V8 keeps it (two bytes a character at most), the bytes, and bookkeeping. */
function sizeOf(key: string, members: Buffer): number {
  return 2 * key.length + members.length + 64;
}

/**
 * The whole body as two pieces to write one after the other: `{"RequestId":"…",` (or `…"}` for
 * an empty body) and the cached members.
 */
export function withRequestId(requestId: string, members: Buffer): [Buffer, Buffer] {
  const empty = members.length === 1; // the body was `{}`
  return [Buffer.from(`{"RequestId":${JSON.stringify(requestId)}${empty ? '' : ','}`), members];
}
