/**
 * The lifecycle other areas (import, copy, CreateImage, pipelines) drive: create an image in
 * Creating, report progress, mark it Available with its sizes and disk device mappings, or
 * CreateFailed; hold it during a long operation. Also the family quota CreateImage and
 * ModifyImageAttribute both enforce.
 */
import type { Store } from '../../store/index.js';
import type { ImageMappingRow, ImagePatch, ImageRow } from '../../store/repositories/images.js';
import { EcsError } from '../errors/index.js';
import { newResourceId } from '../ids.js';
import type { ImageContext } from './context.js';
import {
  FAMILIES_PER_REGION,
  IMAGES_PER_FAMILY,
  checkDescription,
  checkImageFamily,
  checkImageName,
  type ImageStatus,
} from './rules.js';

export interface NewImageMapping {
  device?: string;
  type: 'system' | 'data';
  sizeGib?: number;
  snapshotId?: string;
  format?: string;
  importOssBucket?: string;
  importOssObject?: string;
  encrypted?: boolean;
}

/** What a creating area knows when the image starts. Unset fields take the cloud's defaults. */
export interface NewImage {
  accountId: string;
  regionId: string;
  name: string;
  origin: 'import' | 'copy' | 'create' | 'pipeline';
  /** `Waiting` when queued behind other tasks (copies beyond the concurrency limit). */
  status?: 'Creating' | 'Waiting';
  description?: string;
  family?: string;
  version?: string;
  osType?: 'linux' | 'windows';
  osName?: string;
  osNameEn?: string;
  platform?: string;
  architecture?: 'i386' | 'x86_64' | 'arm64';
  bootMode?: 'BIOS' | 'UEFI' | 'UEFI-Preferred';
  licenseType?: string;
  imdsSupport?: 'v1' | 'v2';
  nvmeSupport?: 'supported' | 'unsupported';
  isSupportCloudinit?: boolean;
  resourceGroupId?: string;
  sourceImageId?: string;
  sourceRegionId?: string;
  mappings?: NewImageMapping[];
  tags?: Array<{ key: string; value: string }>;
}

/** What the creating area learned once the content is in place. */
export interface ImageOutcome {
  sizeGib: number;
  mappings?: Array<NewImageMapping & { contentRef?: string }>;
  osName?: string;
  osNameEn?: string;
  platform?: string;
  architecture?: string;
  bootMode?: string;
}

export function mappingRows(
  regionId: string,
  imageId: string,
  mappings: Array<NewImageMapping & { contentRef?: string }>,
  progress: number,
): ImageMappingRow[] {
  return mappings.map((m, position) => ({
    region_id: regionId,
    image_id: imageId,
    position,
    device: m.device ?? '',
    type: m.type,
    size_gib: m.sizeGib ?? 0,
    snapshot_id: m.snapshotId ?? '',
    format: (m.format ?? '').toLowerCase(),
    import_oss_bucket: m.importOssBucket ?? '',
    import_oss_object: m.importOssObject ?? '',
    encrypted: m.encrypted ? 1 : 0,
    progress,
    remain_time_s: 0,
    content_ref: m.contentRef ?? null,
  }));
}

/**
 * Registers a new custom image in Creating (or Waiting) with its planned disks and tags, after
 * the cloud's checks: name rule and duplicates, description, family rule and quotas.
 *
 * @example
 *   const image = await images.createImage({ accountId, regionId: 'cn-hangzhou',
 *     name: 'web-2024', origin: 'import', mappings: [{ type: 'system', format: 'qcow2',
 *     importOssBucket: 'b', importOssObject: 'disk.qcow2' }] });
 *   // image.id → 'm-bp…', image.status → 'Creating'
 */
