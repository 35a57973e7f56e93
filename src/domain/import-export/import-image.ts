/**
 * ImportImage: the request types and the synchronous checks that decide whether an import
 * starts, and starting it (the image in Creating plus its task). The job that turns disk files in
 * a bucket into an Available image is in import-job.ts; its entry points are re-exported here.
 *
 * How faithful (API-REFERENCE B.4):
 *  - Format: the cloud accepts RAW, VHD, QCOW2 (VMDK by invitation). ecsimg accepts those and VMDK,
 *    VDI and VHDX for everyone; an empty Format means "detect". Whatever is declared, the safe
 *    inspector decides; a file that is not what Format says fails the task.
 *  - DiskImageSize: the current cloud documents 1-2048 GiB; this deployment allows the system disk
 *    40-500 GiB and data disks 1-2048 GiB (ECSIMG_IMPORT_*_DISK_{MIN,MAX}_GIB). Left out, a
 *    disk's size is its virtual size rounded up to GiB (system disk: at least the minimum).
 *  - More than 17 disks are refused (InvalidParameter) where the cloud silently ignores them.
 *  - CancelTask of an import removes the image: a cancelled import leaves nothing behind, as
 *    DeleteImage cannot remove an importing image (ImageIsImporting) and CancelTask is the way
 *    the cloud offers. A failed import leaves the image CreateFailed (its reason kept).
 *  - The object must stay unchanged while the import runs; if it changes, the task fails
 *    (ImportImageFailed) rather than mixing two versions.
 *  - Each disk's checksum (see checksum.ts) is shown in the finished task's RelatedItemSet.
 */
import crypto from 'node:crypto';
import type { DiskFormat } from '../../formats/index.js';
import { EcsError } from '../errors/index.js';
import { IMPORT_DEFAULT_ROLE } from '../roles/index.js';
import type { ImportExportDeps } from './deps.js';
import { requireBucketForImage } from './buckets.js';
import { sizeRule } from './import-job.js';

export {
  importRelatedItems,
  onImportCancelled,
  onImportFailed,
  runImport,
  throttleExtents,
} from './import-job.js';

export const IMPORT_TASK_ACTION = 'ImportImage';
/** Disk 1 is the system disk, 2-17 data disks. */
export const MAX_IMPORT_DISKS = 17;
/** Formats ImportImage accepts in `Format` (upper case on the wire). */
export const IMPORT_FORMATS = ['RAW', 'VHD', 'QCOW2', 'VMDK', 'VDI', 'VHDX'] as const;

const WINDOWS_SERVER = /^Windows Server \d{4}$/;

export interface ImportDiskRequest {
  bucket: string;
  object: string;
  /** Declared format (any case); absent = detect. */
  format?: string;
  sizeGib?: number;
  device?: string;
}

/** What the ImportImage action decoded. */
export interface ImportRequest {
  accountId: string;
  regionId: string;
  disks: ImportDiskRequest[];
  name?: string;
  description?: string;
  architecture?: 'i386' | 'x86_64' | 'arm64';
  osType?: 'linux' | 'windows';
  platform?: string;
  bootMode?: 'BIOS' | 'UEFI';
  licenseType?: string;
  roleName?: string;
  imdsSupport?: 'v1' | 'v2';
  nvmeSupport?: 'supported' | 'unsupported';
  tags?: Array<{ key: string; value: string }>;
}

/** One disk as the job imports it: checked, with the object's version when accepted. */
export interface PlannedDisk {
  position: number;
  type: 'system' | 'data';
  device: string;
  bucket: string;
  object: string;
  declaredFormat?: DiskFormat;
  sizeGib?: number;
  /** The object's ETag when ImportImage accepted it: the job refuses a changed object. */
  etag: string;
  objectSize: number;
}

export interface ImportJobParams {
  imageId: string;
  regionId: string;
  accountId: string;
  disks: PlannedDisk[];
}

export interface ImportedDisk {
  position: number;
  format: string;
  virtualSize: number;
  sizeGib: number;
  manifestId: string;
  checksum: string;
}

export interface ImportJobResult {
  imageId: string;
  disks: ImportedDisk[];
}

interface ImportPlan {
  disks: PlannedDisk[];
  name: string;
  osType: 'linux' | 'windows';
  platform?: string;
}

/** The OS type a platform implies, when it implies one. */
function osTypeOf(platform: string): 'linux' | 'windows' {
  return /windows/i.test(platform) ? 'windows' : 'linux';
}

/**
 * Every synchronous check of ImportImage, in the order a caller fixes them: parameters that
 * belong together, the service role, then each disk's bucket and object. Creates nothing.
 */
