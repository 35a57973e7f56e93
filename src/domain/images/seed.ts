/**
 * Seeding the system images into each region at start-up, with stable disk snapshot IDs.
 */
import crypto from 'node:crypto';
import type { ImageRow } from '../../store/repositories/images.js';
import type { ImageContext } from './context.js';
import { mappingRows } from './lifecycle.js';
import { SYSTEM_ACCOUNT_ID, SYSTEM_IMAGES } from './system-images.js';

/** A stable snapshot ID for a seeded image's system disk: the same on every start. */
function seedSnapshotId(regionId: string, imageId: string): string {
  const digest = crypto.createHash('sha256').update(`${regionId}/${imageId}`).digest();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = 's-';
  for (let i = 0; i < 20; i++) out += alphabet[digest[i] % 36];
  return out;
}

/** Adds the system images missing in each region; safe to run on every start. */
export async function seedSystemImages(ctx: ImageContext, regionIds: string[]): Promise<number> {
  let added = 0;
  for (const regionId of regionIds) {
    for (const spec of SYSTEM_IMAGES) {
      const created = Date.parse(spec.released);
      const hotPlug = spec.hotPlug ? 'supported' : 'unsupported';
      const row: ImageRow = {
        region_id: regionId,
        id: spec.id,
        category: 'system',
        owner_id: SYSTEM_ACCOUNT_ID,
        name: spec.id,
        description: spec.description,
        family: spec.family,
        version: '',
        status: 'Available',
        progress: 100,
        origin: 'system',
        source_image_id: null,
        source_region_id: null,
        lock_operation: null,
        os_type: spec.osType,
        os_name: spec.osNameZh,
        os_name_en: spec.osNameEn,
        platform: spec.platform,
        architecture: spec.architecture,
        boot_mode: spec.bootMode,
        size_gib: spec.sizeGib,
        license_type: 'Auto',
        is_copied: 0,
        is_public: 1,
        is_support_io_optimized: 1,
        is_support_cloudinit: spec.osType === 'linux' ? 1 : 0,
        login_as_non_root_supported: spec.osType === 'linux' ? 1 : 0,
        classic_network: spec.architecture === 'x86_64' ? 1 : 0,
        usable: 1,
        is_expired: 0,
        imds_support: spec.imdsSupport,
        nvme_support: spec.nvmeSupport,
        cpu_online_upgrade: hotPlug,
        cpu_online_downgrade: hotPlug,
        memory_online_upgrade: hotPlug,
        memory_online_downgrade: 'unsupported',
        secure_boot_support: spec.bootMode === 'BIOS' ? 'unsupported' : 'supported',
        product_code: '',
        supplier_name: '',
        resource_group_id: '',
        detection: null,
        failure_reason: null,
        created_at: created,
        updated_at: created,
      };
      const mapping = mappingRows(
        regionId,
        spec.id,
        [
          {
            device: '/dev/xvda',
            type: 'system',
            sizeGib: spec.sizeGib,
            snapshotId: seedSnapshotId(regionId, spec.id),
          },
        ],
        100,
      );
      if (await ctx.store.images.insertIfAbsent(row, mapping)) added++;
    }
  }
  return added;
}
