/**
 * TagResources, UntagResources and ListTagResources. The resource types ecsimg keeps register
 * with the tag service (image today); limits and codes follow B.28–B.30 of the API reference.
 */
import { EcsError } from '../../../domain/errors/index.js';
import { defineAction } from '../../context.js';
import { TAGS, TAG_KEY, TAG_VALUE } from '../common.js';
import { declareAction } from '../spec.js';

const RESOURCE_IDS = {
  type: 'list',
  of: { type: 'string' },
  max: 50,
  tooManyCode: 'NumberExceed.ResourceIds',
} as const;

const RESOURCE_TYPE = {
  type: 'string',
  required: true,
  missingCode: 'MissingParameter.ResourceType',
  description: 'Lower case: image.',
} as const;

export const TagResourcesSpec = declareAction({
  name: 'TagResources',
  resource: 'tag',
  summary: { en: 'Add or overwrite tags on resources.', zh: '为资源绑定或更新标签。' },
  regional: true,
  params: {
    ResourceType: RESOURCE_TYPE,
    ResourceId: { ...RESOURCE_IDS, required: true, missingCode: 'MissingParameter.ResourceIds' },
    Tag: {
      ...TAGS,
      required: true,
      missingCode: 'MissingParameter.Tags',
      tooManyCode: 'NumberExceed.Tags',
    },
  },
});

export const UntagResourcesSpec = declareAction({
  name: 'UntagResources',
  resource: 'tag',
  summary: { en: 'Remove tags from resources.', zh: '解绑资源的标签。' },
  regional: true,
  params: {
    ResourceType: RESOURCE_TYPE,
    ResourceId: { ...RESOURCE_IDS, required: true, missingCode: 'MissingParameter.ResourceIds' },
    TagKey: { type: 'list', of: TAG_KEY, max: 20, tooManyCode: 'NumberExceed.Tags' },
    All: { type: 'boolean', default: false, description: 'Remove every tag (without TagKey.N).' },
  },
});

export const ListTagResourcesSpec = declareAction({
  name: 'ListTagResources',
  resource: 'tag',
  summary: { en: 'List the tags of resources.', zh: '查询资源的标签。' },
  regional: true,
  params: {
    ResourceType: RESOURCE_TYPE,
    ResourceId: RESOURCE_IDS,
    Tag: { ...TAGS, tooManyCode: 'NumberExceed.Tags' },
    TagFilter: {
      type: 'objectList',
      max: 5,
      tooManyCode: 'InvalidTagFilter.Malformed',
      fields: {
        TagKey: TAG_KEY,
        TagValues: {
          type: 'list',
          of: { ...TAG_VALUE, allowEmpty: false },
          max: 5,
          tooManyCode: 'NumberExceed.TagValues',
        },
      },
    },
    NextToken: { type: 'string' },
  },
});

/** Every Tag.N of a write needs its key (the value may be empty). */
function tagPairs(tags: Array<{ Key?: string; Value?: string }>) {
  return tags.map((t, i) => {
    if (t.Key === undefined) {
      throw new EcsError('InvalidTagKey.Malformed', { name: `Tag.${i + 1}.Key`, reason: 'empty' });
    }
    return { key: t.Key, value: t.Value ?? '' };
  });
}

export const TAG_ACTIONS = [
  defineAction(TagResourcesSpec, async (ctx, p) => {
    await ctx.services.tags.tagResources(
      {
        accountId: ctx.principal.accountId,
        regionId: p.RegionId,
        resourceType: p.ResourceType,
        resourceIds: [...new Set(p.ResourceId)],
      },
      tagPairs(p.Tag),
    );
    return {};
  }),
  defineAction(UntagResourcesSpec, async (ctx, p) => {
    await ctx.services.tags.untagResources(
      {
        accountId: ctx.principal.accountId,
        regionId: p.RegionId,
        resourceType: p.ResourceType,
        resourceIds: [...new Set(p.ResourceId)],
      },
      p.TagKey,
      p.All,
    );
    return {};
  }),
  defineAction(ListTagResourcesSpec, async (ctx, p) => {
    const { rows, nextToken } = await ctx.services.tags.list({
      accountId: ctx.principal.accountId,
      regionId: p.RegionId,
      resourceType: p.ResourceType,
      resourceIds: p.ResourceId,
      tags: p.Tag,
      tagFilters: p.TagFilter,
      nextToken: p.NextToken,
    });
    return {
      ...(nextToken ? { NextToken: nextToken } : {}),
      TagResources: {
        TagResource: rows.map((r) => ({
          ResourceId: r.resource_id,
          ResourceType: r.resource_type,
          TagKey: r.tag_key,
          TagValue: r.tag_value,
        })),
      },
    };
  }),
];