export async function checkImport(deps: ImportExportDeps, req: ImportRequest): Promise<ImportPlan> {
  if (req.disks.length === 0) throw new EcsError('MissingParameter.DiskDeviceMapping');
  if (req.disks.length > MAX_IMPORT_DISKS) {
    throw new EcsError('InvalidParameter', {
      name: 'DiskDeviceMapping',
      reason: `at most ${MAX_IMPORT_DISKS} disks (1 system disk and 16 data disks)`,
    });
  }

  const disks: PlannedDisk[] = req.disks.map((d, position) => {
    const type = position === 0 ? 'system' : 'data';
    const label = `DiskDeviceMapping.${position + 1}`;
    const rule = sizeRule(deps, type);
    if (d.sizeGib !== undefined && (d.sizeGib < rule.min || d.sizeGib > rule.max)) {
      throw new EcsError(rule.code, {
        reason: `${label}.DiskImageSize is ${d.sizeGib} GiB; allowed ${rule.min}-${rule.max} GiB`,
        min: rule.min,
        max: rule.max,
      });
    }
    const device = d.device ?? `/dev/xvd${String.fromCharCode(97 + position)}`;
    if (!/^\/dev\/(xv|v|s)d[a-z]$/.test(device)) {
      throw new EcsError('InvalidParameter.Malformed', {
        name: `${label}.Device`,
        reason: 'a device name such as /dev/xvda',
      });
    }
    const format = d.format?.toLowerCase() as DiskFormat | undefined;
    return {
      position,
      type,
      device,
      bucket: d.bucket,
      object: d.object,
      declaredFormat: format,
      sizeGib: d.sizeGib,
      etag: '',
      objectSize: 0,
    };
  });

  // OS, platform, architecture, boot mode and licence must describe one possible machine.
  const platformOs = req.platform ? osTypeOf(req.platform) : undefined;
  if (req.osType && platformOs && req.osType !== platformOs) {
    throw new EcsError('InvalidPlatform.Malformed', {
      platform: req.platform,
      reason: `a ${platformOs} platform, but OSType is ${req.osType}`,
    });
  }
  const osType = req.osType ?? platformOs ?? 'linux';
  const architecture = req.architecture ?? 'x86_64';
  if (architecture === 'arm64' && req.bootMode === 'BIOS') {
    throw new EcsError('InvalidBootMode.NotSupport', {
      bootMode: 'BIOS',
      reason: 'arm64 images boot with UEFI',
    });
  }
  if (architecture === 'arm64' && osType === 'windows') {
    throw new EcsError('InvalidArchitecture.PlatformUnsupported', {
      platform: req.platform ?? 'Windows',
      architecture,
    });
  }
  if (osType === 'windows' && req.licenseType === 'Aliyun') {
    const platform = req.platform ?? 'Other Windows';
    if (!WINDOWS_SERVER.test(platform)) {
      throw new EcsError('InvalidLicenseType.BYOLOnly', { platform });
    }
  }
  const keys = new Set<string>();
  for (const tag of req.tags ?? []) {
    if (keys.has(tag.key)) throw new EcsError('TagKey.Duplication', { key: tag.key });
    keys.add(tag.key);
  }

  const name = req.name ?? `import-${crypto.randomBytes(6).toString('hex')}`;
  if (await deps.store.images.nameTaken(req.regionId, req.accountId, name)) {
    throw new EcsError('InvalidImageName.Duplicated', { imageName: name });
  }

  await deps.roles.requireAuthorized(req.accountId, req.roleName ?? IMPORT_DEFAULT_ROLE);

  for (const disk of disks) {
    await requireBucketForImage(deps, req.accountId, disk.bucket, req.regionId);
    const info = await deps.buckets.requireObjectForImage(
      req.accountId,
      disk.bucket,
      disk.object,
      req.regionId,
    );
    disk.etag = info.etag;
    disk.objectSize = info.size;
  }
  return { disks, name, osType, platform: req.platform };
}

/**
 * Checks, then creates the image (Creating) and its ImportImage task in one transaction.
 *
 * @example
 *   const { imageId, taskId } = await startImport(services, { accountId, regionId: 'cn-hangzhou',
 *     disks: [{ bucket: 'images', object: 'web.qcow2', sizeGib: 40 }], name: 'web' });
 */
export async function startImport(
  deps: ImportExportDeps,
  req: ImportRequest,
): Promise<{ imageId: string; taskId: string }> {
  const plan = await checkImport(deps, req);
  let taskId = '';

  const image = await deps.images.createImage(
    {
      accountId: req.accountId,
      regionId: req.regionId,
      name: plan.name,
      origin: 'import',
      description: req.description,
      osType: plan.osType,
      platform: plan.platform,
      architecture: req.architecture,
      bootMode: req.bootMode,
      licenseType: req.licenseType,
      imdsSupport: req.imdsSupport,
      nvmeSupport: req.nvmeSupport,
      mappings: plan.disks.map((d) => ({
        device: d.device,
        type: d.type,
        sizeGib: d.sizeGib,
        format: d.declaredFormat,
        importOssBucket: d.bucket,
        importOssObject: d.object,
      })),
      tags: req.tags,
    },
    {
      inTransaction: async (tx, row) => {
        const params: ImportJobParams = {
          imageId: row.id,
          regionId: req.regionId,
          accountId: req.accountId,
          disks: plan.disks,
        };
        taskId = await deps.jobs.enqueue(IMPORT_TASK_ACTION, params, {
          accountId: req.accountId,
          regionId: req.regionId,
          resourceId: row.id,
          supportCancel: true,
          store: tx,
        });
      },
    },
  );
  deps.log.info(
    { imageId: image.id, taskId, disks: plan.disks.length },
    `[import] ${image.id} queued as ${taskId}`,
  );
  return { imageId: image.id, taskId };
}
