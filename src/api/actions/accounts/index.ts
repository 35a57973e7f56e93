/**
 * ecsimg's own actions for accounts and RAM users. The cloud manages these in separate products
 * (account sign-up, the RAM API); a self-hosted server needs them on its one endpoint, so they
 * are declared here like any ECS action and called the same way (SDK `callApi`, the CLI, Bearer).
 *
 * Design of RAM users here (simpler than RAM, on purpose):
 *  - a RAM user carries exactly ONE inline policy document; CreateRamUser sets it and
 *    SetRamUserPolicy replaces it whole (no attach/detach ordering to reason about, and a
 *    document may hold any number of statements);
 *  - only the account owner manages its RAM users: a RAM user is refused (Forbidden.RAM) even
 *    when its policy allows the action, so no user can grant itself or others more than the
 *    owner gave;
 *  - policy changes take effect at once in the serving process (the gateway's principal cache
 *    is dropped on change), and within 10 s in other processes sharing the database.
 *
 * TODO(accounts-lifecycle): no DeleteAccount, DeleteRamUser or AccessKey rotation yet; an
 * account or user, once created, keeps its credentials until the database is edited.
 * TODO(principal-cache): several `serve` processes on one database learn of a policy change
 * only when their 10 s principal cache expires; a change counter in the database would fix it.
 */
import { EcsError } from '../../../domain/errors/index.js';
import { isoSeconds } from '../../../domain/time.js';
import { defineAction, type RequestContext } from '../../context.js';
import { declareAction } from '../spec.js';

/** RAM's own limit for a custom policy document. */
export const POLICY_DOCUMENT_MAX_CHARS = 6144;

const NAME_PATTERN = '^[A-Za-z][A-Za-z0-9._-]{0,63}$';

const userName = {
  type: 'string',
  required: true,
  maxLength: 64,
  pattern: NAME_PATTERN,
  description: 'Name of the RAM user, unique in the account: a letter, then letters, digits, ._-',
} as const;

const policyDocument = {
  type: 'string',
  maxLength: POLICY_DOCUMENT_MAX_CHARS,
  description:
    'JSON policy, e.g. {"Version": "1", "Statement": [{"Effect": "Allow", "Action": ' +
    '["ecs:Describe*"], "Resource": "*"}]}. Deny wins over Allow; `*` and `?` are wildcards.',
} as const;

export const CreateAccountSpec = declareAction({
  name: 'CreateAccount',
  resource: 'account',
  summary: {
    en: 'Create an account with its AccessKey pair and API key (administrator only).',
    zh: '创建账号及其 AccessKey 与 API Key（仅管理员）。',
  },
  regional: false,
  adminOnly: true,
  params: {
    AccountName: {
      type: 'string',
      required: true,
      maxLength: 64,
      pattern: NAME_PATTERN,
      description: 'Unique name of the account: a letter, then letters, digits, ".", "_" or "-".',
    },
  },
});

export const ListAccountsSpec = declareAction({
  name: 'ListAccounts',
  resource: 'account',
  summary: { en: 'List the accounts (administrator only).', zh: '列出全部账号（仅管理员）。' },
  regional: false,
  adminOnly: true,
  params: {},
});

export const CreateRamUserSpec = declareAction({
  name: 'CreateRamUser',
  resource: 'account',
  summary: {
    en: 'Create a RAM user of your account with one policy and its own credentials.',
    zh: '为本账号创建 RAM 用户，附带一份权限策略及其专属凭据。',
  },
  regional: false,
  params: {
    UserName: userName,
    PolicyDocument: { ...policyDocument, required: true },
  },
});

export const ListRamUsersSpec = declareAction({
  name: 'ListRamUsers',
  resource: 'account',
  summary: {
    en: 'List the RAM users of your account with their policies.',
    zh: '列出本账号的 RAM 用户及其权限策略。',
  },
  regional: false,
  params: {},
});

