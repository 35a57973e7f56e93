import type { Extent, MapRun } from '../types.js';
import { ReleaseSplitter } from './buffer-pool.js';

export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Runs producers with up to `depth` of them in flight and yields their results in order, so the
 * next read is already on its way while the consumer writes the current one.
 */
export async function* prefetch<T>(
  producers: Iterable<() => Promise<T>>,
  depth = 2,
  signal?: AbortSignal,
): AsyncIterable<T> {
  const queue: Promise<T>[] = [];
  const it = producers[Symbol.iterator]();
  let exhausted = false;
  const fill = () => {
    while (!exhausted && queue.length < depth) {
      const next = it.next();
      if (next.done) {
        exhausted = true;
        break;
      }
      const p = next.value();
      p.catch(() => {}); // surfaced when awaited below; avoids an unhandled rejection meanwhile
      queue.push(p);
    }
  };

  fill();
  while (queue.length > 0) {
    signal?.throwIfAborted();
    const value = await queue.shift()!;
    fill();
    yield value;
  }
}

/**
 * Merges adjacent zero extents (and, for maps, adjacent runs of the same kind) so consumers see
 * few, large runs. Data extents are passed through untouched (they carry buffers).
 */
export class ExtentMerger {
  private pendingZero: { offset: number; length: number } | undefined;

  /** Returns the extents ready to be emitted after adding `e`. */
  push(e: Extent): Extent[] {
    if (e.length === 0) return [];
    if (e.zero) {
      if (this.pendingZero && this.pendingZero.offset + this.pendingZero.length === e.offset) {
        this.pendingZero.length += e.length;
      } else {
        const out = this.flush();
        this.pendingZero = { offset: e.offset, length: e.length };
        return out;
      }
      return [];
    }
    const out = this.flush();
    out.push(e);
    return out;
  }

  flush(): Extent[] {
    if (!this.pendingZero) return [];
    const z = this.pendingZero;
    this.pendingZero = undefined;
    return [{ offset: z.offset, length: z.length, zero: true }];
  }
}

/** Merges adjacent map runs of the same kind. */
export async function* mergeRuns(runs: AsyncIterable<MapRun>): AsyncIterable<MapRun> {
  let cur: MapRun | undefined;
  for await (const r of runs) {
    if (r.length === 0) continue;
    if (cur && cur.zero === r.zero && cur.offset + cur.length === r.offset) {
      cur.length += r.length;
      continue;
    }
    if (cur) yield cur;
    cur = { ...r };
  }
  if (cur) yield cur;
}

/** Converts extents to map runs (drops the data), for sources whose map needs a data scan. */
export async function* extentsToMap(extents: AsyncIterable<Extent>): AsyncIterable<MapRun> {
  for await (const e of extents) yield { offset: e.offset, length: e.length, zero: e.zero };
}

/** Reads [offset, offset+length) of a virtual disk by gathering a range of its extents. */
export async function readFromExtents(
  extents: AsyncIterable<Extent>,
  offset: number,
  length: number,
): Promise<Buffer> {
  const out = Buffer.alloc(length);
  for await (const e of extents) {
    if (e.zero || !e.data) continue;
    const from = Math.max(e.offset, offset);
    const to = Math.min(e.offset + e.length, offset + length);
    if (to > from) e.data.copy(out, from - offset, from - e.offset, to - e.offset);
  }
  return out;
}

/** Validates a caller's maxChunkBytes (a positive multiple of 512). */
export function chunkBytes(maxChunkBytes: number | undefined): number {
  const m = maxChunkBytes ?? DEFAULT_CHUNK_BYTES;
  if (!Number.isSafeInteger(m) || m < 512 || m % 512 !== 0) {
    throw new RangeError(`maxChunkBytes must be a positive multiple of 512, got ${m}`);
  }
  return m;
}

export interface ClusterRun {
  /** Index of the first cluster. */
  cluster: number;
  count: number;
  /** count × clusterSize bytes; partial clusters are zero-padded. */
  data: Buffer;
  /** Hands a view's bytes back to the reader once they are written (see `Extent.release`). */
  release?: () => void;
}

/**
 * Groups a virtual disk's extents into whole clusters: yields, in order, runs of clusters that
 * contain bytes from at least one data extent. Whole aligned clusters inside a data extent are
 * passed as views (no copy); partial ones are assembled into a zero-filled cluster buffer.
 */
export async function* clusterize(
  extents: AsyncIterable<Extent>,
  clusterSize: number,
): AsyncIterable<ClusterRun> {
  let pend: ClusterRun | undefined;

  for await (const e of extents) {
    const end = e.offset + e.length;
    if (e.zero || !e.data) {
      if (pend && end >= (pend.cluster + 1) * clusterSize) {
        yield pend;
        pend = undefined;
      }
      continue;
    }

    const data = e.data;
    const split = new ReleaseSplitter(e.release);
    let pos = e.offset;
    while (pos < end) {
      const c = Math.floor(pos / clusterSize);
      const cStart = c * clusterSize;
      if (pend && pend.cluster !== c) {
        yield pend;
        pend = undefined;
      }
      if (pos === cStart && end - pos >= clusterSize) {
        const n = Math.floor((end - pos) / clusterSize);
        const from = pos - e.offset;
        const view = data.subarray(from, from + n * clusterSize);
        yield { cluster: c, count: n, data: view, release: split.share() };
        pos += n * clusterSize;
        continue;
      }
      pend ??= { cluster: c, count: 1, data: Buffer.alloc(clusterSize) };
      const take = Math.min(end, cStart + clusterSize) - pos;
      data.copy(pend.data, pos - cStart, pos - e.offset, pos - e.offset + take);
      pos += take;
      if (pos === cStart + clusterSize) {
        yield pend;
        pend = undefined;
      }
    }
    split.done();
  }
  if (pend) yield pend;
}
