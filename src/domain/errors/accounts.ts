import type { ErrorTable } from './types.js';

/**
 * Errors of ecsimg's own account and RAM-user actions (CreateAccount, CreateRamUser,
 * SetRamUserPolicy …). The codes are those Alibaba Cloud RAM answers for the same mistakes.
 */
export const ACCOUNT_ERRORS = {
  'EntityAlreadyExists.User': {
    status: 409,
    en: 'A RAM user named "{name}" already exists in this account.',
    zh: '本账号下已存在名为“{name}”的 RAM 用户。',
    cause: {
      en: 'RAM user names are unique within an account, and the name is taken.',
      zh: '同一账号下 RAM 用户名必须唯一，该名称已被使用。',
    },
    fix: {
      en: 'Choose another UserName, or change the existing user with SetRamUserPolicy.',
      zh: '换一个 UserName，或用 SetRamUserPolicy 修改已有用户。',
    },
  },
  'EntityNotExist.User': {
    status: 404,
    en: 'There is no RAM user named "{name}" in this account.',
    zh: '本账号下没有名为“{name}”的 RAM 用户。',
    cause: {
      en: 'The UserName is misspelled, or the user belongs to another account.',
      zh: 'UserName 拼写有误，或该用户属于其他账号。',
    },
    fix: {
      en: 'List the users of your account with ListRamUsers (`ecsimg ram list-users`).',
      zh: '用 ListRamUsers（`ecsimg ram list-users`）查看本账号的用户。',
    },
  },
  MalformedPolicyDocument: {
    status: 400,
    en: 'The policy document is not valid: {reason}',
    zh: '权限策略文档无效：{reason}',
    cause: {
      en:
        'PolicyDocument must be JSON of the form {"Version": "1", "Statement": ' +
        '[{"Effect": "Allow" | "Deny", "Action": …, "Resource": …}]}.',
      zh:
        'PolicyDocument 必须是形如 {"Version": "1", "Statement": ' +
        '[{"Effect": "Allow" | "Deny", "Action": …, "Resource": …}]} 的 JSON。',
    },
    fix: {
      en:
        'Fix the JSON; Action and Resource are a string or a list of strings, ' +
        'with `*` and `?` as wildcards.',
      zh: '修正 JSON；Action 与 Resource 为字符串或字符串列表，可用通配符 `*` 和 `?`。',
    },
  },
} satisfies ErrorTable;
