/**
 * The image catalogue's actions: DescribeImages, ModifyImageAttribute, DeleteImage,
 * DescribeImageFromFamily, DescribeImageSupportInstanceTypes. Declarations are data; the rules
 * behind them live in domain/images.
 *
 * Paging: the cloud documents PageNumber ≥ 1 and PageSize ≤ 100 (default 10). A PageSize of 0 or
 * 101 is refused here with InvalidParameter rather than silently changed, so a client never
 * receives a page of a size it did not ask for.
 */
import { EcsError } from '../../../domain/errors/index.js';
import { defineAction, type RequestContext } from '../../context.js';
import { DESCRIPTION, IMAGE_FAMILY, IMAGE_NAME, TAGS } from '../common.js';
import { declareAction, type DecodedParams } from '../spec.js';
import { renderFamilyImage, renderImage } from './render.js';

const imageResource = (ctx: RequestContext, p: { RegionId: string; ImageId?: string }) =>
  `acs:ecs:${p.RegionId}:${ctx.principal.accountId}:image/${p.ImageId ?? '*'}`;

export const DescribeImagesSpec = declareAction({
  name: 'DescribeImages',
  resource: 'image',
  summary: {
    en: 'List the images of a region: system, your own, shared with you, community.',
    zh: '查询地域内的镜像：系统镜像、自定义镜像、共享镜像、社区镜像。',
  },
  regional: true,
  dryRun: true,
  params: {
    ImageId: { type: 'string', description: 'One image ID, or several separated by commas.' },
    ImageName: { type: 'string', description: 'Part of the name (fuzzy, case-insensitive).' },
    ImageFamily: { type: 'string' },
    ImageOwnerAlias: { type: 'string', description: 'system | self | others | marketplace' },
    ImageOwnerId: {
      type: 'string',
      pattern: '^\\d{1,20}$',
      description: 'Owner UID; with ImageOwnerAlias=others only.',
    },
    IsPublic: { type: 'boolean', description: 'true: community images (ImageOwnerAlias=others).' },
    Status: {
      type: 'string',
      description:
        'Creating, Waiting, Available, UnAvailable, CreateFailed, Deprecated (comma list) or ALL.',
    },
    Usable: { type: 'boolean' },
    SnapshotId: { type: 'string' },
    OSType: { type: 'string', description: 'windows | linux' },
    Architecture: { type: 'string', description: 'i386 | x86_64 | arm64' },
    Usage: { type: 'string', description: 'instance | none' },
    InstanceType: { type: 'string', description: 'Only images that boot on this type.' },
    ActionType: { type: 'string', enum: ['CreateEcs', 'ChangeOS'] },
    IsSupportIoOptimized: { type: 'boolean' },
    IsSupportCloudinit: { type: 'boolean' },
    ShowExpired: { type: 'boolean' },
    ResourceGroupId: { type: 'string' },
    Tag: { ...TAGS, tooManyCode: 'InvalidTagCount' },
    Filter: {
      type: 'objectList',
      fields: { Key: { type: 'string' }, Value: { type: 'string' } },
      description:
        'CreationStartTime / CreationEndTime (yyyy-MM-ddTHH:mmZ), NetworkType, CpuOnlineUpgrade …',
    },
    PageNumber: { type: 'integer', min: 1, default: 1 },
    PageSize: { type: 'integer', min: 1, max: 100, default: 10 },
  },
});

// ActionType (CreateEcs | ChangeOS) is validated; both scenarios accept the same images here,
// because ecsimg has no instance whose current system disk could narrow a ChangeOS answer.
const describeImages = defineAction(
  DescribeImagesSpec,
  async (ctx, p) => {
    const { items, total } = await ctx.services.images.describe(ctx.principal.accountId, {
      regionId: p.RegionId,
      ownerAlias: p.ImageOwnerAlias,
      isPublic: p.IsPublic,
      imageOwnerId: p.ImageOwnerId,
      status: p.Status,
      usable: p.Usable,
      imageName: p.ImageName,
      imageIds: p.ImageId?.split(',')
        .map((s) => s.trim())
        .filter(Boolean),
      snapshotId: p.SnapshotId,
      family: p.ImageFamily,
      osType: p.OSType,
      architecture: p.Architecture,
      usage: p.Usage,
      instanceType: p.InstanceType,
      isSupportIoOptimized: p.IsSupportIoOptimized,
      isSupportCloudinit: p.IsSupportCloudinit,
      showExpired: p.ShowExpired,
      resourceGroupId: p.ResourceGroupId,
      tags: p.Tag,
      filters: p.Filter,
      pageNumber: p.PageNumber,
      pageSize: p.PageSize,
    });
    return {
      RegionId: p.RegionId,
      TotalCount: total,
      PageNumber: p.PageNumber,
      PageSize: p.PageSize,
      Images: { Image: items.map(renderImage) },
    };
  },
  {
    // A dry run checks the query the same way a real call would, then answers DryRunOperation.
    validate: async (ctx, p) => {
      await ctx.services.images.describe(ctx.principal.accountId, {
        regionId: p.RegionId,
        ownerAlias: p.ImageOwnerAlias,
        isPublic: p.IsPublic,
        imageOwnerId: p.ImageOwnerId,
        status: p.Status,
        usable: p.Usable,
        osType: p.OSType,
        architecture: p.Architecture,
        usage: p.Usage,
        instanceType: p.InstanceType,
        tags: p.Tag,
        filters: p.Filter,
        pageNumber: 1,
        pageSize: 1,
      });
    },
    // The answer is a function of the account, the query and the store, so repeats come from the
    // gateway's response cache until the store changes — unless an instance-usage probe (Usage,
    // inUse) with another source is installed.
    cacheable: (services) => services.images.readsStoreOnly,
  },
);

