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
  NoSuchUpload: {
    status: 404,
    en: 'The multipart upload does not exist: {reason}.',
    zh: '分片上传不存在：{reason}。',
    cause: {
      en:
        'The upload ID is misspelled, was completed or aborted, was removed after ' +
        'ECSIMG_MULTIPART_MAX_AGE_MS without being completed, or belongs to another object, ' +
        'bucket or account.',
      zh: '上传 ID 拼写有误、上传已完成或已取消、超过 ECSIMG_MULTIPART_MAX_AGE_MS 未完成而被清理，或属于其他对象、存储空间或账号。',
    },
    fix: {
      en:
        'Start a new upload (`ecsimg oss cp` does so by itself when the one it remembered is ' +
        'gone), and send its parts to the same bucket and key.',
      zh: '请重新发起上传（`ecsimg oss cp` 发现记住的上传已不存在时会自动重新开始），并将分片发送到同一存储空间和对象。',
    },
  },
  InvalidPart: {
    status: 400,
    en: 'A part of the completion list is not acceptable: {reason}.',
    zh: '完成请求中的分片不可接受：{reason}。',
    cause: {
      en:
        'A listed part was never uploaded, was replaced since (its ETag changed), or the list ' +
        'skips a number: ecsimg completes parts 1, 2, 3… without gaps, because each part has ' +
        'its fixed place in the object.',
      zh: '列出的分片从未上传、之后被替换（ETag 已变化），或编号不连续：ecsimg 要求分片从 1 开始连续编号，因为每个分片在对象中的位置是固定的。',
    },
    fix: {
      en:
        'List the stored parts (GET /oss/BUCKET/KEY?uploadId=ID), upload the missing ones, and ' +
        'complete with the ETags the listing shows.',
      zh: '请列出已上传的分片（GET /oss/BUCKET/KEY?uploadId=ID），补传缺少的分片，然后使用列表中的 ETag 完成上传。',
    },
  },
  InvalidPartOrder: {
    status: 400,
    en: 'The parts of a completion must be listed by ascending part number.',
    zh: '完成请求中的分片必须按分片号升序排列。',
    cause: {
      en: 'The list names a part number twice, or a smaller number after a larger one.',
      zh: '列表中某个分片号重复出现，或较小的分片号排在较大的之后。',
    },
    fix: {
      en: 'Sort the parts by PartNumber, each once.',
      zh: '请按 PartNumber 排序，每个分片只列一次。',
    },
  },
  EntityTooSmall: {
    status: 400,
    en: 'A part is smaller than its upload allows: {reason}.',
    zh: '分片小于该上传允许的大小：{reason}。',
    cause: {
      en:
        'Every part but the last is exactly the part size chosen when the upload was ' +
        'initiated (OSS only asks for a minimum); a shorter part can only be the last one.',
      zh: '除最后一个分片外，每个分片的大小必须恰好等于发起上传时选定的分片大小（OSS 只要求最小值）；较短的分片只能是最后一个。',
    },
    fix: {
      en: 'Cut the file into parts of exactly the part size and upload the short part again.',
      zh: '请按分片大小精确切分文件，并重新上传过短的分片。',
    },
  },
  EntityTooLarge: {
    status: 400,
    en: 'A part is larger than its upload allows: {reason}.',
    zh: '分片大于该上传允许的大小：{reason}。',
    cause: {
      en: 'A part was longer than the part size chosen when the upload was initiated.',
      zh: '分片长度超过了发起上传时选定的分片大小。',
    },
    fix: {
      en:
        'Send parts of at most the part size (the initiation answer and the part listing ' +
        'show it as PartSize).',
      zh: '请发送不超过分片大小的分片（发起上传的响应和分片列表中的 PartSize 字段给出该值）。',
    },
  },
  InvalidArgument: {
    status: 400,
    en: 'An argument of the request is not valid: {reason}.',
    zh: '请求参数不合法：{reason}。',
    cause: {
      en:
        'A query parameter or the body of an object request is outside what ecsimg accepts: a ' +
        "part number outside 1-10000, a part size outside the store's limits, a malformed " +
        'completion body, or a query that names no operation.',
      zh: '对象请求的查询参数或请求体超出了 ecsimg 接受的范围：分片号不在 1~10000 之间、分片大小超出存储后端的限制、完成请求体格式错误，或查询参数未指明任何操作。',
    },
    fix: {
      en: 'Correct the value the message names (the README lists the multipart rules).',
      zh: '请修正消息中指出的参数值（README 列出了分片上传的规则）。',
    },
  },
  MissingContentLength: {
    status: 411,
    en: 'A part upload needs a Content-Length header.',
    zh: '上传分片需要 Content-Length 请求头。',
    cause: {
      en:
        'The part was sent with chunked transfer encoding; its length must be known before ' +
        'its first byte, to check it against the part size and to stream it to S3.',
      zh: '分片使用了分块传输编码；必须在收到第一个字节之前知道分片长度，以便与分片大小比对并流式写入 S3。',
    },
    fix: {
      en: 'Send Content-Length with each part (read the part from a file of known size).',
      zh: '请为每个分片发送 Content-Length（从已知大小的文件中读取分片）。',
    },
  },
} satisfies ErrorTable;
