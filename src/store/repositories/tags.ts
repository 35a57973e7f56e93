/**
 * Tags of every taggable resource type. A tag belongs to the account that set it: recipients of a
 * shared image do not see the owner's tags, as on the cloud.
 */
import { sql, type Kysely, type SqlBool, type Expression } from 'kysely';
import { runCompiled } from '../compiled.js';
import type { Database } from '../schema.js';
import { TAG_COLUMNS, type TagsTable } from '../tables/tags.js';

export type TagRow = TagsTable;

export interface TagOwner {
  accountId: string;
  regionId: string;
  resourceType: string;
}

/** A ListTagResources condition: a resource must carry a key with one of the values. */
export interface TagCondition {
  key: string;
  /** Exact values; empty = any value. */
  values: string[];
  /** Values with `*`: prefix/infix fuzzy patterns, matched with LIKE. */
  patterns?: string[];
}

export interface TagListQuery extends TagOwner {
  resourceIds?: string[];
  /** Every condition must hold for a resource to be listed. */
  conditions?: TagCondition[];
  /** Keyset cursor: rows strictly after (resourceId, tagKey). */
  after?: { resourceId: string; tagKey: string };
  limit: number;
}

/** `*` is a wildcard; `%`, `_` and `!` are literal. */
function likeFromWildcard(text: string): string {
  return text.replace(/[!%_]/g, (c) => `!${c}`).replace(/\*/g, '%');
}

export class TagsRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /** Tags of many resources at once. */
  async tagsOf(owner: TagOwner, resourceIds: string[]): Promise<Map<string, TagRow[]>> {
    const out = new Map<string, TagRow[]>();
    if (!resourceIds.length) return out;
    const rows = await runCompiled(
      this.db,
      `tags.tagsOf:${resourceIds.length}`,
      [owner.accountId, owner.regionId, owner.resourceType, ...resourceIds],
      ([account, region, type, ...ids]) =>
        this.db
          .selectFrom('tags')
          .select(TAG_COLUMNS)
          .where('account_id', '=', account)
          .where('region_id', '=', region)
          .where('resource_type', '=', type as TagOwner['resourceType'])
          .where('resource_id', 'in', ids)
          .orderBy('resource_id')
          .orderBy('tag_key'),
    );
    for (const row of rows) {
      const list = out.get(row.resource_id) ?? [];
      list.push(row);
      out.set(row.resource_id, list);
    }
    return out;
  }

  /** Sets the tags on the resource: new keys are added, existing keys get the new value. */
  async upsert(
    owner: TagOwner,
    resourceId: string,
    tags: Array<{ key: string; value: string }>,
    now: number,
  ): Promise<void> {
    if (!tags.length) return;
    await this.db
      .insertInto('tags')
      .values(
        tags.map((t) => ({
          account_id: owner.accountId,
          region_id: owner.regionId,
          resource_type: owner.resourceType,
          resource_id: resourceId,
          tag_key: t.key,
          tag_value: t.value,
          created_at: now,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['account_id', 'region_id', 'resource_type', 'resource_id', 'tag_key'])
          .doUpdateSet((eb) => ({ tag_value: eb.ref('excluded.tag_value') })),
      )
      .execute();
  }

  /** Removes the given keys, or every tag when `keys` is undefined. */
  async remove(owner: TagOwner, resourceId: string, keys?: string[]): Promise<void> {
    if (keys && !keys.length) return;
    let q = this.db
      .deleteFrom('tags')
      .where('account_id', '=', owner.accountId)
      .where('region_id', '=', owner.regionId)
      .where('resource_type', '=', owner.resourceType)
      .where('resource_id', '=', resourceId);
    if (keys) q = q.where('tag_key', 'in', keys);
    await q.execute();
  }

  /** One page of (resource, tag) rows in (resource_id, tag_key) order. */
  async list(q: TagListQuery): Promise<TagRow[]> {
    let query = this.db
      .selectFrom('tags')
      .selectAll()
      .where('account_id', '=', q.accountId)
      .where('region_id', '=', q.regionId)
      .where('resource_type', '=', q.resourceType);

    if (q.resourceIds?.length) query = query.where('resource_id', 'in', q.resourceIds);
    for (const cond of q.conditions ?? []) {
      query = query.where((eb) => {
        let sub = eb
          .selectFrom('tags as c')
          .select(sql`1`.as('one'))
          .whereRef('c.account_id', '=', 'tags.account_id')
          .whereRef('c.region_id', '=', 'tags.region_id')
          .whereRef('c.resource_type', '=', 'tags.resource_type')
          .whereRef('c.resource_id', '=', 'tags.resource_id')
          .where('c.tag_key', '=', cond.key);
        const patterns = cond.patterns ?? [];
        if (cond.values.length || patterns.length) {
          sub = sub.where((inner) => {
            const tests: Expression<SqlBool>[] = cond.values.map((v) =>
              inner('c.tag_value', '=', v),
            );
            for (const p of patterns) {
              const like = likeFromWildcard(p);
              tests.push(sql<SqlBool>`${inner.ref('c.tag_value')} like ${like} escape '!'`);
            }
            return inner.or(tests);
          });
        }
        return eb.exists(sub);
      });
    }
    if (q.after) {
      const { resourceId, tagKey } = q.after;
      query = query.where((eb) =>
        eb.or([
          eb('resource_id', '>', resourceId),
          eb.and([eb('resource_id', '=', resourceId), eb('tag_key', '>', tagKey)]),
        ]),
      );
    }
    return query.orderBy('resource_id').orderBy('tag_key').limit(q.limit).execute();
  }
}
