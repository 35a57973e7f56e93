import { e, type ErrorTable } from './types.js';

/**
 * Codes of ImportImage and ExportImage (API-REFERENCE B.4, B.5), raised synchronously by the
 * actions or as the ErrorCode of a failed import/export task. Codes shared with other areas
 * (InvalidOSSBucket.*, NoSetRoletoECSServiceAcount, IncorrectImageStatus, ImageIsExporting …)
 * live in their areas' tables.
 */
export const IMPORT_EXPORT_ERRORS = {
  'MissingParameter.DiskDeviceMapping': e(
    403,
    [
      'ImportImage needs at least one DiskDeviceMapping.',
      'ImportImage 至少需要一个 DiskDeviceMapping。',
    ],
    [
      'DiskDeviceMapping.1 (the system disk) names the OSS object to import and was not sent.',
      '未提供 DiskDeviceMapping.1（系统盘），它指定要导入的 OSS 对象。',
    ],
    [
      'Send DiskDeviceMapping.1.OSSBucket and DiskDeviceMapping.1.OSSObject.',
      '请传入 DiskDeviceMapping.1.OSSBucket 和 DiskDeviceMapping.1.OSSObject。',
    ],
  ),
  'InvalidImageFormat.Malformed': e(
    400,
    ['The disk image is not acceptable: {reason}', '磁盘镜像文件不可接受：{reason}'],
    [
      'Format is not one of RAW, VHD, QCOW2, VMDK, VDI, VHDX; or the file is not what ' +
        'Format says; or the safe inspector refused it (a backing file, an external extent, a ' +
        'corrupt table …).',
      'Format 不是 RAW、VHD、QCOW2、VMDK、VDI、VHDX 之一；或文件内容与 Format 不符；或安全检查拒绝了该文件（引用外部文件、表结构损坏等）。',
    ],
    [
      'Check the file locally with `ecsimg image inspect FILE`, convert it to a ' +
        'self-contained image (`qemu-img convert -O qcow2`), upload it again and import it; ' +
        'leave Format empty to let ecsimg detect it.',
      '请先在本地用 `ecsimg image inspect FILE` 检查文件，转换为不依赖外部文件的镜像（如 `qemu-img convert -O ' +
        'qcow2`）后重新上传并导入；Format 留空可自动识别。',
    ],
  ),
  InvalidImageSize: e(
    400,
    ['The system disk size is not acceptable: {reason}', '系统盘大小不合法：{reason}'],
    [
      'DiskImageSize of the system disk (DiskDeviceMapping.1) is outside the range this ' +
        'deployment allows (40-500 GiB unless configured otherwise), or smaller than the ' +
        'virtual size of the uploaded disk.',
      '系统盘（DiskDeviceMapping.1）的 DiskImageSize 不在本部署允许的范围内（默认 40-500 GiB），或小于上传磁盘的虚拟大小。',
    ],
    [
      "Set DiskImageSize to at least the disk's virtual size (`ecsimg image inspect FILE` " +
        'shows it), within the allowed range.',
      '请将 DiskImageSize 设置为不小于磁盘虚拟大小（可用 `ecsimg image inspect FILE` 查看）且在允许范围内的值。',
    ],
  ),
  InvalidDataDiskSize: e(
    400,
    ['A data disk size is not acceptable: {reason}', '数据盘大小不合法：{reason}'],
    [
      'DiskImageSize of a data disk (DiskDeviceMapping.2-17) is outside the range this ' +
        'deployment allows (1-2048 GiB unless configured otherwise), or smaller than the ' +
        'virtual size of the uploaded disk.',
      '数据盘（DiskDeviceMapping.2-17）的 DiskImageSize 不在本部署允许的范围内（默认 1-2048 GiB），或小于上传磁盘的虚拟大小。',
    ],
    [
      "Set DiskImageSize to at least the disk's virtual size, within the allowed range.",
      '请将 DiskImageSize 设置为不小于磁盘虚拟大小且在允许范围内的值。',
    ],
  ),
  'InvalidArchitecture.Malformed': e(
    400,
    [
      'Architecture must be i386, x86_64 or arm64.',
      'Architecture 取值必须为 i386、x86_64 或 arm64。',
    ],
    ['The value is not one of the supported architectures.', '取值不在支持的架构范围内。'],
    [
      'Send i386, x86_64 or arm64 (default x86_64).',
      '请传入 i386、x86_64 或 arm64（默认 x86_64）。',
    ],
  ),
  'InvalidArchitecture.PlatformUnsupported': e(
    400,
    [
      'The platform "{platform}" is not available for {architecture}.',
      '平台“{platform}”不支持 {architecture} 架构。',
    ],
    [
      'Windows images run on x86 only; arm64 images are Linux.',
      'Windows 镜像只支持 x86 架构；arm64 镜像只能是 Linux。',
    ],
    [
      'Import the image as x86_64, or choose a Linux platform.',
      '请以 x86_64 架构导入，或选择 Linux 平台。',
    ],
  ),
  'InvalidPlatform.Malformed': e(
    400,
    ['Platform "{platform}" is not valid: {reason}', '平台“{platform}”不合法：{reason}'],
    [
      'Platform names one of the documented distributions (CentOS, Ubuntu, Windows Server ' +
        '2022 …) and must agree with OSType.',
      'Platform 必须是文档列出的发行版之一（CentOS、Ubuntu、Windows Server 2022 等），且与 OSType 一致。',
    ],
    [
      'Use a documented platform, "Others Linux" or "Other Windows" when unsure.',
      '请使用文档列出的平台；不确定时使用 “Others Linux” 或 “Other Windows”。',
    ],
  ),
  'InvalidOSType.Malformed': e(
    400,
    ['OSType must be linux or windows.', 'OSType 取值必须为 linux 或 windows。'],
    ['The value is not one of the two operating-system types.', '取值不是两种操作系统类型之一。'],
    ['Send linux (the default) or windows.', '请传入 linux（默认）或 windows。'],
  ),
  'InvalidBootMode.Malformed': e(
    400,
    ['BootMode must be BIOS or UEFI.', 'BootMode 取值必须为 BIOS 或 UEFI。'],
    [
      'The value is not one of the boot modes ImportImage accepts.',
      '取值不是 ImportImage 支持的启动模式。',
    ],
    [
      'Send BIOS (the default for x86) or UEFI (required for arm64).',
      '请传入 BIOS（x86 默认）或 UEFI（arm64 必须）。',
    ],
  ),
  'InvalidLicenseType.BYOLOnly': e(
    400,
    [
      'The platform "{platform}" can only be imported with LicenseType BYOL.',
      '平台“{platform}”只能以 BYOL 许可类型导入。',
    ],
    [
      'No licence can be provided for this Windows platform (desktop or unspecified ' +
        'editions); you bring your own.',
      '该 Windows 平台（桌面版或未指明版本）无法由平台提供许可证，需自带许可证。',
    ],
    [
      'Send LicenseType=BYOL, or a Windows Server platform.',
      '请传入 LicenseType=BYOL，或选择 Windows Server 平台。',
    ],
  ),
  'InvalidParameter.DetectionStrategy': e(
    400,
    ['DetectionStrategy must be Standard.', 'DetectionStrategy 取值必须为 Standard。'],
    ['Standard is the only documented detection strategy.', 'Standard 是文档中唯一的检测策略。'],
    ['Send Standard, or leave the parameter out.', '请传入 Standard，或不传该参数。'],
  ),
  'InvalidParameter.Malformed': e(
    403,
    ['{name} is not valid: {reason}', '{name} 不合法：{reason}'],
    [
      'The deprecated Device field names a device such as /dev/xvda (system) or ' +
        '/dev/xvdb-/dev/xvdz (data).',
      '已弃用的 Device 字段须为 /dev/xvda（系统盘）或 /dev/xvdb-/dev/xvdz（数据盘）之类的设备名。',
    ],
    [
      'Leave Device out (it is deprecated) or send a device name.',
      '请不传 Device（已弃用），或传入设备名。',
    ],
  ),
  'InvalidOSSPrefix.Malformed': e(
    400,
    ['OSSPrefix must be 1-30 letters or digits.', 'OSSPrefix 必须为 1~30 个英文字母或数字。'],
    [
      'The prefix of exported object names allows letters and digits only (no "/" or "-").',
      '导出对象名称的前缀只能包含字母和数字（不能包含“/”或“-”）。',
    ],
    [
      'Send a prefix such as export2024, or leave it out.',
      '请传入形如 export2024 的前缀，或不传。',
    ],
  ),
  ImageNotSupported: e(
    403,
    ['The image "{imageId}" cannot be exported: {reason}', '镜像“{imageId}”不能导出：{reason}'],
    [
      'Images from Alibaba Cloud Marketplace (or derived from one) and encrypted images are ' +
        'not exportable.',
      '云市场镜像（及由其派生的镜像）和加密镜像不能导出。',
    ],
    [
      'Export an image built from a disk you imported yourself.',
      '请导出由您自行导入的磁盘创建的镜像。',
    ],
  ),
  'InvalidImageCategory.NotSupported': e(
    403,
    [
      'The image "{imageId}" is a public system image and cannot be exported.',
      '镜像“{imageId}”为公共系统镜像，不能导出。',
    ],
    ['Only your own custom images can be exported.', '只能导出您自己的自定义镜像。'],
    ['Create a custom image first, then export that.', '请先创建自定义镜像，再导出该镜像。'],
  ),
  'InvalidImage.DiskAmountOrSize': e(
    400,
    ['The image "{imageId}" cannot be exported: {reason}', '镜像“{imageId}”不能导出：{reason}'],
    [
      'An exported image may have at most 4 data disks, each at most 500 GiB.',
      '导出的镜像最多包含 4 块数据盘，且每块数据盘不超过 500 GiB。',
    ],
    ['Export an image with fewer or smaller data disks.', '请导出数据盘数量更少或容量更小的镜像。'],
  ),
  'ConcurrentQuotaExceed.ExportImage': e(
    403,
    [
      'Already {running} image exports in progress in this region (limit {limit}).',
      '本地域已有 {running} 个镜像导出任务在进行（上限 {limit}）。',
    ],
    [
      'Exports run with limited concurrency per account and region.',
      '每个账号在每个地域的并发导出任务数有上限。',
    ],
    [
      'Wait for a running export to finish (DescribeTasks, TaskAction=ExportImage), then ' +
        'retry. Operators raise the limit with ECSIMG_EXPORT_CONCURRENCY.',
      '请等待正在运行的导出任务完成（DescribeTasks，TaskAction=ExportImage）后重试。运维人员可通过 ' +
        'ECSIMG_EXPORT_CONCURRENCY 调高上限。',
    ],
  ),
  'WeeklyQuotaExceed.ExportImage': e(
    403,
    [
      '{count} image exports were started in this region in the last 7 days (limit {limit}).',
      '最近 7 天内本地域已发起 {count} 个镜像导出任务（上限 {limit}）。',
    ],
    [
      'Each account may start a limited number of exports per region in any 7 days; the ' +
        'tasks started in that window count, whatever became of them.',
      '每个账号在每个地域任意 7 天内可发起的导出任务数有上限；窗口内发起的任务无论结果如何都计入。',
    ],
    [
      'Wait until the oldest export of the window is 7 days old (DescribeTasks, ' +
        'TaskAction=ExportImage, shows when each started). Operators set the limit with ' +
        'ECSIMG_EXPORT_WEEKLY_QUOTA.',
      '请等到窗口内最早的导出任务满 7 天后再试（DescribeTasks 的 TaskAction=ExportImage 可查看各任务' +
        '的发起时间）。运维人员可通过 ECSIMG_EXPORT_WEEKLY_QUOTA 设置上限。',
    ],
  ),
  ExportImageFailed: e(
    403,
    ['Exporting the image failed: {reason}', '导出镜像失败：{reason}'],
    [
      'The image has no stored disk content (it was not imported), or writing to the bucket ' +
        'failed.',
      '该镜像没有存储的磁盘内容（不是导入得到的），或写入存储空间失败。',
    ],
    [
      'Check the task with DescribeTaskAttribute, fix the cause, and export again.',
      '请通过 DescribeTaskAttribute 查看任务详情，排除原因后重新导出。',
    ],
  ),
  ImportImageFailed: e(
    403,
    ['Importing the image failed: {reason}', '导入镜像失败：{reason}'],
    [
      'The OSS object changed or disappeared while the import ran, or its content could not ' +
        'be read.',
      '导入过程中 OSS 对象被修改或删除，或无法读取其内容。',
    ],
    [
      'Leave the object unchanged until the import task is Finished, then call ImportImage again.',
      '请在导入任务完成前不要修改该对象，然后重新调用 ImportImage。',
    ],
  ),
} satisfies ErrorTable;
