/**
 * ImportImage and ExportImage (API-REFERENCE B.4, B.5): declarations as data, handlers that call
 * domain/import-export. What is faithful and where we differ is written at the top of
 * domain/import-export/import-image.ts and export-image.ts.
 *
 * DryRun: all synchronous checks run first, and nothing is created. A successful dry run of
 * ImportImage answers `DRYRUN.SUCCESS` (400), the code the cloud documents for this action alone;
 * ExportImage answers `DryRunOperation` (400) like every other action, so a script written
 * against ECS finds the code it checks for.
 */
import type { OutputFormat } from '../../../formats/index.js';
import {
  IMPORT_FORMATS,
  MAX_IMPORT_DISKS,
  checkExport,
  checkImport,
  startExport,
  startImport,
  type ExportRequest,
  type ImportRequest,
} from '../../../domain/import-export/index.js';
import { defineAction, type RequestContext } from '../../context.js';
import { CLIENT_TOKEN, DESCRIPTION, IMAGE_NAME, TAGS } from '../common.js';
import { declareAction, type DecodedParams } from '../spec.js';

/** The platforms of API-REFERENCE C.4. */
const PLATFORMS = [
  'Aliyun',
  'Anolis',
  'CentOS',
  'Ubuntu',
  'CoreOS',
  'SUSE',
  'Debian',
  'OpenSUSE',
  'FreeBSD',
  'RedHat',
  'Kylin',
  'UOS',
  'Fedora',
  'Fedora CoreOS',
  'CentOS Stream',
  'AlmaLinux',
  'Rocky Linux',
  'Gentoo',
  'Customized Linux',
  'Others Linux',
  'Windows Server 2022',
  'Windows Server 2019',
  'Windows Server 2016',
  'Windows Server 2012',
  'Windows Server 2008',
  'Windows Server 2003',
  'Other Windows',
] as const;

const DISK_SIZE = {
  type: 'integer',
  invalidCode: 'InvalidImageSize',
  description:
    'GiB. System disk 40-500, data disks 1-2048 here (configurable); at least the virtual size.',
} as const;

export const ImportImageSpec = declareAction({
  name: 'ImportImage',
  resource: 'image',
  summary: {
    en: 'Import disk files from OSS buckets of the region as a custom image (asynchronous task).',
    zh: '将同地域 OSS 存储空间中的磁盘文件导入为自定义镜像（异步任务）。',
  },
  regional: true,
  dryRun: true,
  dryRunCode: 'DRYRUN.SUCCESS',
  params: {
    DiskDeviceMapping: {
      type: 'objectList',
      required: true,
      missingCode: 'MissingParameter.DiskDeviceMapping',
      max: MAX_IMPORT_DISKS,
      tooManyCode: 'InvalidParameter',
      description: 'Disk 1 is the system disk, 2-17 data disks.',
      fields: {
        OSSBucket: {
          type: 'string',
          required: true,
          invalidCode: 'InvalidOSSBucket.Malformed',
          description: 'A bucket of yours in this region.',
        },
        OSSObject: {
          type: 'string',
          required: true,
          maxLength: 1023,
          invalidCode: 'InvalidOSSObject.Malformed',
          description: 'The object (disk file) to import.',
        },
        Format: {
          type: 'string',
          enum: IMPORT_FORMATS,
          caseInsensitive: true,
          invalidCode: 'InvalidImageFormat.Malformed',
          description: 'RAW, VHD, QCOW2, VMDK, VDI or VHDX; empty = detect from the content.',
        },
        DiskImageSize: DISK_SIZE,
        DiskImSize: { ...DISK_SIZE, description: 'Deprecated alias of DiskImageSize.' },
        Device: {
          type: 'string',
          invalidCode: 'InvalidParameter.Malformed',
          description: 'Deprecated: /dev/xvda for the system disk, /dev/xvdb… for data disks.',
        },
      },
    },
    ImageName: IMAGE_NAME,
    Description: DESCRIPTION,
    Architecture: {
      type: 'string',
      enum: ['i386', 'x86_64', 'arm64'],
      invalidCode: 'InvalidArchitecture.Malformed',
      description: 'i386 | x86_64 (default) | arm64',
    },
    OSType: {
      type: 'string',
      enum: ['linux', 'windows'],
      caseInsensitive: true,
      invalidCode: 'InvalidOSType.Malformed',
      description: 'linux (default) | windows',
    },
    Platform: {
      type: 'string',
      enum: PLATFORMS,
      caseInsensitive: true,
      invalidCode: 'InvalidPlatform.Malformed',
      description: 'CentOS, Ubuntu, Windows Server 2022 … (the OS distribution).',
    },
    BootMode: {
      type: 'string',
      enum: ['BIOS', 'UEFI'],
      invalidCode: 'InvalidBootMode.Malformed',
      description: 'BIOS (default) | UEFI (arm64: UEFI only)',
    },
    LicenseType: {
      type: 'string',
      enum: ['Auto', 'Aliyun', 'BYOL'],
      invalidCode: 'InvalidLicenseType.NotSupported',
      description: 'Auto (default) | Aliyun | BYOL',
    },
    RoleName: {
      type: 'string',
      maxLength: 64,
      description:
        'Service role ECS reads your bucket with (default AliyunECSImageImportDefaultRole).',
    },
    Features: {
      type: 'object',
      fields: {
        ImdsSupport: {
          type: 'string',
          enum: ['v1', 'v2'],
          invalidCode: 'InvalidParameter.FeaturesImdsSupport',
        },
        NvmeSupport: {
          type: 'string',
          enum: ['supported', 'unsupported'],
          invalidCode: 'InvalidParameter',
        },
      },
    },
    Tag: { ...TAGS, tooManyCode: 'NumberExceed.Tags' },
    ClientToken: CLIENT_TOKEN,
    // Validated, then refused: the OS-level image check it asks for is not emulated.
    DetectionStrategy: {
      type: 'string',
      enum: ['Standard'],
      invalidCode: 'InvalidParameter.DetectionStrategy',
      unsupported: true,
    },
    ResourceGroupId: { type: 'string', unsupported: true },
    StorageLocationArn: { type: 'string', unsupported: true },
  },
});

