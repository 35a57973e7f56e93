/**
 * The image catalogue's domain service: what DescribeImages, ModifyImageAttribute, DeleteImage,
 * DescribeImageFromFamily and DescribeImageSupportInstanceTypes do, and the lifecycle other areas
 * (import, copy, CreateImage, pipelines) drive: create an image in Creating, mark it Available
 * with its sizes and disk device mappings, or CreateFailed.
 *
 * Faithfulness: visibility, statuses, refusals and their codes follow the cloud's documentation.
 * Where the documentation is silent the choice is written next to the code.
 */
import crypto from 'node:crypto';
import type { Store } from '../../store/index.js';
import type {
  ImageMappingRow,
  ImagePatch,
  ImageRow,
  ImageScope,
  ImageSearch,
  FeatureColumn,
} from '../../store/repositories/images.js';
import type { TagRow } from '../../store/repositories/tags.js';
import { EcsError } from '../errors/index.js';
import { newResourceId } from '../ids.js';
import { INSTANCE_TYPES, findInstanceType, supportedInstanceTypes } from '../instance-types.js';
import type { InstanceType } from '../instance-types.js';
import { parseCloudTime } from '../time.js';
import {
  FAMILIES_PER_REGION,
  IMAGES_PER_FAMILY,
  IMAGE_STATUSES,
  checkDescription,
  checkImageFamily,
  checkImageName,
  isBeingCreated,
  type ImageStatus,
} from './rules.js';
import { SYSTEM_ACCOUNT_ID, SYSTEM_IMAGES } from './system-images.js';

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

/**
 * Which images instances use. ecsimg has no instances yet, so the default answers "none"; the
 * instance area will provide a probe that queries its table, and every check here (Usage filter
 * and field, ImageUsingByInstance, the boot-mode refusal) already goes through it.
 */
export interface InstanceUsageProbe {
  /** Of `imageIds` (every image of the region when absent), those used by instances. */
  imagesInUse(regionId: string, imageIds?: string[]): Promise<Set<string>>;
}

export const NO_INSTANCES: InstanceUsageProbe = { imagesInUse: async () => new Set() };

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

const FEATURE_FILTERS: Record<string, FeatureColumn> = {
  CpuOnlineUpgrade: 'cpu_online_upgrade',
  CpuOnlineDowngrade: 'cpu_online_downgrade',
  MemoryOnlineUpgrade: 'memory_online_upgrade',
  MemoryOnlineDowngrade: 'memory_online_downgrade',
};

/** A stable snapshot ID for a seeded image's system disk: the same on every start. */
function seedSnapshotId(regionId: string, imageId: string): string {
  const digest = crypto.createHash('sha256').update(`${regionId}/${imageId}`).digest();
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  let out = 's-';
  for (let i = 0; i < 20; i++) out += alphabet[digest[i] % 36];
  return out;
}

