import type { ErrorTable } from './types.js';

/** Errors any action can raise: transport, signatures, parameters, authorization, throttling. */
export const GATEWAY_ERRORS = {
  MissingParameter: {
    status: 400,
    en: 'The required parameter "{name}" is missing from the request.',
    zh: '请求缺少必填参数“{name}”。',
    cause: {
      en:
        'The action needs this parameter and the request did not carry it (an empty value ' +
        'counts as absent for required parameters).',
      zh: '该操作需要此参数，但请求中没有提供（必填参数的空值视为未提供）。',
    },
    fix: {
      en:
        'Add the parameter to the request. `ecsimg <Action> --help` lists every parameter of ' +
        'an action.',
      zh: '在请求中加上该参数。`ecsimg <Action> --help` 会列出该操作的全部参数。',
    },
  },
  InvalidParameter: {
    status: 400,
    en: 'The value of parameter "{name}" is not valid: {reason}.',
    zh: '参数“{name}”的取值无效：{reason}。',
    cause: {
      en:
        'The value has the wrong type, is outside the allowed range, or is not one of the ' +
        'allowed values.',
      zh: '取值类型不对、超出允许范围，或不在允许的取值列表中。',
    },
    fix: {
      en:
        'Check the parameter against the action reference and send a value of the right type ' +
        'and range.',
      zh: '对照操作的参数说明，提供类型和范围都正确的取值。',
    },
  },
  InvalidParamter: {
    status: 400,
    en: 'The value of parameter "{name}" is not valid: {reason}.',
    zh: '参数“{name}”的取值无效：{reason}。',
    cause: {
      en: 'Some actions report a bad value under this (misspelled, as on the cloud) code.',
      zh: '部分操作以这个（与云上一致、拼写有误的）错误码报告无效取值。',
    },
    fix: {
      en: 'Correct the value named in the message.',
      zh: '按提示修正对应参数的取值。',
    },
  },
  'InvalidAction.NotFound': {
    status: 404,
    en: 'The action "{action}" does not exist or is not supported by this server.',
    zh: '操作“{action}”不存在，或本服务不支持。',
    cause: {
      en:
        'The Action parameter (or x-acs-action header) names an action ecsimg does not ' +
        'implement, or it is misspelled.',
      zh: 'Action 参数（或 x-acs-action 请求头）指定的操作 ecsimg 未实现，或拼写有误。',
    },
    fix: {
      en:
        'Check the spelling (actions are PascalCase, e.g. DescribeImages). `ecsimg actions` ' +
        'lists what this server supports.',
      zh: '检查拼写（操作名为大驼峰形式，如 DescribeImages）。`ecsimg actions` 可列出本服务支持的操作。',
    },
  },
  InvalidVersion: {
    status: 400,
    en: 'API version "{version}" is not supported; use 2014-05-26.',
    zh: '不支持 API 版本“{version}”，请使用 2014-05-26。',
    cause: {
      en:
        'The Version parameter or x-acs-version header carries a version other than the ECS ' +
        'image API version ecsimg speaks.',
      zh: 'Version 参数或 x-acs-version 请求头的版本不是 ecsimg 所实现的 ECS 镜像 API 版本。',
    },
    fix: {
      en: 'Use the ECS client (@alicloud/ecs20140526) or set Version=2014-05-26.',
      zh: '使用 ECS 客户端（@alicloud/ecs20140526），或设置 Version=2014-05-26。',
    },
  },
  IncompleteSignature: {
    status: 400,
    en: 'The request is not signed, or its signature fields are incomplete.',
    zh: '请求未签名，或签名字段不完整。',
    cause: {
      en:
        'No Authorization header and no Signature parameter were found, or a required signing ' +
        'field (AccessKeyId, Timestamp, SignatureNonce, SignatureMethod) is missing or ' +
        'malformed.',
      zh:
        '既没有 Authorization 请求头也没有 Signature ' +
        '参数，或缺少/格式错误的签名字段（AccessKeyId、Timestamp、SignatureNonce、SignatureMethod）。',
    },
    fix: {
      en: 'Call through an official SDK, or send `Authorization: Bearer <apiKey>`.',
      zh: '请通过官方 SDK 调用，或发送 `Authorization: Bearer <apiKey>`。',
    },
  },
  SignatureDoesNotMatch: {
    status: 400,
    en: 'The request signature does not match the one computed by the server.',
    zh: '请求签名与服务端计算的签名不一致。',
    cause: {
      en:
        'The AccessKey secret is wrong, a parameter or header changed after signing (a proxy ' +
        'rewriting Host, for example), or the client encodes parameters differently.',
      zh: 'AccessKey Secret 不正确、签名后参数或请求头被改动（例如代理改写了 Host），或客户端编码方式不同。',
    },
    fix: {
      en:
        'Check the AccessKey secret; make sure nothing between the client and ecsimg rewrites ' +
        'the request.',
      zh: '检查 AccessKey Secret；确保客户端与 ecsimg 之间没有组件改写请求。',
    },
  },
  'InvalidAccessKeyId.NotFound': {
    status: 404,
    en: 'The AccessKey ID is not known to this server.',
    zh: '本服务中不存在该 AccessKey ID。',
    cause: {
      en:
        'The AccessKey ID was never created here, was deleted, or belongs to another ecsimg ' +
        'installation.',
      zh: '该 AccessKey ID 从未在此创建、已被删除，或属于另一套 ecsimg。',
    },
    fix: {
      en:
        'Use the credentials in <data-dir>/credentials.json or create an account with `ecsimg ' +
        'accounts create`.',
      zh: '使用 <data-dir>/credentials.json 中的凭据，或通过 `ecsimg accounts create` 创建账号。',
    },
  },
  'InvalidApiKey.NotFound': {
    status: 401,
    en: 'The API key is not valid.',
    zh: 'API Key 无效。',
    cause: {
      en: 'The Bearer token is not an API key issued by this server.',
      zh: 'Bearer 令牌不是本服务签发的 API Key。',
    },
    fix: {
      en: 'Use the apiKey from credentials.json or from `ecsimg accounts create`.',
      zh: '使用 credentials.json 或 `ecsimg accounts create` 输出中的 apiKey。',
    },
  },
  'InvalidTimeStamp.Expired': {
    status: 400,
    en: 'The request time is more than 15 minutes away from the server time.',
    zh: '请求时间与服务端时间相差超过 15 分钟。',
    cause: {
      en: "The client's clock is off, or an old signed request was sent again.",
      zh: '客户端时钟不准，或重发了旧的已签名请求。',
    },
    fix: {
      en: 'Synchronise the client clock (NTP) and sign the request anew.',
      zh: '同步客户端时钟（NTP）后重新签名请求。',
    },
  },
  SignatureNonceUsed: {
    status: 400,
    en: 'This signature nonce has already been used.',
    zh: '该签名随机数已被使用过。',
    cause: {
      en:
        'A signed request was replayed: every request must carry a new SignatureNonce ' +
        '(x-acs-signature-nonce).',
      zh: '已签名的请求被重放：每个请求都必须携带新的 SignatureNonce（x-acs-signature-nonce）。',
    },
    fix: {
      en: 'Let the SDK sign each attempt anew instead of resending the same bytes.',
      zh: '让 SDK 为每次尝试重新签名，而不是重发相同的请求。',
    },
  },
  'Throttling.User': {
    status: 400,
    en: 'Too many requests from this AccessKey; slow down and retry.',
    zh: '该 AccessKey 的请求过于频繁，请降低频率后重试。',
    cause: {
      en:
        'The per-AccessKey rate limit configured on this server (ECSIMG_RATE_LIMIT_RPS) was ' +
        'exceeded.',
      zh: '超出了本服务配置的单 AccessKey 频率限制（ECSIMG_RATE_LIMIT_RPS）。',
    },
    fix: {
      en:
        'Retry after the delay in the x-acs-retry-after header, or ask the operator to raise ' +
        'the limit.',
      zh: '按 x-acs-retry-after 响应头给出的时间后重试，或请管理员提高限额。',
    },
  },
  Forbidden: {
    status: 403,
    en: 'You are not allowed to perform this operation.',
    zh: '您无权执行此操作。',
    cause: {
      en: 'The operation is reserved to the administrator account.',
      zh: '该操作仅限管理员账号执行。',
    },
    fix: {
      en: "Use the administrator's credentials (credentials.json in the server's data directory).",
      zh: '请使用管理员凭据（服务数据目录下的 credentials.json）。',
    },
  },
  'Forbidden.RAM': {
    status: 403,
    en: 'The RAM user is not authorised to call {action} on {resource}.',
    zh: 'RAM 用户无权对 {resource} 调用 {action}。',
    cause: {
      en:
        'No policy attached to the RAM user allows the action on the resource, or a Deny ' +
        'statement matches.',
      zh: 'RAM 用户的策略没有允许对该资源执行此操作，或有 Deny 语句命中。',
    },
    fix: {
      en:
        'Ask the account owner to attach a policy with Effect Allow for "ecs:{action}" (and ' +
        'no matching Deny).',
      zh: '请账号所有者为该用户添加 Effect 为 Allow、Action 为 “ecs:{action}” 的策略（且没有命中的 Deny）。',
    },
  },
  DryRunOperation: {
    status: 400,
    en: 'The request would have succeeded; nothing was done because DryRun is set.',
    zh: '请求校验通过；由于设置了 DryRun，未实际执行。',
    cause: {
      en: 'DryRun=true asks the server to check parameters, permissions and quotas without acting.',
      zh: 'DryRun=true 表示只检查参数、权限和配额，不实际执行。',
    },
    fix: {
      en: 'Send the same request without DryRun to perform it.',
      zh: '去掉 DryRun 后再次发送相同请求即可执行。',
    },
  },
  'DRYRUN.SUCCESS': {
    status: 400,
    en: 'The import would have started; nothing was done because DryRun is set.',
    zh: '导入请求校验通过；由于设置了 DryRun，未实际执行。',
    cause: {
      en:
        'DryRun=true on ImportImage checks the parameters, the bucket and object, the service ' +
        'role and the quotas without importing; ImportImage names this outcome DRYRUN.SUCCESS.',
      zh:
        'ImportImage 设置 DryRun=true 时只检查参数、存储空间与对象、服务角色和配额，不实际导入；' +
        'ImportImage 用 DRYRUN.SUCCESS 表示这一结果。',
    },
    fix: {
      en: 'Send the same request without DryRun to start the import.',
      zh: '去掉 DryRun 后再次发送相同请求即可开始导入。',
    },
  },
  'InvalidRegionId.NotFound': {
    status: 404,
    en: 'The region "{regionId}" does not exist on this server.',
    zh: '本服务不存在地域“{regionId}”。',
    cause: {
      en: 'RegionId names a region that is not in the configured list (ECSIMG_REGIONS).',
      zh: 'RegionId 指定的地域不在配置的地域列表（ECSIMG_REGIONS）中。',
    },
    fix: {
      en: 'Call DescribeRegions for the regions this server offers.',
      zh: '调用 DescribeRegions 查看本服务提供的地域。',
    },
  },
  InternalError: {
    status: 500,
    en: 'The server failed to process the request because of an unexpected error.',
    zh: '服务端处理请求时发生意外错误。',
    cause: {
      en:
        'A fault inside ecsimg, not in the request. The server log has the details under this ' +
        'RequestId.',
      zh: 'ecsimg 内部故障，与请求内容无关。服务日志中以该 RequestId 记录了详情。',
    },
    fix: {
      en: 'Retry; if it persists, report it with the RequestId.',
      zh: '请重试；若持续出现，请附上 RequestId 反馈。',
    },
  },
  ServiceUnavailable: {
    status: 503,
    en: 'The service is temporarily unavailable.',
    zh: '服务暂时不可用。',
    cause: {
      en: 'The server is starting, shutting down, or a backend (database, store) is out of reach.',
      zh: '服务正在启动或关闭，或后端（数据库、存储）无法访问。',
    },
    fix: {
      en: 'Retry in a few seconds.',
      zh: '请几秒后重试。',
    },
  },
  'InvalidClientToken.Malformed': {
    status: 400,
    en: 'ClientToken must be 1 to 64 ASCII characters.',
    zh: 'ClientToken 须为 1 到 64 个 ASCII 字符。',
    cause: {
      en:
        'The idempotency token is empty, longer than 64 characters or holds non-ASCII ' +
        'characters.',
      zh: '幂等令牌为空、超过 64 个字符或含有非 ASCII 字符。',
    },
    fix: {
      en: 'Generate a token such as a UUID for each distinct request.',
      zh: '为每个不同的请求生成一个令牌，例如 UUID。',
    },
  },
  IdempotentParameterMismatch: {
    status: 400,
    en: 'This ClientToken was used before with different parameters.',
    zh: '该 ClientToken 此前已用于参数不同的请求。',
    cause: {
      en: 'A retry must repeat the first request exactly; a new request needs a new token.',
      zh: '重试必须与首次请求完全相同；新的请求需要新的令牌。',
    },
    fix: {
      en: 'Use a fresh ClientToken, or resend the original parameters.',
      zh: '使用新的 ClientToken，或重新发送原始参数。',
    },
  },
  IdempotentProcessing: {
    status: 403,
    en: 'The first request with this ClientToken is still being processed.',
    zh: '使用该 ClientToken 的首次请求仍在处理中。',
    cause: {
      en: 'A retry arrived while the original request had not finished.',
      zh: '原请求尚未完成时收到了重试请求。',
    },
    fix: {
      en: 'Wait a moment and retry with the same token; you will get the first result.',
      zh: '稍候用同一令牌重试，将得到首次请求的结果。',
    },
  },
} satisfies ErrorTable;