type ImportParams = DecodedParams<typeof ImportImageSpec>;

function importRequest(ctx: RequestContext, p: ImportParams): ImportRequest {
  return {
    accountId: ctx.principal.accountId,
    regionId: p.RegionId,
    disks: p.DiskDeviceMapping.map((d) => ({
      bucket: d.OSSBucket,
      object: d.OSSObject,
      format: d.Format,
      sizeGib: d.DiskImageSize ?? d.DiskImSize,
      device: d.Device,
    })),
    name: p.ImageName,
    description: p.Description,
    // The decoder returned one of each enum's declared spellings.
    architecture: p.Architecture as ImportRequest['architecture'],
    osType: p.OSType as ImportRequest['osType'],
    platform: p.Platform,
    bootMode: p.BootMode as ImportRequest['bootMode'],
    licenseType: p.LicenseType,
    roleName: p.RoleName,
    imdsSupport: p.Features?.ImdsSupport as ImportRequest['imdsSupport'],
    nvmeSupport: p.Features?.NvmeSupport as ImportRequest['nvmeSupport'],
    tags: p.Tag?.map((t) => ({ key: t.Key ?? '', value: t.Value ?? '' })),
  };
}

const importImage = defineAction(
  ImportImageSpec,
  async (ctx, p) => {
    // Same token + same parameters → the first call's ImageId and TaskId; the claim is taken
    // before anything is created, so concurrent retries create one image.
    const { imageId, taskId } = await ctx.services.idempotency.withClientToken(
      {
        accountId: ctx.principal.accountId,
        action: 'ImportImage',
        token: p.ClientToken,
        params: p as unknown as Record<string, unknown>,
      },
      () => startImport(ctx.services, importRequest(ctx, p)),
    );
    return { ImageId: imageId, RegionId: p.RegionId, TaskId: taskId };
  },
  {
    resource: (ctx, p) => `acs:ecs:${p.RegionId}:${ctx.principal.accountId}:image/*`,
    validate: async (ctx, p) => {
      await checkImport(ctx.services, importRequest(ctx, p));
    },
  },
);

export const ExportImageSpec = declareAction({
  name: 'ExportImage',
  resource: 'image',
  summary: {
    en: 'Export a custom image to an OSS bucket of the region, one object per disk (task).',
    zh: '将自定义镜像导出到同地域的 OSS 存储空间，每块磁盘一个文件（异步任务）。',
  },
  regional: true,
  dryRun: true,
  params: {
    ImageId: { type: 'string', required: true },
    OSSBucket: {
      type: 'string',
      required: true,
      invalidCode: 'InvalidOSSBucket.Malformed',
      description: 'A bucket of yours in this region.',
    },
    OSSPrefix: {
      type: 'string',
      pattern: '^[A-Za-z0-9]{1,30}$',
      invalidCode: 'InvalidOSSPrefix.Malformed',
      description: '1-30 letters or digits; objects are named <prefix>_<ImageId>_system.<format>.',
    },
    ImageFormat: {
      type: 'string',
      enum: ['raw', 'vhd', 'qcow2', 'vmdk', 'vdi'],
      caseInsensitive: true,
      default: 'raw',
      invalidCode: 'InvalidImageFormat.Malformed',
      description: 'raw (default) | vhd | qcow2 | vmdk | vdi',
    },
    RoleName: {
      type: 'string',
      maxLength: 64,
      description:
        'Service role ECS writes your bucket with (default AliyunECSImageExportDefaultRole).',
    },
  },
});

type ExportParams = DecodedParams<typeof ExportImageSpec>;

function exportRequest(ctx: RequestContext, p: ExportParams): ExportRequest {
  return {
    accountId: ctx.principal.accountId,
    regionId: p.RegionId,
    imageId: p.ImageId,
    bucket: p.OSSBucket,
    prefix: p.OSSPrefix,
    format: p.ImageFormat as OutputFormat,
    roleName: p.RoleName,
  };
}

const exportImage = defineAction(
  ExportImageSpec,
  async (ctx, p) => {
    const taskId = await startExport(ctx.services, exportRequest(ctx, p));
    return { RegionId: p.RegionId, TaskId: taskId };
  },
  {
    resource: (ctx, p) => `acs:ecs:${p.RegionId}:${ctx.principal.accountId}:image/${p.ImageId}`,
    validate: async (ctx, p) => {
      await checkExport(ctx.services, exportRequest(ctx, p));
    },
  },
);

export const IMPORT_EXPORT_ACTIONS = [importImage, exportImage];
