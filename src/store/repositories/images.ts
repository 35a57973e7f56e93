/**
 * Images, their disk device mappings and shares: rows in, rows out. The search behind
 * DescribeImages has its own module (image-search.ts); this repository hands queries to it.
 */
import { sql, type Kysely } from 'kysely';
import { runCompiled } from '../compiled.js';
import type { Database } from '../schema.js';
import {
  MAPPING_COLUMNS,
  type ImageDiskDeviceMappingsTable,
  type ImageSharesTable,
  type ImagesTable,
} from '../tables/images.js';
import { ImageSearchQueries, scopeCondition, type ImageSearch } from './image-search.js';

export type { FeatureColumn, ImageScope, ImageSearch } from './image-search.js';

export type ImageRow = ImagesTable;
export type ImageMappingRow = ImageDiskDeviceMappingsTable;
export type ImageShareRow = ImageSharesTable;

/** Columns a caller may change on an image (never its keys or owner). */
export type ImagePatch = Partial<
  Omit<ImagesTable, 'region_id' | 'id' | 'owner_id' | 'category' | 'created_at'>
>;

export class ImagesRepository {
  /** The DescribeImages search (image-search.ts). */
  private readonly searches: ImageSearchQueries;

  constructor(private readonly db: Kysely<Database>) {
    this.searches = new ImageSearchQueries(db);
  }

  async insert(row: ImageRow, mappings: ImageMappingRow[] = []): Promise<void> {
    await this.db.insertInto('images').values(row).execute();
    if (mappings.length)
      await this.db.insertInto('image_disk_device_mappings').values(mappings).execute();
  }

  /** Inserts unless (region, id) exists; true when inserted. Used by the idempotent seed. */
  async insertIfAbsent(row: ImageRow, mappings: ImageMappingRow[]): Promise<boolean> {
    const result = await this.db
      .insertInto('images')
      .values(row)
      .onConflict((oc) => oc.columns(['region_id', 'id']).doNothing())
      .executeTakeFirst();
    const inserted = Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
    if (inserted && mappings.length) {
      await this.db.insertInto('image_disk_device_mappings').values(mappings).execute();
    }
    return inserted;
  }

  async find(regionId: string, id: string): Promise<ImageRow | undefined> {
    return this.db
      .selectFrom('images')
      .selectAll()
      .where('region_id', '=', regionId)
      .where('id', '=', id)
      .executeTakeFirst();
  }

  async update(regionId: string, id: string, patch: ImagePatch): Promise<void> {
    await this.db
      .updateTable('images')
      .set(patch)
      .where('region_id', '=', regionId)
      .where('id', '=', id)
      .execute();
  }

