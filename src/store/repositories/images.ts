/**
 * Images, their disk device mappings and shares. The search behind DescribeImages is here: one
 * query for the page, one for the count, and the page's mappings and shares loaded in batches.
 */
import { sql, type ExpressionBuilder, type Kysely, type SqlBool, type Expression } from 'kysely';
import type { Database } from '../schema.js';
import type {
  ImageDiskDeviceMappingsTable,
  ImageSharesTable,
  ImagesTable,
} from '../tables/images.js';

export type ImageRow = ImagesTable;
export type ImageMappingRow = ImageDiskDeviceMappingsTable;
export type ImageShareRow = ImageSharesTable;

/** Columns a caller may change on an image (never its keys or owner). */
export type ImagePatch = Partial<
  Omit<ImagesTable, 'region_id' | 'id' | 'owner_id' | 'category' | 'created_at'>
>;

/** Feature columns DescribeImages filters on (Filter.N.Key CpuOnlineUpgrade …). */
export type FeatureColumn =
  | 'cpu_online_upgrade'
  | 'cpu_online_downgrade'
  | 'memory_online_upgrade'
  | 'memory_online_downgrade';

/** Which images a viewer can reach, by where they come from. */
export interface ImageScope {
  system: boolean;
  /** The viewer's own custom images. */
  self: boolean;
  /** Custom images of other accounts shared with the viewer. */
  shared: boolean;
  /** Custom images published as community images (is_public). */
  community: boolean;
  marketplace: boolean;
}

/** A DescribeImages query, already validated by the domain. */
export interface ImageSearch {
  regionId: string;
  viewerId: string;
  scope: ImageScope;
  /** Only images owned by this account (shared/community queries). */
  ownerId?: string;
  statuses?: string[];
  /** Case-insensitive substring of the name. */
  nameContains?: string;
  ids?: string[];
  snapshotId?: string;
  family?: string;
  osType?: string;
  architectures?: string[];
  isSupportIoOptimized?: boolean;
  isSupportCloudinit?: boolean;
  usable?: boolean;
  createdFrom?: number;
  createdTo?: number;
  /** true: only images that also run on the classic network. */
  classicNetwork?: boolean;
  features?: Partial<Record<FeatureColumn, string>>;
  resourceGroupId?: string;
  includeExpired: boolean;
  /** Every tag must be on the image (a missing value matches any value). */
  tags?: Array<{ key: string; value?: string }>;
  idsIn?: string[];
  idsNotIn?: string[];
  offset: number;
  limit: number;
}

type ImagesEb = ExpressionBuilder<Database, 'images'>;

