/**
 * Reading the catalogue: visibility, DescribeImages (the query's checks and filters turned into a
 * store search), the per-viewer details of a page, DescribeImageFromFamily and
 * DescribeImageSupportInstanceTypes.
 */
import type {
  ImageMappingRow,
  ImageRow,
  ImageScope,
  ImageSearch,
  FeatureColumn,
} from '../../store/repositories/images.js';
import type { TagRow } from '../../store/repositories/tags.js';
import { EcsError } from '../errors/index.js';
import { INSTANCE_TYPES, findInstanceType, supportedInstanceTypes } from '../instance-types.js';
import type { InstanceType } from '../instance-types.js';
import { parseCloudTime } from '../time.js';
import type { ImageContext } from './context.js';
import { IMAGE_STATUSES } from './rules.js';

export type OwnerAlias = 'system' | 'self' | 'others' | 'marketplace';

/** An image as a viewer sees it: the row, its disks, the viewer's tags and derived flags. */
export interface ImageDetail {
  row: ImageRow;
  mappings: ImageMappingRow[];
  tags: TagRow[];
  ownerAlias: OwnerAlias;
  /** The owner shared it with at least one account (or published it). */
  selfShared: boolean;
  /** Instances were created from it (Usage = instance). */
  inUse: boolean;
}

export interface DescribeImagesQuery {
  regionId: string;
  ownerAlias?: string;
  isPublic?: boolean;
  imageOwnerId?: string;
  status?: string;
  usable?: boolean;
  imageName?: string;
  imageIds?: string[];
  snapshotId?: string;
  family?: string;
  osType?: string;
  architecture?: string;
  usage?: string;
  instanceType?: string;
  isSupportIoOptimized?: boolean;
  isSupportCloudinit?: boolean;
  showExpired?: boolean;
  resourceGroupId?: string;
  tags?: Array<{ Key?: string; Value?: string }>;
  filters?: Array<{ Key?: string; Value?: string }>;
  pageNumber: number;
  pageSize: number;
}

const FEATURE_FILTERS: Record<string, FeatureColumn> = {
  CpuOnlineUpgrade: 'cpu_online_upgrade',
  CpuOnlineDowngrade: 'cpu_online_downgrade',
  MemoryOnlineUpgrade: 'memory_online_upgrade',
  MemoryOnlineDowngrade: 'memory_online_downgrade',
};

/** The image if the account may see it: system, its own, shared with it, or community. */
export async function findVisible(
  ctx: ImageContext,
  accountId: string,
  regionId: string,
  imageId: string,
) {
  const row = await ctx.store.images.find(regionId, imageId);
  if (!row) return undefined;
  if (row.category !== 'custom') return row;
  if (row.owner_id === accountId || row.is_public === 1) return row;
  return (await ctx.store.images.isSharedWith(regionId, imageId, accountId)) ? row : undefined;
}

/** The account's own custom image, or InvalidImageId.NotFound — also for others' images. */
export async function getOwned(
  ctx: ImageContext,
  accountId: string,
  regionId: string,
  imageId: string,
): Promise<ImageRow> {
  const row = await ctx.store.images.find(regionId, imageId);
  if (!row || row.category !== 'custom' || row.owner_id !== accountId) {
    throw new EcsError('InvalidImageId.NotFound', { imageId });
  }
  return row;
}

/** Loads disks, tags, sharing and usage for a page of rows in four batched queries. */
export async function details(
  ctx: ImageContext,
  accountId: string,
  regionId: string,
  rows: ImageRow[],
): Promise<ImageDetail[]> {
  const ids = rows.map((r) => r.id);
  const ownIds = rows.filter((r) => r.owner_id === accountId).map((r) => r.id);
  const [mappings, tags, shared, inUse] = await Promise.all([
    ctx.store.images.mappingsOf(regionId, ids),
    ctx.store.tags.tagsOf({ accountId, regionId, resourceType: 'image' }, ids),
    ctx.store.images.sharedAmong(regionId, ownIds),
    ids.length ? ctx.usage.imagesInUse(regionId, ids) : Promise.resolve(new Set<string>()),
  ]);
  return rows.map((row) => ({
    row,
    mappings: mappings.get(row.id) ?? [],
    tags: tags.get(row.id) ?? [],
    ownerAlias: aliasFor(accountId, row),
    selfShared: row.owner_id === accountId && (shared.has(row.id) || row.is_public === 1),
    inUse: inUse.has(row.id),
  }));
}

