/**
 * Garbage collection of chunks over a real metadata store (SQLite and PostgreSQL) and a real
 * chunk folder: what is collected, what is kept, and the race with a writer during the sweep.
 */
import crypto from 'node:crypto';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CHUNK_SIZE_BYTES, FsChunkStore, collectGarbage } from '../../src/blobs/index.js';
import { DiskContentService } from '../../src/domain/blobs/index.js';
import type { Extent, ExtentSource } from '../../src/formats/types.js';
import { silentLogger } from '../../src/log/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { ABANDONED_MANIFEST_MS } from '../../src/store/repositories/blobs.js';
import { BACKENDS, createTestDatabase, type TestDatabase } from '../helpers/databases.js';

/** A disk of whole 4 MiB blocks, each given or zero. */
function blocksSource(blocks: Array<Buffer | null>): ExtentSource {
  const virtualSize = blocks.length * CHUNK_SIZE_BYTES;
  return {
    virtualSize,
    async *map() {
      for await (const e of this.extents()) yield { ...e, data: undefined };
    },
    async *extents(): AsyncIterable<Extent> {
      for (const [i, b] of blocks.entries()) {
        const offset = i * CHUNK_SIZE_BYTES;
        yield b
          ? { offset, length: CHUNK_SIZE_BYTES, zero: false, data: b }
          : { offset, length: CHUNK_SIZE_BYTES, zero: true };
      }
    },
  };
}

const block = () => crypto.randomBytes(CHUNK_SIZE_BYTES);
const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