export async function createImage(
  ctx: ImageContext,
  input: NewImage,
  options: {
    /**
     * Runs inside the transaction that inserts the image (e.g. enqueueing its task), so the
     * image exists exactly when what the caller writes beside it does.
     */
    inTransaction?: (tx: Store, row: ImageRow) => Promise<void>;
  } = {},
): Promise<ImageRow> {
  checkImageName(input.name);
  if (input.description !== undefined) checkDescription(input.description);
  if (input.family !== undefined) checkImageFamily(input.family);

  const now = ctx.now();
  const id = newResourceId('m', input.regionId);
  const status = input.status ?? 'Creating';
  const architecture = input.architecture ?? 'x86_64';
  if (architecture === 'arm64' && input.bootMode && input.bootMode !== 'UEFI') {
    throw new EcsError('InvalidBootMode.NotSupport', {
      bootMode: input.bootMode,
      reason: 'arm64 images boot with UEFI',
    });
  }

  const row: ImageRow = {
    region_id: input.regionId,
    id,
    category: 'custom',
    owner_id: input.accountId,
    name: input.name,
    description: input.description ?? '',
    family: input.family ?? null,
    version: input.version ?? '',
    status,
    progress: 0,
    origin: input.origin,
    source_image_id: input.sourceImageId ?? null,
    source_region_id: input.sourceRegionId ?? null,
    lock_operation: null,
    os_type: input.osType ?? 'linux',
    os_name: input.osName ?? '',
    os_name_en: input.osNameEn ?? input.osName ?? '',
    platform: input.platform ?? (input.osType === 'windows' ? 'Other Windows' : 'Others Linux'),
    architecture,
    boot_mode: input.bootMode ?? (architecture === 'arm64' ? 'UEFI' : 'BIOS'),
    size_gib: 0,
    license_type: input.licenseType ?? 'Auto',
    is_copied: input.origin === 'copy' ? 1 : 0,
    is_public: 0,
    is_support_io_optimized: 1,
    is_support_cloudinit: (input.isSupportCloudinit ?? input.osType !== 'windows') ? 1 : 0,
    login_as_non_root_supported: 0,
    classic_network: 0,
    usable: 0,
    is_expired: 0,
    imds_support: input.imdsSupport ?? 'v1',
    nvme_support: input.nvmeSupport ?? 'unsupported',
    cpu_online_upgrade: 'unsupported',
    cpu_online_downgrade: 'unsupported',
    memory_online_upgrade: 'unsupported',
    memory_online_downgrade: 'unsupported',
    secure_boot_support: 'unsupported',
    product_code: '',
    supplier_name: '',
    resource_group_id: input.resourceGroupId ?? '',
    detection: null,
    failure_reason: null,
    created_at: now,
    updated_at: now,
  };

  // The account is locked first: concurrent creates (and renames) for one account then check
  // the name, and the family quota, one after another.
  return ctx.store.transaction(async (tx) => {
    await tx.accounts.lock(input.accountId);
    if (await tx.images.nameTaken(input.regionId, input.accountId, input.name)) {
      throw new EcsError('InvalidImageName.Duplicated', { imageName: input.name });
    }
    if (input.family !== undefined) {
      await checkFamilyQuota(tx, input.regionId, input.accountId, input.family);
    }
    await tx.images.insert(row, mappingRows(input.regionId, id, input.mappings ?? [], 0));
    if (input.tags?.length) {
      await tx.tags.upsert(
        { accountId: input.accountId, regionId: input.regionId, resourceType: 'image' },
        id,
        input.tags,
        now,
      );
    }
    await options.inTransaction?.(tx, row);
    return row;
  });
}

/** Progress of a creating image, 0–100 (shown as Progress "42%"). */
export async function setProgress(
  ctx: ImageContext,
  regionId: string,
  imageId: string,
  percent: number,
): Promise<void> {
  const progress = Math.max(0, Math.min(99, Math.floor(percent)));
  await ctx.store.images.update(regionId, imageId, { progress, updated_at: ctx.now() });
}

