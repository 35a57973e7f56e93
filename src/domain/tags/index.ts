/**
 * Tags on resources (TagResources, UntagResources, ListTagResources). Each resource area registers
 * its type with a check of who may tag what; the image catalogue registers `image`. Types the
 * cloud knows but ecsimg does not keep answer InvalidResourceType.NotFound.
 *
 * Where the documentation is silent: ListTagResources pages by 50 rows (NextToken is an opaque
 * keyset cursor), and Tag.N lists every tag of each matching resource.
 */
import type { Store } from '../../store/index.js';
import type { TagCondition, TagRow } from '../../store/repositories/tags.js';
import { EcsError } from '../errors/index.js';

export const MAX_TAGS_PER_RESOURCE = 20;
export const LIST_TAGS_PAGE_SIZE = 50;

export interface TaggableType {
  /** Throws InvalidResourceId.NotFound / .NotSupported unless the account may tag every ID. */
  checkTaggable(accountId: string, regionId: string, resourceIds: string[]): Promise<void>;
}

export interface TagTarget {
  accountId: string;
  regionId: string;
  resourceType: string;
  resourceIds: string[];
}

export interface TagListRequest {
  accountId: string;
  regionId: string;
  resourceType: string;
  resourceIds?: string[];
  tags?: Array<{ Key?: string; Value?: string }>;
  tagFilters?: Array<{ TagKey?: string; TagValues?: string[] }>;
  nextToken?: string;
}

function encodeToken(row: TagRow): string {
  return Buffer.from(JSON.stringify([row.resource_id, row.tag_key])).toString('base64url');
}

function decodeToken(token: string): { resourceId: string; tagKey: string } {
  try {
    const value = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string')) {
      return { resourceId: value[0] as string, tagKey: value[1] as string };
    }
  } catch {
    // falls through to the coded error
  }
  throw new EcsError('Invalid.NextToken');
}

export class TagService {
  private readonly types = new Map<string, TaggableType>();

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  register(resourceType: string, type: TaggableType): void {
    this.types.set(resourceType, type);
  }

  private typeOf(resourceType: string): TaggableType {
    const type = this.types.get(resourceType);
    if (!type) throw new EcsError('InvalidResourceType.NotFound', { resourceType });
    return type;
  }

  /** Keys must be unique in one call, compared without regard to case. */
  static checkDistinctKeys(keys: string[]): void {
    const seen = new Set<string>();
    for (const key of keys) {
      const folded = key.toLowerCase();
      if (seen.has(folded)) throw new EcsError('TagKey.Duplication', { key });
      seen.add(folded);
    }
  }

  /**
   * TagResources: adds or overwrites tags on every resource, refusing as a whole if one resource
   * would carry more than 20 tags.
   */
  async tagResources(target: TagTarget, tags: Array<{ key: string; value: string }>) {
    const type = this.typeOf(target.resourceType);
    TagService.checkDistinctKeys(tags.map((t) => t.key));
    await type.checkTaggable(target.accountId, target.regionId, target.resourceIds);

    const owner = {
      accountId: target.accountId,
      regionId: target.regionId,
      resourceType: target.resourceType,
    };
    // Under the account's lock, so calls racing on one resource count each other's tags.
    await this.store.transaction(async (tx) => {
      await tx.accounts.lock(target.accountId);
      const existing = await tx.tags.tagsOf(owner, target.resourceIds);
      for (const resourceId of target.resourceIds) {
        const keys = new Set((existing.get(resourceId) ?? []).map((t) => t.tag_key));
        for (const t of tags) keys.add(t.key);
        if (keys.size > MAX_TAGS_PER_RESOURCE) {
          throw new EcsError('QuotaExceed.Tags', { resourceId, limit: MAX_TAGS_PER_RESOURCE });
        }
      }
      const now = this.now();
      for (const resourceId of target.resourceIds)
        await tx.tags.upsert(owner, resourceId, tags, now);
    });
  }

  /** UntagResources: the given keys, or every tag with `all` (never both). */
  async untagResources(target: TagTarget, keys: string[] | undefined, all: boolean) {
    const type = this.typeOf(target.resourceType);
    if (all && keys?.length) throw new EcsError('Param.Conflict');
    await type.checkTaggable(target.accountId, target.regionId, target.resourceIds);

    // Neither keys nor All: nothing to remove (the cloud documents All as default false).
    if (!all && !keys?.length) return;
    const owner = {
      accountId: target.accountId,
      regionId: target.regionId,
      resourceType: target.resourceType,
    };
    await this.store.transaction(async (tx) => {
      for (const resourceId of target.resourceIds) {
        await tx.tags.remove(owner, resourceId, all ? undefined : keys);
      }
    });
  }

  /** ListTagResources: one page of (resource, tag) rows and the token of the next page. */
  async list(request: TagListRequest): Promise<{ rows: TagRow[]; nextToken?: string }> {
    this.typeOf(request.resourceType);
    const hasTags = !!request.tags?.length;
    const hasFilters = !!request.tagFilters?.length;
    if (!request.resourceIds?.length && !hasTags && !hasFilters) {
      throw new EcsError('BothEmpty.TagsAndResources');
    }
    if (hasTags && hasFilters) {
      throw new EcsError('InvalidTagFilter.Malformed', {
        reason: 'Tag.N and TagFilter.N together',
      });
    }

    const conditions: TagCondition[] = [];
    (request.tags ?? []).forEach((tag, i) => {
      if (tag.Key === undefined) throw new EcsError('InvalidParameter.TagValue', { index: i + 1 });
      conditions.push({ key: tag.Key, values: tag.Value === undefined ? [] : [tag.Value] });
    });
    for (const filter of request.tagFilters ?? []) {
      if (!filter.TagKey) {
        throw new EcsError('InvalidTagFilter.Malformed', {
          reason: 'TagFilter.N.TagKey is missing',
        });
      }
      const values = filter.TagValues ?? [];
      conditions.push({
        key: filter.TagKey,
        values: values.filter((v) => !v.includes('*')),
        patterns: values.filter((v) => v.includes('*')),
      });
    }

    const rows = await this.store.tags.list({
      accountId: request.accountId,
      regionId: request.regionId,
      resourceType: request.resourceType,
      resourceIds: request.resourceIds,
      conditions,
      after: request.nextToken ? decodeToken(request.nextToken) : undefined,
      limit: LIST_TAGS_PAGE_SIZE + 1,
    });
    if (rows.length <= LIST_TAGS_PAGE_SIZE) return { rows };
    const page = rows.slice(0, LIST_TAGS_PAGE_SIZE);
    return { rows: page, nextToken: encodeToken(page[page.length - 1]) };
  }
}
