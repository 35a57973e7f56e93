/**
 * Service-role actions (ecsimg-specific; the cloud does this through RAM and the console's
 * one-click authorization). See domain/roles/ for the rules.
 */
import { isoSeconds } from '../../../domain/time.js';
import type { ServiceRole } from '../../../domain/roles/index.js';
import { defineAction } from '../../context.js';
import { declareAction } from '../spec.js';

const RoleName = {
  type: 'string',
  required: true,
  maxLength: 64,
  pattern: '^[A-Za-z0-9.-]+$',
  invalidCode: 'InvalidRoleName.Malformed',
  description:
    'AliyunECSImageImportDefaultRole, AliyunECSImageExportDefaultRole or a created role.',
} as const;

function render(role: ServiceRole) {
  return {
    RoleName: role.roleName,
    Description: role.description,
    IsDefault: role.isDefault,
    Authorized: role.authorized,
    AuthorizedTime: role.authorizedAt === null ? '' : isoSeconds(role.authorizedAt),
    CreationTime: role.createdAt === null ? '' : isoSeconds(role.createdAt),
  };
}

export const DescribeServiceRolesSpec = declareAction({
  name: 'DescribeServiceRoles',
  resource: 'role',
  summary: {
    en: 'List the service roles of the account and whether ECS is authorized to use them.',
    zh: '查询账号的服务角色及其授权状态。',
  },
  regional: false,
  params: {},
});

export const AuthorizeServiceRoleSpec = declareAction({
  name: 'AuthorizeServiceRole',
  resource: 'role',
  summary: {
    en: 'Authorize ECS to use a service role (needed before ImportImage and ExportImage).',
    zh: '授权 ECS 使用服务角色（导入、导出镜像前需要）。',
  },
  regional: false,
  params: { RoleName },
});

export const RevokeServiceRoleSpec = declareAction({
  name: 'RevokeServiceRole',
  resource: 'role',
  summary: { en: 'Withdraw the authorization of a service role.', zh: '撤销服务角色的授权。' },
  regional: false,
  params: { RoleName },
});

export const CreateServiceRoleSpec = declareAction({
  name: 'CreateServiceRole',
  resource: 'role',
  summary: {
    en: 'Create a service role other than the two default ones.',
    zh: '创建默认角色以外的服务角色。',
  },
  regional: false,
  params: { RoleName, Description: { type: 'string', maxLength: 1024 } },
});

export const DeleteServiceRoleSpec = declareAction({
  name: 'DeleteServiceRole',
  resource: 'role',
  summary: { en: 'Delete a created service role.', zh: '删除创建的服务角色。' },
  regional: false,
  params: { RoleName },
});

export const ROLE_ACTIONS = [
  defineAction(DescribeServiceRolesSpec, async (ctx) => ({
    ServiceRoles: {
      ServiceRole: (await ctx.services.roles.list(ctx.principal.accountId)).map(render),
    },
  })),
  defineAction(AuthorizeServiceRoleSpec, async (ctx, p) =>
    render(await ctx.services.roles.authorize(ctx.principal.accountId, p.RoleName)),
  ),
  defineAction(RevokeServiceRoleSpec, async (ctx, p) =>
    render(await ctx.services.roles.revoke(ctx.principal.accountId, p.RoleName)),
  ),
  defineAction(CreateServiceRoleSpec, async (ctx, p) =>
    render(await ctx.services.roles.create(ctx.principal.accountId, p.RoleName, p.Description)),
  ),
  defineAction(DeleteServiceRoleSpec, async (ctx, p) => {
    await ctx.services.roles.delete(ctx.principal.accountId, p.RoleName);
    return {};
  }),
];