/** A queued (Waiting) image whose task starts now. */
export async function markCreating(
  ctx: ImageContext,
  regionId: string,
  imageId: string,
): Promise<void> {
  await move(ctx, regionId, imageId, ['Waiting'], { status: 'Creating' });
}

/** The content is in place: the image becomes Available with its final size and disks. */
export async function markAvailable(
  ctx: ImageContext,
  regionId: string,
  imageId: string,
  outcome: ImageOutcome,
): Promise<void> {
  const patch: ImagePatch & { status: ImageStatus } = {
    status: 'Available',
    progress: 100,
    usable: 1,
    size_gib: outcome.sizeGib,
    failure_reason: null,
    updated_at: ctx.now(),
  };
  if (outcome.osName !== undefined) patch.os_name = outcome.osName;
  if (outcome.osNameEn !== undefined) patch.os_name_en = outcome.osNameEn;
  if (outcome.platform !== undefined) patch.platform = outcome.platform;
  if (outcome.architecture !== undefined) patch.architecture = outcome.architecture;
  if (outcome.bootMode !== undefined) patch.boot_mode = outcome.bootMode;

  await ctx.store.transaction(async (tx) => {
    const moved = await tx.images.transition(regionId, imageId, ['Creating', 'Waiting'], patch);
    if (!moved) await refuseMove(tx, regionId, imageId, 'Creating');
    if (outcome.mappings) {
      await tx.images.replaceMappings(
        regionId,
        imageId,
        mappingRows(regionId, imageId, outcome.mappings, 100),
      );
    }
  });
}

/** Creation failed: the image stays listed as CreateFailed with the reason kept for support. */
export async function markFailed(
  ctx: ImageContext,
  regionId: string,
  imageId: string,
  reason: string,
): Promise<void> {
  await move(ctx, regionId, imageId, ['Creating', 'Waiting'], {
    status: 'CreateFailed',
    failure_reason: reason,
  });
}

/**
 * Holds the image for a long operation (`export`, `copy-source`); DeleteImage refuses while
 * held. False when another operation holds it.
 */
export async function beginOperation(
  ctx: ImageContext,
  regionId: string,
  imageId: string,
  operation: string,
): Promise<boolean> {
  return ctx.store.images.tryLock(regionId, imageId, operation, ctx.now());
}

export async function endOperation(
  ctx: ImageContext,
  regionId: string,
  imageId: string,
  operation: string,
): Promise<void> {
  await ctx.store.images.unlock(regionId, imageId, operation, ctx.now());
}

async function move(
  ctx: ImageContext,
  regionId: string,
  imageId: string,
  from: ImageStatus[],
  patch: ImagePatch,
) {
  const full = { ...patch, status: patch.status!, updated_at: ctx.now() };
  if (!(await ctx.store.images.transition(regionId, imageId, from, full))) {
    await refuseMove(ctx.store, regionId, imageId, from.join(' or '));
  }
}

async function refuseMove(store: Store, regionId: string, imageId: string, expected: string) {
  const row = await store.images.find(regionId, imageId);
  if (!row) throw new EcsError('InvalidImageId.NotFound', { imageId });
  throw new EcsError('IncorrectImageStatus', { imageId, status: row.status, expected });
}

/** The family rule's quotas: images per family and families per region. */
export async function checkFamilyQuota(
  store: Store,
  regionId: string,
  accountId: string,
  family: string,
) {
  const inFamily = await store.images.countInFamily(regionId, accountId, family);
  if (inFamily >= IMAGES_PER_FAMILY) {
    throw new EcsError('ImageQuotaFull.ImageFamily', { family, limit: IMAGES_PER_FAMILY });
  }
  if (
    inFamily === 0 &&
    (await store.images.countFamilies(regionId, accountId)) >= FAMILIES_PER_REGION
  ) {
    throw new EcsError('ImageFamilyQuotaFull', { limit: FAMILIES_PER_REGION });
  }
}
