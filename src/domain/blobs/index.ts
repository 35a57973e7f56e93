/**
 * Disk content for the domain: manifests written from a disk reader, read back as an
 * `ExtentSource`, copied, deleted, pinned by running jobs, and garbage-collected. Glue between
 * the chunk store (blobs/) and the manifests' rows (store/repositories/blobs.ts).
 */
import {
  ManifestReader,
  ManifestWriter,
  collectGarbage,
  type ChunkStore,
  type GcReport,
  type Manifest,
  type ManifestWriteStats,
} from '../../blobs/index.js';
import type { ExtentSource } from '../../formats/types.js';
import type { Logger } from '../../log/index.js';
import type { Store } from '../../store/index.js';

/**
 * Pins last this long unless renewed. A held pin (`hold`, and every `write`) is renewed every
 * third of this while its holder's process runs; if the process dies the pin lapses on its own.
 */
export const PIN_TTL_MS = 15 * 60 * 1000;

/** A pin kept alive until `release`: see `DiskContentService.hold`. */
export interface PinHold {
  readonly pinId: string;
  release(): Promise<void>;
}

export interface WriteDiskOptions {
  /** Who writes (a task id): pins the manifest while writing. */
  holder: string;
  /** A manifest an interrupted run of the same job started: its recorded blocks are reused. */
  resumeManifestId?: string;
  signal?: AbortSignal;
  onProgress?: (doneBytes: number, totalBytes: number) => void;
  concurrency?: number;
}

export class DiskContentService {
  constructor(
    private readonly store: Store,
    readonly chunks: ChunkStore,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
    private readonly pinTtlMs: number = PIN_TTL_MS,
  ) {}

  /**
   * Stores a disk's content and returns its complete manifest's id. The manifest row exists (in
   * state `writing`) from the start, and every block is recorded before its chunk is stored, so
   * the collector never removes a chunk this write relies on.
   *
   * @example
   *   const { manifestId, stats } = await disks.write(reader, { holder: taskId });
   */
  async write(
    source: ExtentSource,
    options: WriteDiskOptions,
  ): Promise<{ manifestId: string; manifest: Manifest; stats: ManifestWriteStats }> {
    const repo = this.store.blobs;
    const previous = options.resumeManifestId
      ? await repo.getManifest(options.resumeManifestId)
      : undefined;
    const usable = previous && previous.virtualSize === source.virtualSize ? previous : undefined;
    const manifestId =
      usable?.id ??
      (await repo.createManifest({
        virtualSize: source.virtualSize,
        blockSize: 4 * 1024 * 1024,
        now: this.now(),
      }));
    // Held, not just pinned: an import of a large disk outlasts the pin's TTL, and a lapsed pin
    // would let the collector treat this manifest as abandoned (or released) mid-write.
    const pin = await this.hold(manifestId, options.holder);

    try {
      const writer = new ManifestWriter({
        chunks: this.chunks,
        concurrency: options.concurrency,
        signal: options.signal,
        onProgress: options.onProgress,
        resume: usable ? new Map(usable.blocks.map((b) => [b.index, b.address])) : undefined,
        onBlock: (block) => repo.putBlocks(manifestId, [block]),
      });
      const { manifest, stats } = await writer.write(source);

      // Blocks a previous run recorded that turned out zero (or beyond the end) now are dropped.
      if (usable) {
        const kept = new Set(manifest.blocks.map((b) => b.index));
        await repo.removeBlocks(
          manifestId,
          usable.blocks.filter((b) => !kept.has(b.index)).map((b) => b.index),
        );
      }
      await repo.completeManifest(manifestId, this.now());
      this.log.info(
        { manifestId, ...stats },
        `[blobs] stored manifest ${manifestId}: ${stats.chunksWritten} new chunks`,
      );
      return { manifestId, manifest, stats };
    } finally {
      await pin.release();
    }
  }

  async read(manifestId: string): Promise<Manifest | undefined> {
    const record = await this.store.blobs.getManifest(manifestId);
    if (!record || record.state !== 'complete') return undefined;
    return { virtualSize: record.virtualSize, blockSize: record.blockSize, blocks: record.blocks };
  }

  /** The stored disk as an ExtentSource for a format writer; undefined if absent or unfinished. */
  async open(
    manifestId: string,
    options: { readAhead?: number; verify?: boolean } = {},
  ): Promise<ManifestReader | undefined> {
    const manifest = await this.read(manifestId);
    return manifest && new ManifestReader(manifest, this.chunks, options);
  }

  copy(manifestId: string): Promise<string> {
    return this.store.blobs.copyManifest(manifestId, this.now());
  }

  delete(manifestId: string): Promise<'deleted' | 'released'> {
    return this.store.blobs.deleteManifest(manifestId, this.now());
  }

  /** Holds a manifest for a running job (an export): deleting it meanwhile only releases it. */
  pin(manifestId: string, holder: string, ttlMs = this.pinTtlMs): Promise<string> {
    return this.store.blobs.pin(manifestId, holder, ttlMs, this.now());
  }

  renewPin(pinId: string, ttlMs = this.pinTtlMs): Promise<void> {
    return this.store.blobs.renewPin(pinId, ttlMs, this.now());
  }

  /**
   * Pins a manifest and renews the pin every third of its TTL until `release`, so a job longer
   * than the TTL keeps its content. The renewal runs in the holder's process like the job's own
   * heartbeat: when the process dies, both stop and the pin lapses after one TTL.
   *
   * @example
   *   const pin = await disks.hold(manifestId, taskId);
   *   try { await exportDisk(manifestId); } finally { await pin.release(); }
   */
  async hold(manifestId: string, holder: string): Promise<PinHold> {
    const pinId = await this.pin(manifestId, holder);
    let renewing: Promise<void> = Promise.resolve();
    const timer = setInterval(
      () => {
        renewing = this.renewPin(pinId).catch((err: unknown) => {
          // The next tick tries again; a TTL is three ticks long.
          this.log.warn({ err, pinId, manifestId }, '[blobs] renewing a pin failed');
        });
      },
      Math.max(1, Math.floor(this.pinTtlMs / 3)),
    );
    timer.unref();
    return {
      pinId,
      release: async () => {
        clearInterval(timer);
        await renewing;
        await this.unpin(pinId);
      },
    };
  }

  unpin(pinId: string): Promise<void> {
    return this.store.blobs.unpin(pinId);
  }

  collectGarbage(options: { graceMs: number; signal?: AbortSignal }): Promise<GcReport> {
    return collectGarbage({
      chunks: this.chunks,
      references: this.store.blobs,
      graceMs: options.graceMs,
      signal: options.signal,
      log: this.log,
      now: this.now,
    });
  }
}
