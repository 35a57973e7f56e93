/**
 * Garbage collection of chunks: mark-and-sweep from every manifest, in batches.
 *
 * The "mark" is a question to the metadata database per batch of listed chunks ("which of these
 * does any manifest or pin refer to?"), so memory stays flat however many chunks exist. A chunk
 * is deleted only when it is
 *   1. older than the grace period (writers touch a chunk they reuse, so it becomes young), and
 *   2. unreferenced when the batch is marked, and
 *   3. still unreferenced after it has been quarantined (moved out of sight).
 * Step 3 closes the race with a writer: writers record a block's reference BEFORE they store or
 * reuse its chunk (ManifestWriter's `onBlock`), so either the second mark sees the reference and
 * the chunk is restored, or the reference came later and the writer found the chunk gone and
 * stored it again.
 */
import type { Logger } from '../log/index.js';
import type { ChunkInfo, ChunkStore } from './chunk-store.js';

/** What the collector asks the metadata store (implemented by store/repositories/blobs.ts). */
export interface ReferenceOracle {
  /** The subset of `addresses` that a manifest (in any state) or a live pin refers to. */
  referencedAmong(addresses: string[]): Promise<Set<string>>;
  /** Drops manifests deleted while pinned once their pins are gone; returns how many. */
  purgeReleasedManifests?(now: number): Promise<number>;
}

export const DEFAULT_GC_GRACE_MS = 60 * 60 * 1000;

export interface GcOptions {
  chunks: ChunkStore;
  references: ReferenceOracle;
  /** Chunks modified less than this long ago are kept (default one hour; 0 = none are). */
  graceMs?: number;
  batchSize?: number;
  now?: () => number;
  signal?: AbortSignal;
  log?: Logger;
  /** Test hook: runs after a batch is marked, before its candidates are quarantined. */
  afterMark?: (candidates: ChunkInfo[]) => Promise<void>;
}

export interface GcReport {
  scanned: number;
  keptReferenced: number;
  keptYoung: number;
  /** Quarantined, then found referenced by a manifest written meanwhile, and put back. */
  restored: number;
  deleted: number;
  bytesFreed: number;
  manifestsPurged: number;
  temporaryRemoved: number;
  durationMs: number;
}

/**
 * @example
 *   const report = await collectGarbage({ chunks, references: store.blobs, graceMs: 0 });
 *   log.info(`[gc] freed ${report.bytesFreed} bytes in ${report.deleted} chunks`);
 */
export async function collectGarbage(options: GcOptions): Promise<GcReport> {
  const now = options.now ?? Date.now;
  const graceMs = options.graceMs ?? DEFAULT_GC_GRACE_MS;
  const batchSize = options.batchSize ?? 500;
  const { chunks, references, signal } = options;
  const started = now();
  const report: GcReport = {
    scanned: 0,
    keptReferenced: 0,
    keptYoung: 0,
    restored: 0,
    deleted: 0,
    bytesFreed: 0,
    manifestsPurged: 0,
    temporaryRemoved: 0,
    durationMs: 0,
  };

  report.manifestsPurged = (await references.purgeReleasedManifests?.(started)) ?? 0;

  // A collection that crashed between quarantine and purge left chunks in quarantine.
  const leftovers: string[] = [];
  for await (const address of chunks.listQuarantined()) leftovers.push(address);
  if (leftovers.length > 0) {
    const referenced = await references.referencedAmong(leftovers);
    for (const address of leftovers) {
      if (referenced.has(address)) await chunks.restore(address);
      else await chunks.purge(address);
    }
  }

  const sweep = async (batch: ChunkInfo[]) => {
    const marked = await references.referencedAmong(batch.map((c) => c.address));
    const candidates = batch.filter((c) => !marked.has(c.address));
    report.keptReferenced += batch.length - candidates.length;
    if (candidates.length === 0) return;
    await options.afterMark?.(candidates);

    const quarantined: ChunkInfo[] = [];
    for (const c of candidates) if (await chunks.quarantine(c.address)) quarantined.push(c);
    const remarked = await references.referencedAmong(quarantined.map((c) => c.address));
    for (const c of quarantined) {
      if (remarked.has(c.address)) {
        await chunks.restore(c.address);
        report.restored++;
      } else {
        await chunks.purge(c.address);
        report.deleted++;
        report.bytesFreed += c.size;
      }
    }
  };

  let batch: ChunkInfo[] = [];
  for await (const chunk of chunks.list()) {
    signal?.throwIfAborted();
    report.scanned++;
    if (started - chunk.modifiedMs < graceMs) {
      report.keptYoung++;
      continue;
    }
    batch.push(chunk);
    if (batch.length >= batchSize) {
      await sweep(batch);
      batch = [];
    }
  }
  if (batch.length > 0) await sweep(batch);

  // Temporary files of crashed writers: anything older than the grace period is abandoned.
  report.temporaryRemoved = (await chunks.cleanupTemporary?.(Math.max(graceMs, 60_000))) ?? 0;

  report.durationMs = now() - started;
  options.log?.info({ gc: report }, `[gc] deleted ${report.deleted} chunks`);
  return report;
}

/**
 * Runs `collectGarbage` every `intervalMs` in the background (never two at once); `stop()` waits
 * for a collection in progress to end.
 */
export class GcScheduler {
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;
  private readonly abort = new AbortController();

  constructor(
    private readonly intervalMs: number,
    private readonly run: (signal: AbortSignal) => Promise<unknown>,
    private readonly log?: Logger,
  ) {}

  start(): void {
    if (this.intervalMs <= 0 || this.timer) return;
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    // Collection is housekeeping: it must never keep a process alive on its own.
    this.timer.unref();
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.run(this.abort.signal)
      .catch((err) => {
        if (!this.abort.signal.aborted) this.log?.error({ err }, '[gc] collection failed');
      })
      .finally(() => {
        this.running = undefined;
      });
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.abort.abort();
    await this.running;
  }
}
