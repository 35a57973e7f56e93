/**
 * The Images page's state as it lives in the URL (`#/images?tab=self&name=web&status=Available`)
 * and as DescribeImages parameters. Plain functions so both directions can be tested.
 */
import type { QueryInput } from '../../router.js';

export type ImageTab = 'self' | 'shared' | 'system' | 'community';
export const IMAGE_TABS: ImageTab[] = ['self', 'shared', 'system', 'community'];

/** How far a custom image is visible: to its owner only, to named accounts, or to everyone. */
export type SharingScope = 'private' | 'shared' | 'community';
export const SHARING_SCOPES: SharingScope[] = ['private', 'shared', 'community'];

export const IMAGE_STATUSES = [
  'Creating',
  'Waiting',
  'Available',
  'UnAvailable',
  'CreateFailed',
  'Deprecated',
];

export interface ImageFilter {
  tab: ImageTab;
  name?: string;
  imageId?: string;
  /** Empty means every status (`Status=ALL`). */
  status: string[];
  osType?: string;
  architecture?: string;
  family?: string;
  tags: Array<{ key: string; value?: string }>;
  /** UTC, minute precision: `2024-05-01T08:00Z`, as Filter.N CreationStartTime wants it. */
  from?: string;
  to?: string;
  scope?: SharingScope;
  page: number;
  pageSize: number;
}

export const PAGE_SIZES = [10, 20, 50, 100];

function tagsFromText(text: string | null): ImageFilter['tags'] {
  if (!text) return [];
  return text
    .split(',')
    .filter(Boolean)
    .map((pair) => {
      const [key, value] = pair.split('=').map((p) => decodeURIComponent(p ?? ''));
      return value === undefined || value === '' ? { key } : { key, value };
    });
}

export function tagsToText(tags: ImageFilter['tags']): string {
  return tags
    .map((t) => `${encodeURIComponent(t.key)}${t.value ? `=${encodeURIComponent(t.value)}` : ''}`)
    .join(',');
}

/** `env=prod` → {key: env, value: prod}; `env` → {key: env} (any value). */
export function parseTagInput(text: string): { key: string; value?: string } {
  const eq = text.indexOf('=');
  if (eq < 0) return { key: text.trim() };
  const value = text.slice(eq + 1).trim();
  return value ? { key: text.slice(0, eq).trim(), value } : { key: text.slice(0, eq).trim() };
}

export function filterFromQuery(q: URLSearchParams): ImageFilter {
  const tab = q.get('tab') as ImageTab | null;
  const scope = q.get('scope') as SharingScope | null;
  const page = Number(q.get('page'));
  const pageSize = Number(q.get('size'));
  return {
    tab: tab && IMAGE_TABS.includes(tab) ? tab : 'self',
    name: q.get('name') ?? undefined,
    imageId: q.get('id') ?? undefined,
    status: (q.get('status') ?? '').split(',').filter((s) => IMAGE_STATUSES.includes(s)),
    osType: q.get('os') ?? undefined,
    architecture: q.get('arch') ?? undefined,
    family: q.get('family') ?? undefined,
    tags: tagsFromText(q.get('tags')),
    from: q.get('from') ?? undefined,
    to: q.get('to') ?? undefined,
    scope: scope && SHARING_SCOPES.includes(scope) ? scope : undefined,
    page: Number.isInteger(page) && page >= 1 ? page : 1,
    pageSize: PAGE_SIZES.includes(pageSize) ? pageSize : 20,
  };
}

export function filterToQuery(f: ImageFilter): QueryInput {
  return {
    tab: f.tab === 'self' ? undefined : f.tab,
    name: f.name,
    id: f.imageId,
    status: f.status.join(','),
    os: f.osType,
    arch: f.architecture,
    family: f.family,
    tags: tagsToText(f.tags),
    from: f.from,
    to: f.to,
    scope: f.tab === 'self' ? f.scope : undefined,
    page: f.page > 1 ? f.page : undefined,
    size: f.pageSize !== 20 ? f.pageSize : undefined,
  };
}

/** How many filters beyond the tab are set (shown on the Advanced Filter button). */
export function activeFilterCount(f: ImageFilter): number {
  return [
    f.name,
    f.imageId,
    f.status.length ? 'x' : undefined,
    f.osType,
    f.architecture,
    f.family,
    f.tags.length ? 'x' : undefined,
    f.from || f.to ? 'x' : undefined,
    f.tab === 'self' ? f.scope : undefined,
  ].filter(Boolean).length;
}

/**
 * DescribeImages parameters for a filter. The tabs map to the cloud's owner aliases: Shared with
 * me is `others` without community images, Community is `others` with `IsPublic=true`.
 */
export function describeImagesParams(
  f: ImageFilter,
  regionId: string,
  page: { number: number; size: number } = { number: f.page, size: f.pageSize },
): Record<string, unknown> {
  const owner = { self: 'self', shared: 'others', system: 'system', community: 'others' }[f.tab];
  const filters: Array<{ Key: string; Value: string }> = [];
  if (f.from) filters.push({ Key: 'CreationStartTime', Value: f.from });
  if (f.to) filters.push({ Key: 'CreationEndTime', Value: f.to });

  return {
    RegionId: regionId,
    ImageOwnerAlias: owner,
    IsPublic: f.tab === 'community' ? true : f.tab === 'shared' ? false : undefined,
    ImageName: f.name,
    ImageId: f.imageId,
    Status: f.status.length ? f.status.join(',') : 'ALL',
    OSType: f.osType,
    Architecture: f.architecture,
    ImageFamily: f.family,
    Tag: f.tags.map((t) => ({ Key: t.key, Value: t.value })),
    Filter: filters,
    PageNumber: page.number,
    PageSize: page.size,
  };
}

/** The sharing scope of one of the caller's own images. */
export function sharingScope(image: {
  IsPublic?: boolean;
  IsSelfShared?: string | boolean;
}): SharingScope {
  if (image.IsPublic) return 'community';
  return String(image.IsSelfShared) === 'true' ? 'shared' : 'private';
}

/** `2024-05-01T08:00Z` for a Date, as the creation-time filters want it (UTC, minutes). */
export function toFilterTime(date: Date): string {
  return date.toISOString().slice(0, 16) + 'Z';
}
