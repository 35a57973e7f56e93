/** The image catalogue's tables. Times are epoch milliseconds; flags are 0/1. */
import { columnsOf } from './columns.js';

export interface ImagesTable {
  region_id: string;
  /** `m-…` for custom images; the file-like name for system images. */
  id: string;
  category: 'system' | 'custom' | 'marketplace';
  /** The owning account's UID (system images: a fixed system UID). */
  owner_id: string;
  name: string;
  description: string;
  family: string | null;
  version: string;
  status: string;
  /** 0–100 */
  progress: number;
  origin: string;
  source_image_id: string | null;
  source_region_id: string | null;
  lock_operation: string | null;
  os_type: string;
  os_name: string;
  os_name_en: string;
  platform: string;
  architecture: string;
  boot_mode: string;
  size_gib: number;
  license_type: string;
  is_copied: number;
  is_public: number;
  is_support_io_optimized: number;
  is_support_cloudinit: number;
  login_as_non_root_supported: number;
  classic_network: number;
  usable: number;
  is_expired: number;
  imds_support: string;
  nvme_support: string;
  cpu_online_upgrade: string;
  cpu_online_downgrade: string;
  memory_online_upgrade: string;
  memory_online_downgrade: string;
  secure_boot_support: string;
  product_code: string;
  supplier_name: string;
  resource_group_id: string;
  detection: string | null;
  failure_reason: string | null;
  created_at: number;
  updated_at: number;
}

export interface ImageDiskDeviceMappingsTable {
  region_id: string;
  image_id: string;
  /** 0 = the system disk, then data disks in order. */
  position: number;
  device: string;
  type: 'system' | 'data';
  size_gib: number;
  snapshot_id: string;
  format: string;
  import_oss_bucket: string;
  import_oss_object: string;
  encrypted: number;
  progress: number;
  remain_time_s: number;
  content_ref: string | null;
}

/** Every column of `images` and of `image_disk_device_mappings` (columns.ts says why). */
export const IMAGE_COLUMNS = columnsOf<ImagesTable>({
  region_id: true,
  id: true,
  category: true,
  owner_id: true,
  name: true,
  description: true,
  family: true,
  version: true,
  status: true,
  progress: true,
  origin: true,
  source_image_id: true,
  source_region_id: true,
  lock_operation: true,
  os_type: true,
  os_name: true,
  os_name_en: true,
  platform: true,
  architecture: true,
  boot_mode: true,
  size_gib: true,
  license_type: true,
  is_copied: true,
  is_public: true,
  is_support_io_optimized: true,
  is_support_cloudinit: true,
  login_as_non_root_supported: true,
  classic_network: true,
  usable: true,
  is_expired: true,
  imds_support: true,
  nvme_support: true,
  cpu_online_upgrade: true,
  cpu_online_downgrade: true,
  memory_online_upgrade: true,
  memory_online_downgrade: true,
  secure_boot_support: true,
  product_code: true,
  supplier_name: true,
  resource_group_id: true,
  detection: true,
  failure_reason: true,
  created_at: true,
  updated_at: true,
});

export const MAPPING_COLUMNS = columnsOf<ImageDiskDeviceMappingsTable>({
  region_id: true,
  image_id: true,
  position: true,
  device: true,
  type: true,
  size_gib: true,
  snapshot_id: true,
  format: true,
  import_oss_bucket: true,
  import_oss_object: true,
  encrypted: true,
  progress: true,
  remain_time_s: true,
  content_ref: true,
});

export interface ImageSharesTable {
  region_id: string;
  image_id: string;
  account_id: string;
  shared_at: number;
}

/**
 * How many images each (region, owner, category, status, expired) group holds, kept by triggers
 * on `images` (migration 0007), so DescribeImages' TotalCount of an unfiltered listing is a few
 * row reads instead of a walk over every matching image.
 */
export interface ImageCountsTable {
  region_id: string;
  owner_id: string;
  category: string;
  status: string;
  is_expired: number;
  n: number;
}