  /**
   * Moves an image to `to` only if its status is one of `from`; false when another writer got
   * there first (the caller re-reads and answers with the cloud's code).
   */
  async transition(
    regionId: string,
    id: string,
    from: string[],
    patch: ImagePatch & { status: string },
  ): Promise<boolean> {
    const result = await this.db
      .updateTable('images')
      .set(patch)
      .where('region_id', '=', regionId)
      .where('id', '=', id)
      .where('status', 'in', from)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /** Takes the image's operation lock (export, copy-source); false when something holds it. */
  async tryLock(regionId: string, id: string, operation: string, now: number): Promise<boolean> {
    const result = await this.db
      .updateTable('images')
      .set({ lock_operation: operation, updated_at: now })
      .where('region_id', '=', regionId)
      .where('id', '=', id)
      .where('lock_operation', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async unlock(regionId: string, id: string, operation: string, now: number): Promise<void> {
    await this.db
      .updateTable('images')
      .set({ lock_operation: null, updated_at: now })
      .where('region_id', '=', regionId)
      .where('id', '=', id)
      .where('lock_operation', '=', operation)
      .execute();
  }

  /** Deletes the image with its mappings, shares and every account's tags on it. */
  async delete(regionId: string, id: string): Promise<void> {
    await this.db
      .deleteFrom('image_disk_device_mappings')
      .where('region_id', '=', regionId)
      .where('image_id', '=', id)
      .execute();
    await this.db
      .deleteFrom('image_shares')
      .where('region_id', '=', regionId)
      .where('image_id', '=', id)
      .execute();
    await this.db
      .deleteFrom('tags')
      .where('region_id', '=', regionId)
      .where('resource_type', '=', 'image')
      .where('resource_id', '=', id)
      .execute();
    await this.db
      .deleteFrom('images')
      .where('region_id', '=', regionId)
      .where('id', '=', id)
      .execute();
  }

  async replaceMappings(regionId: string, id: string, mappings: ImageMappingRow[]): Promise<void> {
    await this.db
      .deleteFrom('image_disk_device_mappings')
      .where('region_id', '=', regionId)
      .where('image_id', '=', id)
      .execute();
    if (mappings.length)
      await this.db.insertInto('image_disk_device_mappings').values(mappings).execute();
  }

  /** The mappings of many images at once, in position order. */
  async mappingsOf(regionId: string, ids: string[]): Promise<Map<string, ImageMappingRow[]>> {
    const out = new Map<string, ImageMappingRow[]>();
    if (!ids.length) return out;
    const rows = await runCompiled(
      this.db,
      `images.mappingsOf:${ids.length}`,
      [regionId, ...ids],
      ([region, ...list]) =>
        this.db
          .selectFrom('image_disk_device_mappings')
          .select(MAPPING_COLUMNS)
          .where('region_id', '=', region)
          .where('image_id', 'in', list)
          .orderBy('image_id')
          .orderBy('position'),
    );
    for (const row of rows) {
      const list = out.get(row.image_id) ?? [];
      list.push(row);
      out.set(row.image_id, list);
    }
    return out;
  }

  /** Is `name` used by another image of the account in the region? */
  async nameTaken(regionId: string, ownerId: string, name: string, exceptId?: string) {
    let q = this.db
      .selectFrom('images')
      .select('id')
      .where('region_id', '=', regionId)
      .where('owner_id', '=', ownerId)
      .where('name', '=', name);
    if (exceptId) q = q.where('id', '!=', exceptId);
    return (await q.executeTakeFirst()) !== undefined;
  }

  async countInFamily(regionId: string, ownerId: string, family: string): Promise<number> {
    const row = await this.db
      .selectFrom('images')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('region_id', '=', regionId)
      .where('owner_id', '=', ownerId)
      .where('family', '=', family)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async countFamilies(regionId: string, ownerId: string): Promise<number> {
    const row = await this.db
      .selectFrom('images')
      .select(sql<number>`count(distinct family)`.as('n'))
      .where('region_id', '=', regionId)
      .where('owner_id', '=', ownerId)
      .where('family', 'is not', null)
      .executeTakeFirstOrThrow();
    return Number(row.n);
  }

  /** The newest Available image of a family the viewer can reach (system, own, shared). */
  async newestInFamily(regionId: string, viewerId: string, family: string) {
    return this.db
      .selectFrom('images')
      .selectAll()
      .where('region_id', '=', regionId)
      .where('family', '=', family)
      .where('status', '=', 'Available')
      .where((eb) =>
        scopeCondition(eb, regionId, viewerId, {
          system: true,
          self: true,
          shared: true,
          community: false,
          marketplace: false,
        }),
      )
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst();
  }

  /** One page of a DescribeImages query and the total count (see image-search.ts). */
  search(query: ImageSearch): Promise<{ rows: ImageRow[]; total: number }> {
    return this.searches.search(query);
  }

  // --- shares (written by ModifyImageSharePermission; read here for visibility and refusals) ---

  async insertShare(row: ImageShareRow): Promise<void> {
    await this.db
      .insertInto('image_shares')
      .values(row)
      .onConflict((oc) => oc.columns(['region_id', 'image_id', 'account_id']).doNothing())
      .execute();
  }

  async deleteShare(regionId: string, imageId: string, accountId: string): Promise<void> {
    await this.db
      .deleteFrom('image_shares')
      .where('region_id', '=', regionId)
      .where('image_id', '=', imageId)
      .where('account_id', '=', accountId)
      .execute();
  }

  async listShares(regionId: string, imageId: string): Promise<ImageShareRow[]> {
    return this.db
      .selectFrom('image_shares')
      .selectAll()
      .where('region_id', '=', regionId)
      .where('image_id', '=', imageId)
      .orderBy('shared_at')
      .execute();
  }

  async isSharedWith(regionId: string, imageId: string, accountId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('image_shares')
      .select('account_id')
      .where('region_id', '=', regionId)
      .where('image_id', '=', imageId)
      .where('account_id', '=', accountId)
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Which of `ids` are shared with at least one account. */
  async sharedAmong(regionId: string, ids: string[]): Promise<Set<string>> {
    if (!ids.length) return new Set();
    const rows = await runCompiled(
      this.db,
      `images.sharedAmong:${ids.length}`,
      [regionId, ...ids],
      ([region, ...list]) =>
        this.db
          .selectFrom('image_shares')
          .select('image_id')
          .distinct()
          .where('region_id', '=', region)
          .where('image_id', 'in', list),
    );
    return new Set(rows.map((r) => r.image_id));
  }
}
