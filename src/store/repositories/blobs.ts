import crypto from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../schema.js';

/** What `getManifest` returns: the manifest (blobs/manifest.ts shape) and its bookkeeping. */
export interface ManifestRecord {
  id: string;
  virtualSize: number;
  blockSize: number;
  state: 'writing' | 'complete';
  dataBlocks: number;
  released: boolean;
  createdAt: number;
  completedAt: number | null;
  blocks: Array<{ index: number; address: string }>;
}

/** A writing manifest nobody pins for this long is an abandoned job's: the collector drops it. */
export const ABANDONED_MANIFEST_MS = 24 * 60 * 60 * 1000;

function newId(prefix: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = crypto.randomBytes(20);
  return `${prefix}-${[...bytes].map((b) => alphabet[b % 36]).join('')}`;
}

/**
 * Manifests, their blocks and pins. Also the collector's reference oracle (`referencedAmong`,
 * `purgeReleasedManifests`, see blobs/gc.ts).
 */
export class BlobsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async createManifest(input: { virtualSize: number; blockSize: number; now: number }) {
    const id = newId('mf');
    await this.db
      .insertInto('manifests')
      .values({
        id,
        virtual_size: input.virtualSize,
        block_size: input.blockSize,
        state: 'writing',
        data_blocks: 0,
        released: 0,
        created_at: input.now,
        completed_at: null,
      })
      .execute();
    return id;
  }

  /** Records (or replaces) data blocks of a writing manifest. */
  async putBlocks(manifestId: string, blocks: Array<{ index: number; address: string }>) {
    if (blocks.length === 0) return;
    await this.db
      .insertInto('manifest_blocks')
      .values(
        blocks.map((b) => ({ manifest_id: manifestId, block_index: b.index, address: b.address })),
      )
      .onConflict((oc) =>
        oc
          .columns(['manifest_id', 'block_index'])
          .doUpdateSet((eb) => ({ address: eb.ref('excluded.address') })),
      )
      .execute();
  }

  /** Removes blocks a rewrite found to be zero after all. */
  async removeBlocks(manifestId: string, indexes: number[]): Promise<void> {
    if (indexes.length === 0) return;
    await this.db
      .deleteFrom('manifest_blocks')
      .where('manifest_id', '=', manifestId)
      .where('block_index', 'in', indexes)
      .execute();
  }

  async completeManifest(manifestId: string, now: number): Promise<void> {
    const { count } = await this.db
      .selectFrom('manifest_blocks')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .where('manifest_id', '=', manifestId)
      .executeTakeFirstOrThrow();
    await this.db
      .updateTable('manifests')
      .set({ state: 'complete', data_blocks: Number(count), completed_at: now })
      .where('id', '=', manifestId)
      .execute();
  }

  async getManifest(manifestId: string): Promise<ManifestRecord | undefined> {
    const row = await this.db
      .selectFrom('manifests')
      .selectAll()
      .where('id', '=', manifestId)
      .executeTakeFirst();
    if (!row) return undefined;
    const blocks = await this.db
      .selectFrom('manifest_blocks')
      .select(['block_index', 'address'])
      .where('manifest_id', '=', manifestId)
      .orderBy('block_index')
      .execute();
    return {
      id: row.id,
      virtualSize: Number(row.virtual_size),
      blockSize: Number(row.block_size),
      state: row.state as ManifestRecord['state'],
      dataBlocks: Number(row.data_blocks),
      released: row.released === 1,
      createdAt: Number(row.created_at),
      completedAt: row.completed_at === null ? null : Number(row.completed_at),
      blocks: blocks.map((b) => ({ index: Number(b.block_index), address: b.address })),
    };
  }

  /** A new complete manifest with the same content (snapshots, copies): no data is copied. */
  async copyManifest(manifestId: string, now: number): Promise<string> {
    const source = await this.db
      .selectFrom('manifests')
      .selectAll()
      .where('id', '=', manifestId)
      .executeTakeFirstOrThrow();
    const id = newId('mf');
    await this.db
      .insertInto('manifests')
      .values({ ...source, id, released: 0, created_at: now, completed_at: now })
      .execute();
    await this.db
      .insertInto('manifest_blocks')
      .columns(['manifest_id', 'block_index', 'address'])
      .expression((eb) =>
        eb
          .selectFrom('manifest_blocks')
          .select([eb.val(id).as('manifest_id'), 'block_index', 'address'])
          .where('manifest_id', '=', manifestId),
      )
      .execute();
    return id;
  }

  /**
   * Deletes a manifest, or — while a live pin holds it — marks it released so the collector
   * drops it after the pin ends. Its chunks become garbage once no other manifest refers to them.
   */
  async deleteManifest(manifestId: string, now: number): Promise<'deleted' | 'released'> {
    const pin = await this.db
      .selectFrom('blob_pins')
      .select('id')
      .where('manifest_id', '=', manifestId)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    if (pin) {
      await this.db
        .updateTable('manifests')
        .set({ released: 1 })
        .where('id', '=', manifestId)
        .execute();
      return 'released';
    }
    await this.db.deleteFrom('manifest_blocks').where('manifest_id', '=', manifestId).execute();
    await this.db.deleteFrom('manifests').where('id', '=', manifestId).execute();
    return 'deleted';
  }

  async pin(manifestId: string, holder: string, ttlMs: number, now: number): Promise<string> {
    const id = newId('pin');
    await this.db
      .insertInto('blob_pins')
      .values({
        id,
        manifest_id: manifestId,
        holder,
        created_at: now,
        expires_at: now + ttlMs,
      })
      .execute();
    return id;
  }

  async renewPin(pinId: string, ttlMs: number, now: number): Promise<void> {
    await this.db
      .updateTable('blob_pins')
      .set({ expires_at: now + ttlMs })
      .where('id', '=', pinId)
      .execute();
  }

  async unpin(pinId: string): Promise<void> {
    await this.db.deleteFrom('blob_pins').where('id', '=', pinId).execute();
  }

  /** The collector's mark: which of these chunk addresses any manifest refers to. */
  async referencedAmong(addresses: string[]): Promise<Set<string>> {
    if (addresses.length === 0) return new Set();
    const rows = await this.db
      .selectFrom('manifest_blocks')
      .select('address')
      .distinct()
      .where('address', 'in', addresses)
      .execute();
    return new Set(rows.map((r) => r.address));
  }

  /**
   * Drops manifests whose owners let go: released ones no live pin holds, and writing ones left
   * unpinned for `ABANDONED_MANIFEST_MS` (a job that died without cleaning up). Expired pins go
   * too. Returns how many manifests were dropped.
   */
  async purgeReleasedManifests(now: number): Promise<number> {
    await this.db.deleteFrom('blob_pins').where('expires_at', '<=', now).execute();
    const rows = await this.db
      .selectFrom('manifests')
      .select('id')
      .where((eb) =>
        eb.or([
          eb('released', '=', 1),
          eb.and([eb('state', '=', 'writing'), eb('created_at', '<', now - ABANDONED_MANIFEST_MS)]),
        ]),
      )
      .where(({ not, exists, selectFrom }) =>
        not(
          exists(
            selectFrom('blob_pins')
              .select('blob_pins.id')
              .whereRef('blob_pins.manifest_id', '=', 'manifests.id'),
          ),
        ),
      )
      .execute();
    for (const { id } of rows) {
      await this.db.deleteFrom('manifest_blocks').where('manifest_id', '=', id).execute();
      await this.db.deleteFrom('manifests').where('id', '=', id).execute();
    }
    return rows.length;
  }
}