function aliasFor(accountId: string, row: ImageRow): OwnerAlias {
  if (row.category === 'system') return 'system';
  if (row.category === 'marketplace') return 'marketplace';
  return row.owner_id === accountId ? 'self' : 'others';
}

/** DescribeImages: validates the query the cloud's way, then one page and the total. */
export async function describe(ctx: ImageContext, accountId: string, query: DescribeImagesQuery) {
  const search = await searchFor(ctx, accountId, query);
  const { rows, total } = await ctx.store.images.search(search);
  return { items: await details(ctx, accountId, query.regionId, rows), total };
}

async function searchFor(
  ctx: ImageContext,
  accountId: string,
  q: DescribeImagesQuery,
): Promise<ImageSearch> {
  const alias = q.ownerAlias;
  if (alias !== undefined && !['system', 'self', 'others', 'marketplace'].includes(alias)) {
    throw new EcsError('InvalidImageOwnerAlias.ValueNotSupported', { value: alias });
  }
  if (q.isPublic === true && alias !== 'others') {
    throw new EcsError('InvalidImageOwnerAlias.PublicImageUnsupported');
  }
  if (q.imageOwnerId !== undefined && alias !== 'others') {
    throw new EcsError('InvalidOperation.ImageOwnerIdUnsupported');
  }

  // Empty alias = system + self + shared-with-me; `others` is shared images, or community
  // images when IsPublic=true (the SDK's documentation of ImageOwnerAlias).
  const scope: ImageScope = {
    system: alias === undefined || alias === 'system',
    self: alias === undefined || alias === 'self',
    shared: alias === undefined || (alias === 'others' && q.isPublic !== true),
    community: alias === 'others' && q.isPublic === true,
    marketplace: alias === 'marketplace',
  };

  const search: ImageSearch = {
    regionId: q.regionId,
    viewerId: accountId,
    scope,
    ownerId: q.imageOwnerId,
    statuses: statusesFor(q.status, q.usable),
    nameContains: q.imageName,
    ids: q.imageIds,
    snapshotId: q.snapshotId,
    family: q.family,
    isSupportIoOptimized: q.isSupportIoOptimized,
    isSupportCloudinit: q.isSupportCloudinit,
    usable: q.usable,
    resourceGroupId: q.resourceGroupId,
    includeExpired: q.showExpired === true,
    offset: (q.pageNumber - 1) * q.pageSize,
    limit: q.pageSize,
  };

  if (q.osType !== undefined) {
    if (!['windows', 'linux'].includes(q.osType)) {
      throw new EcsError('InvalidOSType', { value: q.osType });
    }
    search.osType = q.osType;
  }
  if (q.architecture !== undefined) {
    if (!['i386', 'x86_64', 'arm64'].includes(q.architecture)) {
      throw new EcsError('InvalidArchitecture', { value: q.architecture });
    }
    search.architectures = [q.architecture];
  }
  if (q.instanceType !== undefined) {
    const type = findInstanceType(q.instanceType);
    if (!type) {
      throw new EcsError('InvalidInstanceType.ValueNotSupported', {
        instanceType: q.instanceType,
      });
    }
    // An x86_64 type boots x86_64 and i386 images; an arm64 type arm64 images.
    const fits = type.architecture === 'arm64' ? ['arm64'] : ['x86_64', 'i386'];
    search.architectures = search.architectures
      ? search.architectures.filter((a) => fits.includes(a))
      : fits;
    if (!search.architectures.length) search.idsIn = [];
  }

  applyTags(search, q.tags);
  applyFilters(search, q.filters);

  if (q.usage !== undefined) {
    if (!['instance', 'none'].includes(q.usage)) {
      throw new EcsError('InvalidUsage', { value: q.usage });
    }
    const used = [...(await ctx.usage.imagesInUse(q.regionId))];
    if (q.usage === 'instance') search.idsIn = search.idsIn ?? used;
    else search.idsNotIn = used;
  }
  return search;
}

