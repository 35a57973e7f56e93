import type { ErrorTable } from './types.js';

/**
 * Service roles (RAM's role for ECS to use the account's OSS). `NoSetRoletoECSServiceAcount` is
 * spelled as the cloud spells it.
 */
export const ROLE_ERRORS = {
  NoSetRoletoECSServiceAcount: {
    status: 403,
    en: 'ECS has no role to access your OSS: authorize the role "{role}" first.',
    zh: 'ECS 服务账号没有访问您 OSS 的角色：请先授权角色“{role}”。',
    cause: {
      en:
        'Import and export read and write your buckets through a service role, and this ' +
        'account has not authorized it (or the role does not exist).',
      zh: '导入和导出通过服务角色读写您的存储空间，而该账号尚未授权此角色（或该角色不存在）。',
    },
    fix: {
      en:
        'Authorize it once: `ecsimg roles authorize AliyunECSImageImportDefaultRole` (or the ' +
        "export role), or use the console's one-click authorization.",
      zh: '授权一次即可：`ecsimg roles authorize AliyunECSImageImportDefaultRole`（或导出角色），也可在控制台一键授权。',
    },
  },
  'EntityNotExist.Role': {
    status: 404,
    en: 'The role "{role}" does not exist.',
    zh: '角色“{role}”不存在。',
    cause: {
      en:
        'Only the two default roles exist without being created; any other role name must be ' +
        'created first.',
      zh: '只有两个默认角色无需创建；其他角色名称需要先创建。',
    },
    fix: {
      en: 'Create it with CreateServiceRole, then authorize it.',
      zh: '请先调用 CreateServiceRole 创建，再进行授权。',
    },
  },
  'EntityAlreadyExists.Role': {
    status: 409,
    en: 'The role "{role}" already exists.',
    zh: '角色“{role}”已存在。',
    cause: {
      en: 'A role of this name was created before in this account.',
      zh: '该账号下已经创建过同名角色。',
    },
    fix: {
      en: 'Authorize the existing role, or choose another name.',
      zh: '请授权已有角色，或换一个名称。',
    },
  },
  'InvalidRoleName.Malformed': {
    status: 400,
    en: 'The role name "{role}" is not valid.',
    zh: '角色名称“{role}”不合法。',
    cause: {
      en: 'Role names are 1-64 characters of letters, digits, periods and hyphens.',
      zh: '角色名称为 1~64 个字符，只能包含字母、数字、英文句点和短划线。',
    },
    fix: {
      en: 'Use a name such as MyImageImportRole.',
      zh: '请使用形如 MyImageImportRole 的名称。',
    },
  },
  'DeleteConflict.Role.Default': {
    status: 400,
    en: 'The default role "{role}" cannot be deleted; revoke it instead.',
    zh: '默认角色“{role}”不能删除，请改为撤销授权。',
    cause: {
      en: 'The default service roles always exist; only their authorization can be withdrawn.',
      zh: '默认服务角色始终存在，只能撤销其授权。',
    },
    fix: {
      en: 'Call RevokeServiceRole.',
      zh: '请调用 RevokeServiceRole。',
    },
  },
} satisfies ErrorTable;
