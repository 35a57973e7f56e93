/**
 * Bucket and object metadata actions (ecsimg-specific: on the cloud these are OSS's own REST
 * API, not ECS actions). Object bodies travel over `/oss/<bucket>/<key>` (api/oss-routes.ts).
 *
 *   PutBucket      RegionId, BucketName           → {BucketName, RegionId}
 *   DeleteBucket   BucketName (must be empty)     → {}
 *   ListBuckets    [RegionId]                     → {Buckets: {Bucket: [{Name, RegionId, CreationDate}]}}
 *   ListObjects    BucketName, [Prefix, Marker, MaxKeys, Delimiter]
 *                  → {BucketName, Prefix, Marker, MaxKeys, Delimiter, IsTruncated, NextMarker,
 *                     Objects: {Object: [{Key, Size, LastModified, ETag}]},
 *                     CommonPrefixes: {Prefix: [..]}}
 *   HeadObject     BucketName, Key                → {Key, Size, LastModified, ETag}
 *   DeleteObject   BucketName, Key                → {}
 */
import { isoSeconds } from '../../../domain/time.js';
import type { ObjectInfo } from '../../../blobs/index.js';
import { defineAction } from '../../context.js';
import { declareAction } from '../spec.js';

const BucketName = {
  type: 'string',
  required: true,
  description:
    'OSS rules: 3-63 lower-case letters, digits, hyphens; a letter or digit at each end.',
} as const;
const Key = { type: 'string', required: true, maxLength: 1023 } as const;

const object = (o: ObjectInfo) => ({
  Key: o.key,
  Size: o.size,
  LastModified: isoSeconds(o.lastModifiedMs),
  ETag: o.etag,
});

export const PutBucketSpec = declareAction({
  name: 'PutBucket',
  resource: 'oss',
  summary: { en: 'Create an OSS bucket in a region.', zh: '在地域中创建 OSS 存储空间。' },
  regional: true,
  params: { BucketName },
});

export const DeleteBucketSpec = declareAction({
  name: 'DeleteBucket',
  resource: 'oss',
  summary: { en: 'Delete an empty OSS bucket.', zh: '删除空的 OSS 存储空间。' },
  regional: false,
  params: { BucketName },
});

export const ListBucketsSpec = declareAction({
  name: 'ListBuckets',
  resource: 'oss',
  summary: { en: "List the account's OSS buckets.", zh: '列出账号的 OSS 存储空间。' },
  regional: true,
  regionOptional: true,
  params: {},
});

export const ListObjectsSpec = declareAction({
  name: 'ListObjects',
  resource: 'oss',
  summary: {
    en: 'List the objects of a bucket, a page at a time.',
    zh: '分页列出存储空间中的对象。',
  },
  regional: false,
  params: {
    BucketName,
    Prefix: { type: 'string', maxLength: 1023 },
    Marker: { type: 'string', maxLength: 1100 },
    MaxKeys: { type: 'integer', min: 1, max: 1000, default: 100 },
    Delimiter: { type: 'string', maxLength: 1 },
  },
});

export const HeadObjectSpec = declareAction({
  name: 'HeadObject',
  resource: 'oss',
  summary: { en: "An object's size, time and ETag.", zh: '查询对象的大小、时间和 ETag。' },
  regional: false,
  params: { BucketName, Key },
});

export const DeleteObjectSpec = declareAction({
  name: 'DeleteObject',
  resource: 'oss',
  summary: { en: 'Delete an object.', zh: '删除对象。' },
  regional: false,
  params: { BucketName, Key },
});

export const OSS_ACTIONS = [
  defineAction(PutBucketSpec, async (ctx, p) => {
    const b = await ctx.services.buckets.create(ctx.principal.accountId, p.BucketName, p.RegionId);
    return { BucketName: b.name, RegionId: b.regionId };
  }),
  defineAction(DeleteBucketSpec, async (ctx, p) => {
    await ctx.services.buckets.delete(ctx.principal.accountId, p.BucketName);
    return {};
  }),
  defineAction(ListBucketsSpec, async (ctx, p) => {
    const buckets = await ctx.services.buckets.list(
      ctx.principal.accountId,
      p.RegionId || undefined,
    );
    return {
      Buckets: {
        Bucket: buckets.map((b) => ({
          Name: b.name,
          RegionId: b.regionId,
          CreationDate: isoSeconds(b.createdAt),
        })),
      },
    };
  }),
  defineAction(ListObjectsSpec, async (ctx, p) => {
    const page = await ctx.services.buckets.listObjects(ctx.principal.accountId, p.BucketName, {
      prefix: p.Prefix,
      marker: p.Marker,
      maxKeys: p.MaxKeys,
      delimiter: p.Delimiter,
    });
    return {
      BucketName: p.BucketName,
      Prefix: p.Prefix ?? '',
      Marker: p.Marker ?? '',
      MaxKeys: p.MaxKeys,
      Delimiter: p.Delimiter ?? '',
      IsTruncated: page.isTruncated,
      NextMarker: page.nextMarker ?? '',
      Objects: { Object: page.objects.map(object) },
      CommonPrefixes: { Prefix: page.commonPrefixes },
    };
  }),
  defineAction(HeadObjectSpec, async (ctx, p) =>
    object(await ctx.services.buckets.headObject(ctx.principal.accountId, p.BucketName, p.Key)),
  ),
  defineAction(DeleteObjectSpec, async (ctx, p) => {
    await ctx.services.buckets.deleteObject(ctx.principal.accountId, p.BucketName, p.Key);
    return {};
  }),
];