/**
 * Status: comma list; `ALL` alone means every status; default Available — except with Usable,
 * where the cloud applies no default.
 */
function statusesFor(status: string | undefined, usable: boolean | undefined) {
  if (status === undefined) return usable === undefined ? ['Available'] : undefined;
  const parts = status.split(',').map((s) => s.trim());
  if (parts.includes('ALL')) {
    if (parts.length > 1) {
      throw new EcsError('InvalidParamter', {
        name: 'Status',
        reason: 'ALL cannot be combined with other statuses',
      });
    }
    return undefined;
  }
  for (const part of parts) {
    if (!(IMAGE_STATUSES as readonly string[]).includes(part)) {
      throw new EcsError('InvalidParamter', {
        name: 'Status',
        reason: `"${part}" is not one of ${IMAGE_STATUSES.join(', ')}, ALL`,
      });
    }
  }
  return [...new Set(parts)];
}

function applyTags(search: ImageSearch, tags: DescribeImagesQuery['tags']) {
  if (!tags?.length) return;
  search.tags = tags.map((tag, i) => {
    if (tag.Key === undefined) throw new EcsError('InvalidTag.Mismatch', { index: i + 1 });
    return { key: tag.Key, value: tag.Value };
  });
}

function applyFilters(search: ImageSearch, filters: DescribeImagesQuery['filters']) {
  for (const filter of filters ?? []) {
    const key = filter.Key ?? '';
    const value = filter.Value ?? '';
    if (key === 'CreationStartTime' || key === 'CreationEndTime') {
      const ms = parseCloudTime(value);
      if (ms === undefined) {
        throw new EcsError('InvalidFilterValue', { key, value, reason: 'yyyy-MM-ddTHH:mmZ' });
      }
      if (key === 'CreationStartTime') search.createdFrom = ms;
      else search.createdTo = ms;
    } else if (key === 'NetworkType') {
      if (value !== 'vpc' && value !== 'classic') {
        throw new EcsError('InvalidFilterValue.NetworkType', { value });
      }
      // Every image runs in a VPC; only some (x86 system images) also on the classic network.
      if (value === 'classic') search.classicNetwork = true;
    } else if (FEATURE_FILTERS[key]) {
      if (value !== 'supported' && value !== 'unsupported') {
        throw new EcsError('InvalidFilterValue', {
          key,
          value,
          reason: 'supported or unsupported',
        });
      }
      search.features = { ...search.features, [FEATURE_FILTERS[key]]: value };
    } else {
      throw new EcsError('InvalidFilterKey.NotFound', { key });
    }
  }
}

/** The newest Available image of the family, or undefined (an empty answer, not an error). */
export async function fromFamily(
  ctx: ImageContext,
  accountId: string,
  regionId: string,
  family: string,
) {
  const row = await ctx.store.images.newestInFamily(regionId, accountId, family);
  if (!row) return undefined;
  const [detail] = await details(ctx, accountId, regionId, [row]);
  return detail;
}

/**
 * The instance types an image boots on. Without an image: the whole catalogue. The image must
 * be visible and Available (the cloud's NotFound message says so).
 */
export async function instanceTypesFor(
  ctx: ImageContext,
  accountId: string,
  regionId: string,
  imageId: string | undefined,
): Promise<InstanceType[]> {
  if (imageId === undefined) return [...INSTANCE_TYPES];
  const row = await findVisible(ctx, accountId, regionId, imageId);
  if (!row || row.status !== 'Available') {
    throw new EcsError('InvalidImageId.NotFound', { imageId });
  }
  return supportedInstanceTypes({ architecture: row.architecture, osType: row.os_type });
}
