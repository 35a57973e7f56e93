/**
 * Changing custom images: ModifyImageAttribute (including deprecate and restore through its
 * Status), DeleteImage with the cloud's refusals, and which images the tag API may tag.
 */
import type { ImagePatch, ImageRow } from '../../store/repositories/images.js';
import { EcsError } from '../errors/index.js';
import type { ImageContext } from './context.js';
import { getOwned } from './describe.js';
import { checkFamilyQuota } from './lifecycle.js';
import { checkDescription, checkImageFamily, checkImageName, isBeingCreated } from './rules.js';

export interface ImageChanges {
  name?: string;
  description?: string;
  family?: string;
  bootMode?: string;
  imdsSupport?: string;
  nvmeSupport?: string;
  licenseType?: string;
  status?: string;
}

/**
 * ModifyImageAttribute: unset fields keep their value. `dryRun` runs every check and writes
 * nothing.
 */
export async function modifyAttribute(
  ctx: ImageContext,
  accountId: string,
  regionId: string,
  imageId: string,
  changes: ImageChanges,
  dryRun = false,
): Promise<void> {
  const row = await getOwned(ctx, accountId, regionId, imageId);
  const patch: ImagePatch = {};

  if (changes.name !== undefined && changes.name !== row.name) {
    checkImageName(changes.name);
    if (await ctx.store.images.nameTaken(regionId, accountId, changes.name, imageId)) {
      throw new EcsError('InvalidImageName.Duplicated', { imageName: changes.name });
    }
    patch.name = changes.name;
  }
  if (changes.description !== undefined) {
    checkDescription(changes.description);
    patch.description = changes.description;
  }
  if (changes.family !== undefined && changes.family !== row.family) {
    checkImageFamily(changes.family);
    await checkFamilyQuota(ctx.store, regionId, accountId, changes.family);
    patch.family = changes.family;
  }
  if (changes.bootMode !== undefined && changes.bootMode !== row.boot_mode) {
    if (row.architecture === 'arm64' && changes.bootMode !== 'UEFI') {
      throw new EcsError('InvalidBootMode.NotSupport', {
        bootMode: changes.bootMode,
        reason: 'arm64 images boot with UEFI',
      });
    }
    if ((await ctx.usage.imagesInUse(regionId, [imageId])).has(imageId)) {
      throw new EcsError('OperationDeined.ImageUsingByInstance', { imageId });
    }
    patch.boot_mode = changes.bootMode;
  }
  if (changes.imdsSupport !== undefined) {
    if (changes.imdsSupport !== 'v1' && changes.imdsSupport !== 'v2') {
      throw new EcsError('InvalidParameter.FeaturesImdsSupport');
    }
    if (row.imds_support === 'v2' && changes.imdsSupport === 'v1') {
      throw new EcsError('InvalidOperation.FeaturesImdsSupportNotMatch');
    }
    patch.imds_support = changes.imdsSupport;
  }
  if (changes.nvmeSupport !== undefined) patch.nvme_support = changes.nvmeSupport;
  if (changes.licenseType !== undefined) {
    if (changes.licenseType !== 'BYOL') {
      throw new EcsError('InvalidLicenseType.NotSupported', {
        licenseType: changes.licenseType,
      });
    }
    patch.license_type = 'BYOL';
  }
  if (changes.status !== undefined) {
    await checkStatusChange(ctx, row, changes.status);
    patch.status = changes.status;
  }

  if (dryRun || Object.keys(patch).length === 0) return;
  const update = { ...patch, updated_at: ctx.now() };
  const { name, family } = patch;
  if (name === undefined && family === undefined) {
    await ctx.store.images.update(regionId, imageId, update);
    return;
  }
  // The name and the family's room were checked above; check again under the account's lock, so
  // calls racing for one name or the family's last place (renames, creates) cannot both win.
  await ctx.store.transaction(async (tx) => {
    await tx.accounts.lock(accountId);
    if (name !== undefined && (await tx.images.nameTaken(regionId, accountId, name, imageId))) {
      throw new EcsError('InvalidImageName.Duplicated', { imageName: name });
    }
    if (typeof family === 'string') await checkFamilyQuota(tx, regionId, accountId, family);
    await tx.images.update(regionId, imageId, update);
  });
}

async function checkStatusChange(ctx: ImageContext, row: ImageRow, to: string) {
  const imageId = row.id;
  if (isBeingCreated(row.status)) throw new EcsError('InvalidStatus.ImageIsCreating', { imageId });
  if (to === 'Deprecated') {
    if (row.status !== 'Available') {
      throw new EcsError('ImageStatus.NotAvailable', { imageId, status: row.status });
    }
    // A shared image must be unshared before it is deprecated.
    const shared = await ctx.store.images.sharedAmong(row.region_id, [imageId]);
    if (shared.has(imageId) || row.is_public === 1) {
      throw new EcsError('ImageUseShared', { imageId });
    }
    return;
  }
  if (to === 'Available' && row.status !== 'Deprecated') {
    throw new EcsError('ImageStatus.NotDeprecated', { imageId, status: row.status });
  }
}

/**
 * DeleteImage, with the cloud's refusals in the order it documents them. Force only overrides
 * "used by instances". `dryRun` checks and keeps the image.
 */
export async function deleteImage(
  ctx: ImageContext,
  accountId: string,
  regionId: string,
  imageId: string,
  options: { force?: boolean; dryRun?: boolean } = {},
): Promise<void> {
  await ctx.store.transaction(async (tx) => {
    const row = await tx.images.find(regionId, imageId);
    if (!row || row.category !== 'custom' || row.owner_id !== accountId) {
      throw new EcsError('InvalidImageId.NotFound', { imageId });
    }
    if (row.is_public === 1) throw new EcsError('ImageIsPublic', { imageId });
    if ((await tx.images.sharedAmong(regionId, [imageId])).has(imageId)) {
      throw new EcsError('ImageUseShared', { imageId });
    }
    if (isBeingCreated(row.status) && row.origin === 'import') {
      throw new EcsError('ImageIsImporting', { imageId });
    }
    if (
      (isBeingCreated(row.status) && row.origin === 'copy') ||
      row.lock_operation === 'copy-source'
    ) {
      throw new EcsError('OperationDenied.ImageCopying', { imageId });
    }
    if (row.lock_operation === 'export') throw new EcsError('ImageIsExporting', { imageId });
    if (!options.force && (await ctx.usage.imagesInUse(regionId, [imageId])).has(imageId)) {
      throw new EcsError('ImageUsingByInstance', { imageId });
    }

    if (options.dryRun) return;
    // The image's stored disks go with it, in the same transaction: otherwise its manifests
    // would keep every chunk referenced forever. A manifest pinned by a running job is only
    // marked released; the collector drops it when the pin ends.
    const mappings = (await tx.images.mappingsOf(regionId, [imageId])).get(imageId) ?? [];
    for (const m of mappings) {
      if (m.content_ref) await tx.blobs.deleteManifest(m.content_ref, ctx.now());
    }
    await tx.images.delete(regionId, imageId);
  });
}

/** For the tag API: the account may tag only its own custom images. */
export async function checkTaggable(
  ctx: ImageContext,
  accountId: string,
  regionId: string,
  imageIds: string[],
): Promise<void> {
  for (const resourceId of imageIds) {
    const row = await ctx.store.images.find(regionId, resourceId);
    if (row && row.category !== 'custom') {
      throw new EcsError('InvalidResourceId.NotSupported', { resourceId });
    }
    if (!row || row.owner_id !== accountId) {
      throw new EcsError('InvalidResourceId.NotFound', { resourceId });
    }
  }
}