function mappingRows(
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

export class ImageService {
  private usage: InstanceUsageProbe = NO_INSTANCES;

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /** Installed by the instance area when it exists; tests install fakes. */
  setInstanceUsageProbe(probe: InstanceUsageProbe): void {
    this.usage = probe;
  }

  // ---------------------------------------------------------------- seeding

  /** Adds the system images missing in each region; safe to run on every start. */
  async seedSystemImages(regionIds: string[]): Promise<number> {
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
        if (await this.store.images.insertIfAbsent(row, mapping)) added++;
      }
    }
    return added;
  }

  // ---------------------------------------------------------------- lifecycle (other areas)

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
  async createImage(
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

    const now = this.now();
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

    // TODO(image-name-race): the check and the insert are one transaction but not serialised, so
    // two concurrent creates with one new name can both pass; a unique index cannot express the
    // rule without also constraining system images, a per-account lock row would.
    return this.store.transaction(async (tx) => {
      if (await tx.images.nameTaken(input.regionId, input.accountId, input.name)) {
        throw new EcsError('InvalidImageName.Duplicated', { imageName: input.name });
      }
      if (input.family !== undefined) {
        await this.checkFamilyQuota(tx, input.regionId, input.accountId, input.family);
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
  async setProgress(regionId: string, imageId: string, percent: number): Promise<void> {
    const progress = Math.max(0, Math.min(99, Math.floor(percent)));
    await this.store.images.update(regionId, imageId, { progress, updated_at: this.now() });
  }

  /** A queued (Waiting) image whose task starts now. */
  async markCreating(regionId: string, imageId: string): Promise<void> {
    await this.move(regionId, imageId, ['Waiting'], { status: 'Creating' });
  }

  /** The content is in place: the image becomes Available with its final size and disks. */
  async markAvailable(regionId: string, imageId: string, outcome: ImageOutcome): Promise<void> {
    const patch: ImagePatch & { status: ImageStatus } = {
      status: 'Available',
      progress: 100,
      usable: 1,
      size_gib: outcome.sizeGib,
      failure_reason: null,
      updated_at: this.now(),
    };
    if (outcome.osName !== undefined) patch.os_name = outcome.osName;
    if (outcome.osNameEn !== undefined) patch.os_name_en = outcome.osNameEn;
    if (outcome.platform !== undefined) patch.platform = outcome.platform;
    if (outcome.architecture !== undefined) patch.architecture = outcome.architecture;
    if (outcome.bootMode !== undefined) patch.boot_mode = outcome.bootMode;

    await this.store.transaction(async (tx) => {
      const moved = await tx.images.transition(regionId, imageId, ['Creating', 'Waiting'], patch);
      if (!moved) await this.refuseMove(tx, regionId, imageId, 'Creating');
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
  async markFailed(regionId: string, imageId: string, reason: string): Promise<void> {
    await this.move(regionId, imageId, ['Creating', 'Waiting'], {
      status: 'CreateFailed',
      failure_reason: reason,
    });
  }

  /**
   * Holds the image for a long operation (`export`, `copy-source`); DeleteImage refuses while
   * held. False when another operation holds it.
   */
  async beginOperation(regionId: string, imageId: string, operation: string): Promise<boolean> {
    return this.store.images.tryLock(regionId, imageId, operation, this.now());
  }

  async endOperation(regionId: string, imageId: string, operation: string): Promise<void> {
    await this.store.images.unlock(regionId, imageId, operation, this.now());
  }

  private async move(regionId: string, imageId: string, from: ImageStatus[], patch: ImagePatch) {
    const full = { ...patch, status: patch.status!, updated_at: this.now() };
    if (!(await this.store.images.transition(regionId, imageId, from, full))) {
      await this.refuseMove(this.store, regionId, imageId, from.join(' or '));
    }
  }

  private async refuseMove(store: Store, regionId: string, imageId: string, expected: string) {
    const row = await store.images.find(regionId, imageId);
    if (!row) throw new EcsError('InvalidImageId.NotFound', { imageId });
    throw new EcsError('IncorrectImageStatus', { imageId, status: row.status, expected });
  }

  // ---------------------------------------------------------------- reading

  /** The image if the account may see it: system, its own, shared with it, or community. */
  async findVisible(accountId: string, regionId: string, imageId: string) {
    const row = await this.store.images.find(regionId, imageId);
    if (!row) return undefined;
    if (row.category !== 'custom') return row;
    if (row.owner_id === accountId || row.is_public === 1) return row;
    return (await this.store.images.isSharedWith(regionId, imageId, accountId)) ? row : undefined;
  }

  /** The account's own custom image, or InvalidImageId.NotFound — also for others' images. */
  async getOwned(accountId: string, regionId: string, imageId: string): Promise<ImageRow> {
    const row = await this.store.images.find(regionId, imageId);
    if (!row || row.category !== 'custom' || row.owner_id !== accountId) {
      throw new EcsError('InvalidImageId.NotFound', { imageId });
    }
    return row;
  }

  /** Loads disks, tags, sharing and usage for a page of rows in four batched queries. */
  async details(accountId: string, regionId: string, rows: ImageRow[]): Promise<ImageDetail[]> {
    const ids = rows.map((r) => r.id);
    const ownIds = rows.filter((r) => r.owner_id === accountId).map((r) => r.id);
    const [mappings, tags, shared, inUse] = await Promise.all([
      this.store.images.mappingsOf(regionId, ids),
      this.store.tags.tagsOf({ accountId, regionId, resourceType: 'image' }, ids),
      this.store.images.sharedAmong(regionId, ownIds),
      ids.length ? this.usage.imagesInUse(regionId, ids) : Promise.resolve(new Set<string>()),
    ]);
    return rows.map((row) => ({
      row,
      mappings: mappings.get(row.id) ?? [],
      tags: tags.get(row.id) ?? [],
      ownerAlias: this.aliasFor(accountId, row),
      selfShared: row.owner_id === accountId && (shared.has(row.id) || row.is_public === 1),
      inUse: inUse.has(row.id),
    }));
  }

  private aliasFor(accountId: string, row: ImageRow): OwnerAlias {
    if (row.category === 'system') return 'system';
    if (row.category === 'marketplace') return 'marketplace';
    return row.owner_id === accountId ? 'self' : 'others';
  }

  /** DescribeImages: validates the query the cloud's way, then one page and the total. */
  async describe(accountId: string, query: DescribeImagesQuery) {
    const search = await this.searchFor(accountId, query);
    const { rows, total } = await this.store.images.search(search);
    return { items: await this.details(accountId, query.regionId, rows), total };
  }

  private async searchFor(accountId: string, q: DescribeImagesQuery): Promise<ImageSearch> {
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
      statuses: this.statusesFor(q.status, q.usable),
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

    this.applyTags(search, q.tags);
    this.applyFilters(search, q.filters);

    if (q.usage !== undefined) {
      if (!['instance', 'none'].includes(q.usage)) {
        throw new EcsError('InvalidUsage', { value: q.usage });
      }
      const used = [...(await this.usage.imagesInUse(q.regionId))];
      if (q.usage === 'instance') search.idsIn = search.idsIn ?? used;
      else search.idsNotIn = used;
    }
    return search;
  }

  /**
   * Status: comma list; `ALL` alone means every status; default Available — except with Usable,
   * where the cloud applies no default.
   */
  private statusesFor(status: string | undefined, usable: boolean | undefined) {
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

  private applyTags(search: ImageSearch, tags: DescribeImagesQuery['tags']) {
    if (!tags?.length) return;
    search.tags = tags.map((tag, i) => {
      if (tag.Key === undefined) throw new EcsError('InvalidTag.Mismatch', { index: i + 1 });
      return { key: tag.Key, value: tag.Value };
    });
  }

  private applyFilters(search: ImageSearch, filters: DescribeImagesQuery['filters']) {
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
  async fromFamily(accountId: string, regionId: string, family: string) {
    const row = await this.store.images.newestInFamily(regionId, accountId, family);
    if (!row) return undefined;
    const [detail] = await this.details(accountId, regionId, [row]);
    return detail;
  }

  /**
   * The instance types an image boots on. Without an image: the whole catalogue. The image must
   * be visible and Available (the cloud's NotFound message says so).
   */
  async supportedInstanceTypes(
    accountId: string,
    regionId: string,
    imageId: string | undefined,
  ): Promise<InstanceType[]> {
    if (imageId === undefined) return [...INSTANCE_TYPES];
    const row = await this.findVisible(accountId, regionId, imageId);
    if (!row || row.status !== 'Available') {
      throw new EcsError('InvalidImageId.NotFound', { imageId });
    }
    return supportedInstanceTypes({ architecture: row.architecture, osType: row.os_type });
  }

  // ---------------------------------------------------------------- changing

  /**
   * ModifyImageAttribute: unset fields keep their value. `dryRun` runs every check and writes
   * nothing.
   */
  async modifyAttribute(
    accountId: string,
    regionId: string,
    imageId: string,
    changes: ImageChanges,
    dryRun = false,
  ): Promise<void> {
    const row = await this.getOwned(accountId, regionId, imageId);
    const patch: ImagePatch = {};

    if (changes.name !== undefined && changes.name !== row.name) {
      checkImageName(changes.name);
      if (await this.store.images.nameTaken(regionId, accountId, changes.name, imageId)) {
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
      await this.checkFamilyQuota(this.store, regionId, accountId, changes.family);
      patch.family = changes.family;
    }
    if (changes.bootMode !== undefined && changes.bootMode !== row.boot_mode) {
      if (row.architecture === 'arm64' && changes.bootMode !== 'UEFI') {
        throw new EcsError('InvalidBootMode.NotSupport', {
          bootMode: changes.bootMode,
          reason: 'arm64 images boot with UEFI',
        });
      }
      if ((await this.usage.imagesInUse(regionId, [imageId])).has(imageId)) {
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
      await this.checkStatusChange(row, changes.status);
      patch.status = changes.status;
    }

    if (dryRun || Object.keys(patch).length === 0) return;
    await this.store.images.update(regionId, imageId, { ...patch, updated_at: this.now() });
  }

  private async checkStatusChange(row: ImageRow, to: string) {
    const imageId = row.id;
    if (isBeingCreated(row.status))
      throw new EcsError('InvalidStatus.ImageIsCreating', { imageId });
    if (to === 'Deprecated') {
      if (row.status !== 'Available') {
        throw new EcsError('ImageStatus.NotAvailable', { imageId, status: row.status });
      }
      // A shared image must be unshared before it is deprecated.
      const shared = await this.store.images.sharedAmong(row.region_id, [imageId]);
      if (shared.has(imageId) || row.is_public === 1) {
        throw new EcsError('ImageUseShared', { imageId });
      }
      return;
    }
    if (to === 'Available' && row.status !== 'Deprecated') {
      throw new EcsError('ImageStatus.NotDeprecated', { imageId, status: row.status });
    }
  }

  private async checkFamilyQuota(
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

  /**
   * DeleteImage, with the cloud's refusals in the order it documents them. Force only overrides
   * "used by instances". `dryRun` checks and keeps the image.
   */
  async deleteImage(
    accountId: string,
    regionId: string,
    imageId: string,
    options: { force?: boolean; dryRun?: boolean } = {},
  ): Promise<void> {
    await this.store.transaction(async (tx) => {
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
      if (!options.force && (await this.usage.imagesInUse(regionId, [imageId])).has(imageId)) {
        throw new EcsError('ImageUsingByInstance', { imageId });
      }

      if (options.dryRun) return;
      // The image's stored disks go with it, in the same transaction: otherwise its manifests
      // would keep every chunk referenced forever. A manifest pinned by a running job is only
      // marked released; the collector drops it when the pin ends.
      const mappings = (await tx.images.mappingsOf(regionId, [imageId])).get(imageId) ?? [];
      for (const m of mappings) {
        if (m.content_ref) await tx.blobs.deleteManifest(m.content_ref, this.now());
      }
      await tx.images.delete(regionId, imageId);
    });
  }

  /** For the tag API: the account may tag only its own custom images. */
  async checkTaggable(accountId: string, regionId: string, imageIds: string[]): Promise<void> {
    for (const resourceId of imageIds) {
      const row = await this.store.images.find(regionId, resourceId);
      if (row && row.category !== 'custom') {
        throw new EcsError('InvalidResourceId.NotSupported', { resourceId });
      }
      if (!row || row.owner_id !== accountId) {
        throw new EcsError('InvalidResourceId.NotFound', { resourceId });
      }
    }
  }
}
