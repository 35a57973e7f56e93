import { e, type ErrorTable } from './types.js';

const NAME_RULE_EN =
  '2-128 characters, starting with a letter or a Chinese character; digits, ".", ":", "_" ' +
  'and "-" allowed; not starting with "aliyun" or "acs:"; no "http://" or "https://"';
const NAME_RULE_ZH =
  '长度 2-128 个字符，以英文字母或中文开头，可包含数字、“.”、“:”、“_”、“-”；不能以 aliyun 或 acs: 开头；不能包含 http:// 或 https://';

/** Codes of the image catalogue: DescribeImages, ModifyImageAttribute, DeleteImage, families. */
export const IMAGE_ERRORS = {
  'InvalidImageName.Malformed': e(
    400,
    ['{name} is not a valid image name: {reason}.', '{name} 不是有效的镜像名称：{reason}。'],
    [`Image names follow one rule: ${NAME_RULE_EN}.`, `镜像名称规则：${NAME_RULE_ZH}。`],
    ['Choose a name that follows the rule.', '请按规则重新命名。'],
  ),
  'InvalidImageName.Duplicated': e(
    400,
    [
      'An image named "{imageName}" already exists in this region.',
      '本地域已存在名为“{imageName}”的镜像。',
    ],
    ['Image names are unique per account and region.', '同一账号在同一地域内的镜像名称不能重复。'],
    [
      'Pick another name, or rename or delete the existing image first.',
      '换一个名称，或先重命名/删除已有镜像。',
    ],
  ),
  'InvalidDescription.Malformed': e(
    400,
    ['The description is not valid: {reason}.', '描述无效：{reason}。'],
    [
      'A description is 2-256 characters and must not start with "http://" or "https://".',
      '描述长度为 2-256 个字符，不能以 http:// 或 https:// 开头。',
    ],
    ['Shorten or reword the description.', '请缩短或修改描述。'],
  ),
  'InvalidImageFamily.Malformed': e(
    400,
    [
      '{name} is not a valid image family name: {reason}.',
      '{name} 不是有效的镜像族系名称：{reason}。',
    ],
    [
      `Family names follow the image-name rule: ${NAME_RULE_EN}.`,
      `镜像族系名称与镜像名称规则相同：${NAME_RULE_ZH}。`,
    ],
    ['Choose a family name that follows the rule.', '请按规则修改镜像族系名称。'],
  ),
  'ImageQuotaFull.ImageFamily': e(
    400,
    [
      'The image family "{family}" already holds {limit} images.',
      '镜像族系“{family}”中的镜像数已达上限 {limit}。',
    ],
    [
      'An image family holds a limited number of images per account and region.',
      '每个账号在每个地域内，一个镜像族系可包含的镜像数量有限。',
    ],
    [
      'Delete old images of the family, or put the image in another family.',
      '删除该族系中的旧镜像，或将镜像放入其他族系。',
    ],
  ),
  ImageFamilyQuotaFull: e(
    400,
    ['This region already has {limit} image families.', '本地域的镜像族系数量已达上限 {limit}。'],
    [
      'An account may use a limited number of image families per region.',
      '每个账号在每个地域内可使用的镜像族系数量有限。',
    ],
    [
      'Reuse an existing family, or remove the family from images you no longer need.',
      '复用已有族系，或删除不再需要的镜像。',
    ],
  ),
  'InvalidImageId.NotFound': e(
    404,
    ['The image "{imageId}" does not exist in this region.', '本地域不存在镜像“{imageId}”。'],
    [
      'The ID is misspelled, the image is in another region, it was deleted, or it belongs ' +
        'to another account and is not shared with you.',
      'ID 拼写错误、镜像位于其他地域、已被删除，或属于其他账号且未共享给您。',
    ],
    [
      'List your images with DescribeImages in the right region and use an ID from there.',
      '在正确的地域调用 DescribeImages 查询镜像，并使用其中的 ID。',
    ],
  ),
  IncorrectImageStatus: e(
    400,
    [
      'The image "{imageId}" is {status}; this needs {expected}.',
      '镜像“{imageId}”当前状态为 {status}，该操作要求 {expected}。',
    ],
    [
      'The operation is only allowed in certain image states.',
      '该操作只能在镜像处于特定状态时执行。',
    ],
    [
      'Wait until the image reaches the required state (DescribeImages shows it), then retry.',
      '等待镜像进入所需状态（可通过 DescribeImages 查看）后重试。',
    ],
  ),
  ImageUseShared: e(
    403,
    ['The image "{imageId}" is shared with other accounts.', '镜像“{imageId}”已共享给其他账号。'],
    [
      'A shared image cannot be deleted or deprecated while other accounts can use it.',
      '镜像处于共享状态时不能删除或弃用。',
    ],
    [
      'Remove every account with ModifyImageSharePermission (RemoveAccount.N), then retry.',
      '先通过 ModifyImageSharePermission（RemoveAccount.N）取消全部共享，再重试。',
    ],
  ),
  ImageIsImporting: e(
    403,
    ['The image "{imageId}" is still being imported.', '镜像“{imageId}”仍在导入中。'],
    ['An import task is writing this image.', '导入任务正在写入该镜像。'],
    [
      'Wait for the import to finish, or cancel its task with CancelTask.',
      '等待导入完成，或通过 CancelTask 取消导入任务。',
    ],
  ),
  ImageIsExporting: e(
    403,
    ['The image "{imageId}" is being exported.', '镜像“{imageId}”正在导出。'],
    ['An export task is reading this image.', '导出任务正在读取该镜像。'],
    [
      'Wait for the export to finish, or cancel its task with CancelTask.',
      '等待导出完成，或通过 CancelTask 取消导出任务。',
    ],
  ),
  'OperationDenied.ImageCopying': e(
    403,
    ['The image "{imageId}" is being copied.', '镜像“{imageId}”正在复制中。'],
    [
      'A copy task is creating this image (or reading it as its source).',
      '复制任务正在创建该镜像（或正以其为源镜像读取）。',
    ],
    [
      'Wait for the copy to finish, or cancel it with CancelCopyImage.',
      '等待复制完成，或通过 CancelCopyImage 取消复制。',
    ],
  ),
  ImageUsingByInstance: e(
    403,
    ['The image "{imageId}" is used by instances.', '镜像“{imageId}”正被实例使用。'],
    [
      'Instances were created from this image; deleting it would leave them without a source.',
      '有实例由该镜像创建，删除会使这些实例失去来源镜像。',
    ],
    ['Retry with Force=true to delete it anyway.', '如仍要删除，请设置 Force=true 后重试。'],
  ),
  ImageIsPublic: e(
    403,
    [
      'The image "{imageId}" is published as a community image.',
      '镜像“{imageId}”已发布为社区镜像。',
    ],
    [
      'A community image must be unpublished before it can be deleted.',
      '社区镜像需先取消发布才能删除。',
    ],
    [
      'Call ModifyImageSharePermission with IsPublic=false, then delete it.',
      '先调用 ModifyImageSharePermission 并设置 IsPublic=false，再删除。',
    ],
  ),
  'ImageStatus.NotAvailable': e(
    403,
    [
      'The image "{imageId}" is {status}, not Available.',
      '镜像“{imageId}”的状态为 {status}，不是 Available。',
    ],
    ['Only an Available image can be deprecated.', '只有状态为 Available 的镜像才能弃用。'],
    ['Check the image status with DescribeImages.', '请通过 DescribeImages 确认镜像状态。'],
  ),
  'ImageStatus.NotDeprecated': e(
    403,
    [
      'The image "{imageId}" is {status}, not Deprecated.',
      '镜像“{imageId}”的状态为 {status}，不是 Deprecated。',
    ],
    [
      'Only a Deprecated image can be restored to Available.',
      '只有已弃用的镜像才能恢复为 Available。',
    ],
    ['Check the image status with DescribeImages.', '请通过 DescribeImages 确认镜像状态。'],
  ),
  'InvalidStatus.ImageIsCreating': e(
    403,
    ['The image "{imageId}" is still being created.', '镜像“{imageId}”仍在创建中。'],
    [
      'The status of an image cannot change while it is being created.',
      '镜像创建过程中不能修改其状态。',
    ],
    ['Wait until the image is Available.', '请等待镜像变为 Available。'],
  ),
  'OperationDeined.ImageUsingByInstance': e(
    403,
    [
      'The boot mode of "{imageId}" cannot change while instances use it.',
      '镜像“{imageId}”正被实例使用，不能修改启动模式。',
    ],
    [
      'Instances created from the image rely on its boot mode ' +
        "(the code keeps the cloud's spelling).",
      '由该镜像创建的实例依赖其启动模式（错误码沿用云上的拼写）。',
    ],
    [
      'Release those instances, or create a new image with the other boot mode.',
      '释放这些实例，或以新的启动模式另建镜像。',
    ],
  ),
  'InvalidBootMode.NotSupport': e(
    400,
    [
      'Boot mode {bootMode} is not supported for this image: {reason}.',
      '该镜像不支持启动模式 {bootMode}：{reason}。',
    ],
    ['arm64 images boot with UEFI only.', 'arm64 架构的镜像只支持 UEFI 启动。'],
    ['Use UEFI for arm64 images.', 'arm64 镜像请使用 UEFI。'],
  ),
  'InvalidLicenseType.NotSupported': e(
    400,
    [
      'The license type "{licenseType}" cannot be set here.',
      '此处不能设置许可证类型“{licenseType}”。',
    ],
    [
      'ModifyImageAttribute only switches an image to BYOL.',
      'ModifyImageAttribute 只能将许可证类型改为 BYOL。',
    ],
    ['Send LicenseType=BYOL, or leave it out.', '请传入 LicenseType=BYOL，或不传该参数。'],
  ),
  'InvalidParameter.FeaturesImdsSupport': e(
    400,
    ['Features.ImdsSupport must be v1 or v2.', 'Features.ImdsSupport 只能为 v1 或 v2。'],
    ['The value is not a metadata-service mode.', '取值不是实例元数据服务的访问模式。'],
    ['Send v1 or v2.', '请传入 v1 或 v2。'],
  ),
  'InvalidOperation.FeaturesImdsSupportNotMatch': e(
    403,
    [
      'The image already requires IMDSv2; it cannot go back to v1.',
      '镜像已要求 IMDSv2，不能改回 v1。',
    ],
    [
      'Once an image enforces metadata-service hardening mode it keeps it.',
      '镜像一旦启用元数据服务加固模式便不能回退。',
    ],
    ['Keep v2, or create a new image from a v1 source.', '保持 v2，或由 v1 的源另建镜像。'],
  ),
  'InvalidImageOwnerAlias.ValueNotSupported': e(
    400,
    [
      'ImageOwnerAlias "{value}" is not one of system, self, others, marketplace.',
      'ImageOwnerAlias“{value}”不是 system、self、others、marketplace 之一。',
    ],
    ['The image source filter has four values.', '镜像来源过滤只有四个取值。'],
    [
      'Use system, self, others or marketplace, or leave it out.',
      '请使用 system、self、others 或 marketplace，或不传该参数。',
    ],
  ),
  'InvalidImageOwnerAlias.PublicImageUnsupported': e(
    400,
    [
      'IsPublic=true needs ImageOwnerAlias=others.',
      'IsPublic=true 时 ImageOwnerAlias 必须为 others。',
    ],
    [
      'Community images are listed under ImageOwnerAlias=others only.',
      '社区镜像只在 ImageOwnerAlias=others 下查询。',
    ],
    [
      'Add ImageOwnerAlias=others, or drop IsPublic.',
      '请加上 ImageOwnerAlias=others，或去掉 IsPublic。',
    ],
  ),
  'InvalidOperation.ImageOwnerIdUnsupported': e(
    400,
    [
      'ImageOwnerId applies only to shared or community images (ImageOwnerAlias=others).',
      'ImageOwnerId 只适用于共享镜像或社区镜像（ImageOwnerAlias=others）。',
    ],
    [
      'The owner of system, own and Marketplace images is known already.',
      '系统镜像、自定义镜像和云市场镜像的所有者是确定的。',
    ],
    [
      'Add ImageOwnerAlias=others, or drop ImageOwnerId.',
      '请加上 ImageOwnerAlias=others，或去掉 ImageOwnerId。',
    ],
  ),
  'InvalidInstanceType.ValueNotSupported': e(
    400,
    [
      'The instance type "{instanceType}" is not offered here.',
      '本服务不提供实例规格“{instanceType}”。',
    ],
    [
      'The instance type is not in the catalogue of this installation.',
      '该实例规格不在本服务的规格目录中。',
    ],
    [
      'Use an instance type listed by DescribeImageSupportInstanceTypes.',
      '请使用 DescribeImageSupportInstanceTypes 列出的实例规格。',
    ],
  ),
  'InvalidFilterKey.NotFound': e(
    404,
    ['The filter key "{key}" is not supported.', '不支持过滤键“{key}”。'],
    [
      'Filter.N.Key takes CreationStartTime, CreationEndTime, NetworkType, ' +
        'CpuOnlineUpgrade, CpuOnlineDowngrade, MemoryOnlineUpgrade or MemoryOnlineDowngrade.',
      'Filter.N.Key 只支持 CreationStartTime、CreationEndTime、NetworkType、CpuOnlineUpgrade、' +
        'CpuOnlineDowngrade、MemoryOnlineUpgrade、MemoryOnlineDowngrade。',
    ],
    ['Correct the key.', '请修正过滤键。'],
  ),
  InvalidFilterValue: e(
    404,
    [
      'The value "{value}" of filter "{key}" is not valid: {reason}.',
      '过滤条件“{key}”的取值“{value}”无效：{reason}。',
    ],
    [
      'Times are yyyy-MM-ddTHH:mmZ (UTC); hot-plug filters take supported or unsupported.',
      '时间格式为 yyyy-MM-ddTHH:mmZ（UTC）；热插拔过滤的取值为 supported 或 unsupported。',
    ],
    ['Correct the value.', '请修正取值。'],
  ),
  'InvalidFilterValue.NetworkType': e(
    400,
    [
      'NetworkType must be vpc or classic, not "{value}".',
      'NetworkType 只能为 vpc 或 classic，不能为“{value}”。',
    ],
    ['The network type filter has two values.', '网络类型过滤只有两个取值。'],
    ['Use vpc or classic.', '请使用 vpc 或 classic。'],
  ),
  InvalidUsage: e(
    404,
    [
      'Usage must be instance or none, not "{value}".',
      'Usage 只能为 instance 或 none，不能为“{value}”。',
    ],
    ['The usage filter has two values.', '镜像使用情况过滤只有两个取值。'],
    ['Use instance or none.', '请使用 instance 或 none。'],
  ),
  InvalidOSType: e(
    404,
    [
      'OSType must be windows or linux, not "{value}".',
      'OSType 只能为 windows 或 linux，不能为“{value}”。',
    ],
    ['The operating-system filter has two values.', '操作系统类型过滤只有两个取值。'],
    ['Use windows or linux.', '请使用 windows 或 linux。'],
  ),
  InvalidArchitecture: e(
    404,
    [
      'Architecture must be i386, x86_64 or arm64, not "{value}".',
      'Architecture 只能为 i386、x86_64 或 arm64，不能为“{value}”。',
    ],
    ['The architecture filter has three values.', '架构过滤只有三个取值。'],
    ['Use i386, x86_64 or arm64.', '请使用 i386、x86_64 或 arm64。'],
  ),
  IdempotenceParamNotMatch: e(
    400,
    [
      'The ClientToken was used before with different parameters.',
      '该 ClientToken 已用于参数不同的请求。',
    ],
    [
      'A ClientToken stands for one request: a retry must repeat the same parameters (this ' +
        'action reports the mismatch under this code).',
      'ClientToken 代表一次请求：重试时参数必须完全相同（此操作以该错误码报告不一致）。',
    ],
    ['Use a new ClientToken for a different request.', '不同的请求请使用新的 ClientToken。'],
  ),
} satisfies ErrorTable;