export const SetRamUserPolicySpec = declareAction({
  name: 'SetRamUserPolicy',
  resource: 'account',
  summary: {
    en: "Replace a RAM user's policy document.",
    zh: '替换 RAM 用户的权限策略文档。',
  },
  regional: false,
  params: {
    UserName: userName,
    PolicyDocument: { ...policyDocument, required: true },
  },
});

/** Only an account's owner manages its RAM users (see the top of this file for why). */
function requireOwner(ctx: RequestContext, action: string): void {
  if (!ctx.principal.ramUser) return;
  throw new EcsError(
    'Forbidden.RAM',
    { action, resource: `acs:ram:*:${ctx.principal.accountId}:user/*` },
    `RAM users cannot call ${action}; only the account owner manages RAM users.`,
  );
}

const ramResource = (ctx: RequestContext, name?: string) =>
  `acs:ram:*:${ctx.principal.accountId}:user/${name ?? '*'}`;

/** A policy list as the API shows it: the one inline document, as JSON text. */
function policyText(policies: unknown[]): string {
  return JSON.stringify(policies.length === 1 ? policies[0] : { Statement: [] });
}

export const ACCOUNT_ACTIONS = [
  defineAction(CreateAccountSpec, async (ctx, params) => {
    const issued = await ctx.services.accounts.createAccount(params.AccountName);
    ctx.log.info({ accountId: issued.accountId }, '[accounts] account created');
    return {
      AccountId: issued.accountId,
      AccountName: params.AccountName,
      AccessKeyId: issued.accessKeyId,
      AccessKeySecret: issued.accessKeySecret,
      ApiKey: issued.apiKey,
    };
  }),

  defineAction(ListAccountsSpec, async (ctx) => {
    const accounts = await ctx.services.accounts.listAccounts();
    return {
      TotalCount: accounts.length,
      Accounts: {
        Account: accounts.map((a) => ({
          AccountId: a.accountId,
          AccountName: a.name,
          IsAdmin: a.isAdmin,
          CreationTime: isoSeconds(Date.parse(a.createdAt)),
        })),
      },
    };
  }),

  defineAction(
    CreateRamUserSpec,
    async (ctx, params) => {
      requireOwner(ctx, 'CreateRamUser');
      const user = await ctx.services.accounts.createRamUser(
        ctx.principal.accountId,
        params.UserName,
        [params.PolicyDocument],
      );
      ctx.log.info({ userId: user.userId }, '[accounts] RAM user created');
      return {
        AccountId: user.accountId,
        UserId: user.userId,
        UserName: user.userName,
        AccessKeyId: user.accessKeyId,
        AccessKeySecret: user.accessKeySecret,
        ApiKey: user.apiKey,
      };
    },
    { resource: (ctx, params) => ramResource(ctx, params.UserName) },
  ),

  defineAction(
    ListRamUsersSpec,
    async (ctx) => {
      requireOwner(ctx, 'ListRamUsers');
      const users = await ctx.services.accounts.listRamUsers(ctx.principal.accountId);
      return {
        TotalCount: users.length,
        Users: {
          User: users.map((u) => ({
            UserId: u.userId,
            UserName: u.userName,
            PolicyDocument: policyText(u.policies),
            CreationTime: isoSeconds(Date.parse(u.createdAt)),
          })),
        },
      };
    },
    { resource: (ctx) => ramResource(ctx) },
  ),

  defineAction(
    SetRamUserPolicySpec,
    async (ctx, params) => {
      requireOwner(ctx, 'SetRamUserPolicy');
      const user = await ctx.services.accounts.setRamUserPolicies(
        ctx.principal.accountId,
        params.UserName,
        [params.PolicyDocument],
      );
      return {
        UserId: user.userId,
        UserName: user.userName,
        PolicyDocument: policyText(user.policies),
      };
    },
    { resource: (ctx, params) => ramResource(ctx, params.UserName) },
  ),
];
