import type { ErrorTable } from './types.js';

/**
 * OSS buckets and objects: the ECS codes ImportImage/ExportImage raise about them, and OSS-style
 * codes of the bucket API (`PutBucket`, `/oss/<bucket>/<key>`).
 */
export const OSS_ERRORS = {
  'InvalidOSSBucket.NotFound': {
    status: 400,
    en: 'The OSS bucket "{bucket}" does not exist in this region.',
    zh: 'OSS 存储空间“{bucket}”在该地域不存在。',
    cause: {
      en:
        'The bucket name is misspelled, belongs to another account, or was created in another ' +
        'region.',
      zh: '存储空间名称拼写有误、属于其他账号，或创建在其他地域。',
    },
    fix: {
      en:
        "Create the bucket in the image's region (`ecsimg oss mb oss://NAME --region R`) or " +
        'name one you own there.',
      zh: '在镜像所在地域创建存储空间（`ecsimg oss mb oss://NAME --region R`），或指定您在该地域拥有的存储空间。',
    },
  },
  'InvalidOSSBucket.Malformed': {
    status: 400,
    en: 'The OSS bucket name "{bucket}" is not valid.',
    zh: 'OSS 存储空间名称“{bucket}”不合法。',
    cause: {
      en:
        'Bucket names are 3-63 characters of lower-case letters, digits and hyphens, starting ' +
        'and ending with a letter or digit.',
      zh: '存储空间名称为 3~63 个字符，只能包含小写字母、数字和短划线，且必须以字母或数字开头和结尾。',
    },
    fix: {
      en: 'Use a name such as my-images-2024.',
      zh: '请使用形如 my-images-2024 的名称。',
    },
  },
  'InvalidOSSBucket.NotMatched': {
    status: 400,
    en: 'The OSS bucket "{bucket}" is in region {bucketRegion}, not {regionId}.',
    zh: 'OSS 存储空间“{bucket}”位于地域 {bucketRegion}，而不是 {regionId}。',
    cause: {
      en: 'Images are imported from and exported to buckets of the same region.',
      zh: '镜像只能从同地域的存储空间导入，或导出到同地域的存储空间。',
    },
    fix: {
      en: "Use a bucket in the same region, or call the action in the bucket's region.",
      zh: '请使用同地域的存储空间，或在存储空间所在地域调用该操作。',
    },
  },
  'InvalidOSSObject.NotFound': {
    status: 400,
    en: 'The OSS object "{key}" does not exist in bucket "{bucket}".',
    zh: '存储空间“{bucket}”中不存在 OSS 对象“{key}”。',
    cause: {
      en: 'The object key is misspelled or the upload did not finish.',
      zh: '对象名称拼写有误，或上传尚未完成。',
    },
    fix: {
      en: 'List the bucket (`ecsimg oss ls oss://BUCKET/`) and upload the file if needed.',
      zh: '列出存储空间内容（`ecsimg oss ls oss://BUCKET/`），必要时重新上传文件。',
    },
  },
  'InvalidOSSObject.Malformed': {
    status: 400,
    en: 'The OSS object name "{key}" is not valid.',
    zh: 'OSS 对象名称“{key}”不合法。',
    cause: {
      en:
        'Object names are 1-1023 bytes, must not start with / or \\, and must not contain ' +
        'control characters.',
      zh: '对象名称长度为 1~1023 字节，不能以 / 或 \\ 开头，且不能包含控制字符。',
    },
    fix: {
      en: 'Rename the object.',
      zh: '请修改对象名称。',
    },
  },
  'InvalidOSSObject.Size': {
    status: 400,
    en: 'The OSS object "{key}" is empty.',
    zh: 'OSS 对象“{key}”大小为 0。',
    cause: {
      en: 'An empty file cannot hold a disk image.',
      zh: '空文件不可能包含磁盘镜像。',
    },
    fix: {
      en: 'Upload the disk file again and check that the upload completed.',
      zh: '重新上传磁盘文件，并确认上传已完成。',
    },
  },
  NoSuchBucket: {
    status: 404,
    en: 'The bucket "{bucket}" does not exist.',
    zh: '存储空间“{bucket}”不存在。',
    cause: {
      en: 'No bucket has this name on this server.',
      zh: '本服务中没有该名称的存储空间。',
    },
    fix: {
      en: 'Check the name, or create the bucket with `ecsimg oss mb oss://NAME --region R`.',
      zh: '检查名称，或使用 `ecsimg oss mb oss://NAME --region R` 创建存储空间。',
    },
  },
  NoSuchKey: {
    status: 404,
    en: 'The object "{key}" does not exist in bucket "{bucket}".',
    zh: '存储空间“{bucket}”中不存在对象“{key}”。',
    cause: {
      en: 'The key is misspelled, the object was deleted, or its upload never completed.',
      zh: '对象名称拼写有误、对象已被删除，或其上传从未完成。',
    },
    fix: {
      en: 'List the bucket with `ecsimg oss ls oss://BUCKET/`.',
      zh: '使用 `ecsimg oss ls oss://BUCKET/` 列出存储空间内容。',
    },
  },
  BucketAlreadyExists: {
    status: 409,
    en: 'The bucket name "{bucket}" is already in use.',
    zh: '存储空间名称“{bucket}”已被使用。',
    cause: {
      en: 'Bucket names are unique across the whole server (as on OSS), whoever owns them.',
      zh: '存储空间名称在整个服务内唯一（与 OSS 一致），与所有者无关。',
    },
    fix: {
      en: 'Choose another name.',
      zh: '请换一个名称。',
    },
  },
  InvalidBucketName: {
    status: 400,
    en: 'The bucket name "{bucket}" is not valid.',
    zh: '存储空间名称“{bucket}”不合法。',
    cause: {
      en:
        'Bucket names are 3-63 characters of lower-case letters, digits and hyphens, starting ' +
        'and ending with a letter or digit.',
      zh: '存储空间名称为 3~63 个字符，只能包含小写字母、数字和短划线，且必须以字母或数字开头和结尾。',
    },
    fix: {
      en: 'Use a name such as my-images-2024.',
      zh: '请使用形如 my-images-2024 的名称。',
    },
  },
  InvalidObjectName: {
    status: 400,
    en: 'The object name is not valid: {reason}.',
    zh: '对象名称不合法：{reason}。',
    cause: {
      en:
        'Object names are 1-1023 bytes, must not start with / or \\, and must not contain ' +
        'control characters; on the filesystem backend each /-separated part is at most 253 ' +
        'bytes.',
      zh: '对象名称长度为 1~1023 字节，不能以 / 或 \\ 开头，不能包含控制字符；文件系统后端下每个以 / 分隔的部分最多 253 字节。',
    },
    fix: {
      en: 'Rename the object.',
      zh: '请修改对象名称。',
    },
  },
  BucketNotEmpty: {
    status: 409,
    en: 'The bucket "{bucket}" still holds objects.',
    zh: '存储空间“{bucket}”中仍有对象。',
    cause: {
      en: 'Only an empty bucket can be deleted.',
      zh: '只能删除空的存储空间。',
    },
    fix: {
      en: 'Delete its objects first (`ecsimg oss rm oss://BUCKET/KEY`).',
      zh: '请先删除其中的对象（`ecsimg oss rm oss://BUCKET/KEY`）。',
    },
  },
  AccessDenied: {
    status: 403,
    en: 'You have no access to the bucket "{bucket}".',
    zh: '您无权访问存储空间“{bucket}”。',
    cause: {
      en: 'The bucket belongs to another account.',
      zh: '该存储空间属于其他账号。',
    },
    fix: {
      en: 'Use a bucket of your own account, or ask its owner to copy the object for you.',
      zh: '请使用您自己账号下的存储空间，或请其所有者为您复制对象。',
    },
  },
  InvalidRange: {
    status: 416,
    en: 'The requested range is not satisfiable for an object of {size} bytes.',
    zh: '对于大小为 {size} 字节的对象，请求的范围无效。',
    cause: {
      en: 'The Range header starts at or beyond the end of the object.',
      zh: 'Range 请求头的起始位置超出了对象末尾。',
    },
    fix: {
      en: 'Ask for a range inside the object (HEAD the object for its size).',
      zh: '请请求对象范围内的数据（可用 HEAD 获取对象大小）。',
    },
  },
  BadDigest: {
    status: 400,
    en: 'The uploaded body does not match its declared SHA-256.',
    zh: '上传内容与声明的 SHA-256 不一致。',
    cause: {
      en:
        "x-acs-content-sha256 named a digest other than the body's: the body was altered or " +
        'cut short in transit.',
      zh: 'x-acs-content-sha256 声明的摘要与实际内容不符：内容在传输中被修改或被截断。',
    },
    fix: {
      en: 'Upload again; send UNSIGNED-PAYLOAD if the digest cannot be computed in advance.',
      zh: '请重新上传；无法预先计算摘要时可发送 UNSIGNED-PAYLOAD。',
    },
  },
} satisfies ErrorTable;
