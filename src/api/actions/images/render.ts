/**
 * Images in the SDK models' shapes (DescribeImagesResponseBody, DescribeImageFromFamily…): the
 * cloud's field names, lists wrapped as `Plural: { Singular: [] }`, documented JSON types
 * (`Size` of a disk is a string, `IsSelfShared` a string, `ImageOwnerId` a number).
 */
import type { ImageDetail } from '../../../domain/images/index.js';
import { isoSeconds } from '../../../domain/time.js';

function disk(m: ImageDetail['mappings'][number]) {
  return {
    Device: m.device,
    Type: m.type,
    Size: String(m.size_gib),
    SnapshotId: m.snapshot_id,
    Format: m.format,
    ImportOSSBucket: m.import_oss_bucket,
    ImportOSSObject: m.import_oss_object,
    Encrypted: m.encrypted === 1,
    Progress: `${m.progress}%`,
    RemainTime: m.remain_time_s,
  };
}

/** One `Images.Image[]` entry of DescribeImages. */
export function renderImage(d: ImageDetail): Record<string, unknown> {
  const r = d.row;
  const detection = r.detection ? (JSON.parse(r.detection) as Record<string, unknown>) : undefined;
  return {
    ImageId: r.id,
    ImageName: r.name,
    ImageFamily: r.family ?? '',
    ImageVersion: r.version,
    Description: r.description,
    Status: r.status,
    Progress: `${r.progress}%`,
    CreationTime: isoSeconds(r.created_at),
    Size: r.size_gib,
    ImageOwnerAlias: d.ownerAlias,
    // The SDK types the field as a number, so it goes out as one. Account ids are made below
    // 2^53 (newAccountId), where a double holds every digit.
    // TODO(owner-id): data directories from before that rule may hold ids above 2^53 (one in nine
    // began with 9); theirs lose precision here, and exact digits would need raw JSON numbers.
    ImageOwnerId: Number(r.owner_id),
    OSType: r.os_type,
    OSName: r.os_name,
    OSNameEn: r.os_name_en,
    Platform: r.platform,
    Architecture: r.architecture,
    BootMode: r.boot_mode,
    IsCopied: r.is_copied === 1,
    IsPublic: r.category !== 'custom' || r.is_public === 1,
    IsSelfShared: String(d.selfShared),
    IsSubscribed: false,
    IsSupportCloudinit: r.is_support_cloudinit === 1,
    IsSupportIoOptimized: r.is_support_io_optimized === 1,
    LoginAsNonRootSupported: r.login_as_non_root_supported === 1,
    LicenseType: r.license_type,
    Usage: d.inUse ? 'instance' : 'none',
    Usable: r.usable === 1,
    ProductCode: r.product_code,
    SupplierName: r.supplier_name,
    ResourceGroupId: r.resource_group_id,
    Features: {
      NvmeSupport: r.nvme_support,
      ImdsSupport: r.imds_support,
      CpuOnlineUpgrade: r.cpu_online_upgrade,
      CpuOnlineDowngrade: r.cpu_online_downgrade,
      MemoryOnlineUpgrade: r.memory_online_upgrade,
      MemoryOnlineDowngrade: r.memory_online_downgrade,
    },
    SecureBootOptions: { SecureBootSupport: r.secure_boot_support },
    ...(detection ? { DetectionOptions: detection } : {}),
    DiskDeviceMappings: { DiskDeviceMapping: d.mappings.map(disk) },
    Tags: { Tag: d.tags.map((t) => ({ TagKey: t.tag_key, TagValue: t.tag_value })) },
  };
}

/** The fields DescribeImageFromFamilyResponseBody declares for its `Image`. */
const FROM_FAMILY_FIELDS = [
  'Architecture',
  'CreationTime',
  'Description',
  'ImageFamily',
  'ImageId',
  'ImageName',
  'ImageOwnerAlias',
  'ImageVersion',
  'IsCopied',
  'IsSelfShared',
  'IsSubscribed',
  'IsSupportCloudinit',
  'IsSupportIoOptimized',
  'OSName',
  'OSType',
  'Platform',
  'ProductCode',
  'Progress',
  'Size',
  'Status',
  'Tags',
  'Usage',
] as const;

const FROM_FAMILY_DISK_FIELDS = [
  'Device',
  'Format',
  'ImportOSSBucket',
  'ImportOSSObject',
  'Size',
  'SnapshotId',
  'Type',
] as const;

export function renderFamilyImage(d: ImageDetail): Record<string, unknown> {
  const full = renderImage(d);
  const out: Record<string, unknown> = {};
  for (const key of FROM_FAMILY_FIELDS) out[key] = full[key];
  out.DiskDeviceMappings = {
    DiskDeviceMapping: d.mappings.map((m) => {
      const one = disk(m) as Record<string, unknown>;
      return Object.fromEntries(FROM_FAMILY_DISK_FIELDS.map((k) => [k, one[k]]));
    }),
  };
  return out;
}