/** `%`, `_` and the escape character itself are literal in a fuzzy name search. */
function likeContains(text: string): string {
  return `%${text.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

export class ImagesRepository {
  constructor(private readonly db: Kysely<Database>) {}

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
    const rows = await this.db
      .selectFrom('image_disk_device_mappings')
      .selectAll()
      .where('region_id', '=', regionId)
      .where('image_id', 'in', ids)
      .orderBy('image_id')
      .orderBy('position')
      .execute();
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
        this.scopeCondition(eb, regionId, viewerId, {
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

  /**
   * One page of a DescribeImages query and the total count.
   *
   * The scope (system, own, shared, community, Marketplace) is an OR the planner cannot serve
   * from one index, so each part runs on its own, index-ordered and limited to the rows the page
   * can need (parts are disjoint); their ids are merged here, the page's rows fetched by id, and
   * the total summed from per-part counts. 10,000 own images cost a few index steps, not a sort.
   *
   * The count of an unfiltered part (system, own, Marketplace) is read from `image_counts`, kept
   * by triggers; a filtered query still counts its matching rows.
   */
  async search(query: ImageSearch): Promise<{ rows: ImageRow[]; total: number }> {
    const parts = (Object.keys(query.scope) as Array<keyof ImageScope>).filter(
      (part) => query.scope[part],
    );
    const wanted = query.offset + query.limit;

    const [heads, counts] = await Promise.all([
      Promise.all(
        parts.map((part) =>
          this.partQuery(query, part)
            .select(['id', 'created_at'])
            .orderBy('created_at', 'desc')
            .orderBy('id', 'desc')
            .limit(wanted)
            .execute(),
        ),
      ),
      Promise.all(
        parts.map(
          (part) =>
            this.countFromCounters(query, part) ??
            this.partQuery(query, part)
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .executeTakeFirstOrThrow(),
        ),
      ),
    ]);

    const pageIds = heads
      .flat()
      .sort((a, b) => b.created_at - a.created_at || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
      .slice(query.offset, wanted)
      .map((h) => h.id);
    const total = counts.reduce((sum, c) => sum + Number(c.n), 0);
    if (!pageIds.length) return { rows: [], total };

    const rows = await this.db
      .selectFrom('images')
      .selectAll()
      .where('region_id', '=', query.regionId)
      .where('id', 'in', pageIds)
      .execute();
    const order = new Map(pageIds.map((id, i) => [id, i]));
    rows.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    return { rows, total };
  }

  /**
   * The part's count from `image_counts` (kept by triggers) when the query narrows it by nothing
   * the counters do not key on — the default listing and paging through it; undefined otherwise.
   */
  private countFromCounters(query: ImageSearch, part: keyof ImageScope) {
    if (part !== 'system' && part !== 'self' && part !== 'marketplace') return undefined;
    const narrowed =
      query.ownerId !== undefined ||
      query.nameContains ||
      query.ids?.length ||
      query.snapshotId !== undefined ||
      query.family !== undefined ||
      query.osType !== undefined ||
      query.architectures !== undefined ||
      query.isSupportIoOptimized !== undefined ||
      query.isSupportCloudinit !== undefined ||
      query.usable !== undefined ||
      query.createdFrom !== undefined ||
      query.createdTo !== undefined ||
      query.classicNetwork ||
      Object.keys(query.features ?? {}).length > 0 ||
      query.resourceGroupId !== undefined ||
      query.tags?.length ||
      query.idsIn !== undefined ||
      query.idsNotIn?.length;
    if (narrowed) return undefined;

    let q = this.db
      .selectFrom('image_counts')
      .select((eb) => eb.fn.coalesce(eb.fn.sum<number>('n'), eb.lit(0)).as('n'))
      .where('region_id', '=', query.regionId)
      .where('category', '=', part === 'self' ? 'custom' : part);
    if (part === 'self') q = q.where('owner_id', '=', query.viewerId);
    if (query.statuses?.length) q = q.where('status', 'in', query.statuses);
    if (!query.includeExpired) q = q.where('is_expired', '=', 0);
    return q.executeTakeFirstOrThrow();
  }

  /** The query's filters restricted to one part of the scope. */
  private partQuery(query: ImageSearch, part: keyof ImageScope) {
    const only: ImageScope = {
      system: false,
      self: false,
      shared: false,
      community: false,
      marketplace: false,
      [part]: true,
    };
    let q = this.db
      .selectFrom('images')
      .where('region_id', '=', query.regionId)
      .where((eb) => this.searchCondition(eb, { ...query, scope: only }));
    // The leading equality columns of the listing indexes, so the planner picks them.
    if (part === 'self') q = q.where('owner_id', '=', query.viewerId);
    if (part === 'system' || part === 'marketplace') q = q.where('category', '=', part);
    return q;
  }

  private scopeCondition(eb: ImagesEb, regionId: string, viewerId: string, scope: ImageScope) {
    const parts: Expression<SqlBool>[] = [];
    if (scope.system) parts.push(eb('category', '=', 'system'));
    if (scope.marketplace) parts.push(eb('category', '=', 'marketplace'));
    if (scope.self) {
      parts.push(eb.and([eb('category', '=', 'custom'), eb('owner_id', '=', viewerId)]));
    }
    if (scope.shared) {
      // Uncorrelated, so the share rows are read once (a hashed subplan / semi-join), not per image.
      parts.push(
        eb(
          'id',
          'in',
          eb
            .selectFrom('image_shares')
            .select('image_shares.image_id')
            .where('image_shares.account_id', '=', viewerId)
            .where('image_shares.region_id', '=', regionId),
        ),
      );
    }
    if (scope.community) {
      parts.push(eb.and([eb('category', '=', 'custom'), eb('is_public', '=', 1)]));
    }
    return parts.length ? eb.or(parts) : sql<SqlBool>`1 = 0`;
  }

  private searchCondition(eb: ImagesEb, q: ImageSearch) {
    const all: Expression<SqlBool>[] = [this.scopeCondition(eb, q.regionId, q.viewerId, q.scope)];
    const flag = (v: boolean) => (v ? 1 : 0);

    if (q.ownerId !== undefined) all.push(eb('owner_id', '=', q.ownerId));
    if (q.statuses?.length) all.push(eb('status', 'in', q.statuses));
    if (q.nameContains) {
      all.push(
        sql<SqlBool>`lower(${eb.ref('name')}) like ${likeContains(q.nameContains)} escape '!'`,
      );
    }
    if (q.ids?.length) all.push(eb('id', 'in', q.ids));
    if (q.family !== undefined) all.push(eb('family', '=', q.family));
    if (q.osType !== undefined) all.push(eb('os_type', '=', q.osType));
    if (q.architectures?.length) all.push(eb('architecture', 'in', q.architectures));
    if (q.isSupportIoOptimized !== undefined) {
      all.push(eb('is_support_io_optimized', '=', flag(q.isSupportIoOptimized)));
    }
    if (q.isSupportCloudinit !== undefined) {
      all.push(eb('is_support_cloudinit', '=', flag(q.isSupportCloudinit)));
    }
    if (q.usable !== undefined) all.push(eb('usable', '=', flag(q.usable)));
    if (q.createdFrom !== undefined) all.push(eb('created_at', '>=', q.createdFrom));
    if (q.createdTo !== undefined) all.push(eb('created_at', '<=', q.createdTo));
    if (q.classicNetwork) all.push(eb('classic_network', '=', 1));
    for (const [column, value] of Object.entries(q.features ?? {})) {
      all.push(eb(column as FeatureColumn, '=', value));
    }
    if (q.resourceGroupId !== undefined) all.push(eb('resource_group_id', '=', q.resourceGroupId));
    if (!q.includeExpired) all.push(eb('is_expired', '=', 0));
    if (q.idsIn) all.push(q.idsIn.length ? eb('id', 'in', q.idsIn) : sql<SqlBool>`1 = 0`);
    if (q.idsNotIn?.length) all.push(eb('id', 'not in', q.idsNotIn));

    if (q.snapshotId !== undefined) {
      all.push(
        eb.exists(
          eb
            .selectFrom('image_disk_device_mappings as m')
            .select(sql`1`.as('one'))
            .whereRef('m.region_id', '=', 'images.region_id')
            .whereRef('m.image_id', '=', 'images.id')
            .where('m.snapshot_id', '=', q.snapshotId),
        ),
      );
    }
    for (const tag of q.tags ?? []) {
      let sub = eb
        .selectFrom('tags as t')
        .select(sql`1`.as('one'))
        .where('t.account_id', '=', q.viewerId)
        .whereRef('t.region_id', '=', 'images.region_id')
        .where('t.resource_type', '=', 'image')
        .whereRef('t.resource_id', '=', 'images.id')
        .where('t.tag_key', '=', tag.key);
      if (tag.value !== undefined) sub = sub.where('t.tag_value', '=', tag.value);
      all.push(eb.exists(sub));
    }
    return eb.and(all);
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
    const rows = await this.db
      .selectFrom('image_shares')
      .select('image_id')
      .distinct()
      .where('region_id', '=', regionId)
      .where('image_id', 'in', ids)
      .execute();
    return new Set(rows.map((r) => r.image_id));
  }
}