export const ModifyImageAttributeSpec = declareAction({
  name: 'ModifyImageAttribute',
  resource: 'image',
  summary: {
    en: 'Rename, describe, re-family, deprecate or restore one of your images.',
    zh: '修改自定义镜像的名称、描述、族系，或弃用/恢复镜像。',
  },
  regional: true,
  dryRun: true,
  params: {
    ImageId: { type: 'string', required: true },
    ImageName: IMAGE_NAME,
    Description: DESCRIPTION,
    ImageFamily: IMAGE_FAMILY,
    BootMode: {
      type: 'string',
      enum: ['BIOS', 'UEFI', 'UEFI-Preferred'],
      invalidCode: 'InvalidBootMode.NotSupport',
    },
    Features: {
      type: 'object',
      fields: {
        ImdsSupport: { type: 'string', invalidCode: 'InvalidParameter.FeaturesImdsSupport' },
        NvmeSupport: { type: 'string', enum: ['supported', 'unsupported'] },
      },
    },
    LicenseType: { type: 'string', description: 'Only BYOL can be set.' },
    Status: { type: 'string', enum: ['Deprecated', 'Available'] },
  },
});

type ModifyParams = DecodedParams<typeof ModifyImageAttributeSpec>;

const modifyImageAttribute = (dryRun: boolean) => async (ctx: RequestContext, p: ModifyParams) => {
  await ctx.services.images.modifyAttribute(
    ctx.principal.accountId,
    p.RegionId,
    p.ImageId,
    {
      name: p.ImageName,
      description: p.Description,
      family: p.ImageFamily,
      bootMode: p.BootMode,
      imdsSupport: p.Features?.ImdsSupport,
      nvmeSupport: p.Features?.NvmeSupport,
      licenseType: p.LicenseType,
      status: p.Status,
    },
    dryRun,
  );
};

export const DeleteImageSpec = declareAction({
  name: 'DeleteImage',
  resource: 'image',
  summary: { en: 'Delete one of your custom images.', zh: '删除一个自定义镜像。' },
  regional: true,
  dryRun: true,
  params: {
    ImageId: { type: 'string', required: true },
    Force: {
      type: 'boolean',
      default: false,
      description: 'Delete even if instances were created from the image.',
    },
  },
});

export const DescribeImageFromFamilySpec = declareAction({
  name: 'DescribeImageFromFamily',
  resource: 'image',
  summary: {
    en: 'The newest Available image of an image family.',
    zh: '查询镜像族系中最新的可用镜像。',
  },
  regional: true,
  params: { ImageFamily: { type: 'string', required: true } },
});

export const DescribeImageSupportInstanceTypesSpec = declareAction({
  name: 'DescribeImageSupportInstanceTypes',
  resource: 'image',
  summary: {
    en: 'The instance types an image can boot on.',
    zh: '查询镜像支持的实例规格。',
  },
  regional: true,
  params: {
    ImageId: { type: 'string' },
    ActionType: { type: 'string', enum: ['CreateEcs', 'ChangeOS'] },
    Filter: {
      type: 'objectList',
      fields: { Key: { type: 'string' }, Value: { type: 'string' } },
      description: 'Deprecated by the cloud; only the key imageId is understood.',
    },
  },
});

export const IMAGE_ACTIONS = [
  describeImages,
  defineAction(
    ModifyImageAttributeSpec,
    async (ctx, p) => {
      await modifyImageAttribute(false)(ctx, p);
      return {};
    },
    {
      resource: imageResource,
      validate: modifyImageAttribute(true),
    },
  ),
  defineAction(
    DeleteImageSpec,
    async (ctx, p) => {
      await ctx.services.images.deleteImage(ctx.principal.accountId, p.RegionId, p.ImageId, {
        force: p.Force,
      });
      return {};
    },
    {
      resource: imageResource,
      validate: async (ctx, p) => {
        await ctx.services.images.deleteImage(ctx.principal.accountId, p.RegionId, p.ImageId, {
          force: p.Force,
          dryRun: true,
        });
      },
    },
  ),
  defineAction(DescribeImageFromFamilySpec, async (ctx, p) => {
    const found = await ctx.services.images.fromFamily(
      ctx.principal.accountId,
      p.RegionId,
      p.ImageFamily,
    );
    // No Available image in the family: an answer with RequestId only, as the cloud gives.
    return found ? { Image: renderFamilyImage(found) } : {};
  }),
  defineAction(
    DescribeImageSupportInstanceTypesSpec,
    async (ctx, p) => {
      let imageId = p.ImageId;
      for (const f of p.Filter ?? []) {
        if (f.Key !== 'imageId') {
          throw new EcsError('InvalidParamter', {
            name: 'Filter.N.Key',
            reason: 'only imageId is understood (the cloud deprecated this filter)',
          });
        }
        imageId ??= f.Value;
      }
      const types = await ctx.services.images.supportedInstanceTypes(
        ctx.principal.accountId,
        p.RegionId,
        imageId,
      );
      return {
        RegionId: p.RegionId,
        ...(imageId ? { ImageId: imageId } : {}),
        InstanceTypes: {
          InstanceType: types.map((t) => ({
            InstanceTypeId: t.id,
            InstanceTypeFamily: t.family,
            CpuCoreCount: t.cpuCoreCount,
            MemorySize: t.memoryGib,
          })),
        },
      };
    },
    { resource: imageResource },
  ),
];