describe.each(BACKENDS)('garbage collection (%s)', (backend) => {
  let db: TestDatabase;
  let store: Store;
  let chunks: FsChunkStore;
  let disks: DiskContentService;

  beforeEach(async () => {
    db = await createTestDatabase(backend);
    store = await openStore(db.url, { schema: db.schema });
    chunks = new FsChunkStore(path.join(db.dataDir, 'chunks'), { durable: false });
    disks = new DiskContentService(store, chunks, silentLogger());
  });
  afterEach(async () => {
    await store.close();
    await db.drop();
  });

  const present = async (b: Buffer) => chunks.has(sha(b));

  it('collects unreferenced chunks and keeps referenced ones', async () => {
    const [a, b, orphan] = [block(), block(), block()];
    await disks.write(blocksSource([a, null, b]), { holder: 'test' });
    await chunks.put(orphan);

    const report = await disks.collectGarbage({ graceMs: 0 });
    expect(report).toMatchObject({ scanned: 3, keptReferenced: 2, deleted: 1 });
    expect(report.bytesFreed).toBe(CHUNK_SIZE_BYTES);
    expect(await present(orphan)).toBe(false);
    expect(await present(a)).toBe(true);
    expect(await present(b)).toBe(true);
  });

  it('frees the chunks of a deleted manifest but not those another manifest shares', async () => {
    const [shared, own] = [block(), block()];
    const first = await disks.write(blocksSource([shared, own]), { holder: 'test' });
    await disks.write(blocksSource([shared]), { holder: 'test' });

    expect(await disks.delete(first.manifestId)).toBe('deleted');
    const report = await disks.collectGarbage({ graceMs: 0 });
    expect(report.deleted).toBe(1);
    expect(await present(own)).toBe(false);
    expect(await present(shared)).toBe(true);
  });

  it('keeps unreferenced chunks younger than the grace period', async () => {
    const young = block();
    await chunks.put(young);
    const report = await disks.collectGarbage({ graceMs: 60 * 60 * 1000 });
    expect(report).toMatchObject({ keptYoung: 1, deleted: 0 });
    expect(await present(young)).toBe(true);
  });

  it('keeps a pinned manifest deleted by its owner until the pin ends', async () => {
    const data = block();
    const { manifestId } = await disks.write(blocksSource([data]), { holder: 'test' });
    const pin = await disks.pin(manifestId, 't-export');

    expect(await disks.delete(manifestId)).toBe('released');
    expect((await disks.collectGarbage({ graceMs: 0 })).deleted).toBe(0);
    expect(await present(data)).toBe(true);
    expect(await disks.open(manifestId)).toBeDefined();

    await disks.unpin(pin);
    const report = await disks.collectGarbage({ graceMs: 0 });
    expect(report).toMatchObject({ manifestsPurged: 1, deleted: 1 });
    expect(await present(data)).toBe(false);
  });

  it('keeps the chunks of a manifest written while the sweep runs', async () => {
    const reused = block();
    const unrelated = block();
    await chunks.put(reused);
    await chunks.put(unrelated);

    // Between the mark and the delete, a writer records a manifest that reuses `reused`
    // (found already stored, so not rewritten).
    let written: { manifestId: string } | undefined;
    const report = await collectGarbage({
      chunks,
      references: store.blobs,
      graceMs: 0,
      afterMark: async (candidates) => {
        expect(candidates.map((c) => c.address).sort()).toEqual(
          [sha(reused), sha(unrelated)].sort(),
        );
        written = await disks.write(blocksSource([reused]), { holder: 'racing-import' });
      },
    });

    expect(written).toBeDefined();
    expect(report).toMatchObject({ restored: 1, deleted: 1 });
    expect(await present(reused)).toBe(true);
    expect(await present(unrelated)).toBe(false);
    const reader = await disks.open(written!.manifestId, { verify: true });
    for await (const e of reader!.extents()) if (!e.zero) expect(e.data!.equals(reused)).toBe(true);
  });

  it('finishes what a crashed collection left in quarantine', async () => {
    const [kept, dropped] = [block(), block()];
    await disks.write(blocksSource([kept]), { holder: 'test' });
    await chunks.put(dropped);
    await chunks.quarantine(sha(kept));
    await chunks.quarantine(sha(dropped));

    await disks.collectGarbage({ graceMs: 0 });
    expect(await present(kept)).toBe(true);
    expect(await present(dropped)).toBe(false);
    const left = [];
    for await (const q of chunks.listQuarantined()) left.push(q);
    expect(left).toEqual([]);
  });

  it('renews the pins of a write that outlasts their TTL, so the collector keeps its chunks', async () => {
    // A clock the test moves: the write starts, then "a day" passes mid-write (an import of a
    // huge disk from a slow source). Without renewal its pin would have lapsed and the manifest,
    // still writing and older than the abandonment limit, would be purged with its chunks.
    let clock = Date.now();
    const ttlMs = 90;
    const slow = new DiskContentService(store, chunks, silentLogger(), () => clock, ttlMs);
    const [first, second] = [block(), block()];
    let resume!: () => void;
    const gate = new Promise<void>((r) => (resume = r));
    let firstYielded!: () => void;
    const firstOut = new Promise<void>((r) => (firstYielded = r));
    const source: ExtentSource = {
      ...blocksSource([first, second]),
      async *extents() {
        let i = 0;
        for await (const e of blocksSource([first, second]).extents()) {
          if (i++ === 1) {
            firstYielded();
            await gate;
          }
          yield e;
        }
      },
    };
    const writing = slow.write(source, { holder: 't-long', concurrency: 1 });
    await firstOut;
    await new Promise((r) => setTimeout(r, 50)); // the first block is recorded and stored

    clock += ABANDONED_MANIFEST_MS + 60_000;
    await new Promise((r) => setTimeout(r, ttlMs)); // at least one renewal tick at the new time
    const report = await slow.collectGarbage({ graceMs: 0 });
    expect(report.manifestsPurged).toBe(0);
    expect(await present(first)).toBe(true);

    resume();
    const { manifestId } = await writing;
    const reader = await slow.open(manifestId, { verify: true });
    const seen: Buffer[] = [];
    for await (const e of reader!.extents()) if (!e.zero) seen.push(e.data!);
    expect(seen.map(sha)).toEqual([sha(first), sha(second)]);
  });

  it('resumes an interrupted write from the blocks it recorded', async () => {
    const blocks = [block(), block(), block()];
    const controller = new AbortController();
    let stored = 0;
    const interrupted = disks.write(
      {
        ...blocksSource(blocks),
        async *extents() {
          for await (const e of blocksSource(blocks).extents()) {
            if (++stored === 3) controller.abort();
            yield e;
          }
        },
      },
      { holder: 't-1', signal: controller.signal, concurrency: 1 },
    );
    await expect(interrupted).rejects.toThrow();
    const [partial] = await store.db.selectFrom('manifests').select('id').execute();

    const resumed = await disks.write(blocksSource(blocks), {
      holder: 't-1',
      resumeManifestId: partial.id,
    });
    expect(resumed.manifestId).toBe(partial.id);
    expect(resumed.stats.chunksReused).toBeGreaterThanOrEqual(1);
    expect((await disks.read(partial.id))!.blocks.map((b) => b.address)).toEqual(blocks.map(sha));
  });
});
