/**
 * `ecsimg roles list` and `ecsimg roles authorize|revoke|create ROLE`: the service roles
 * ImportImage and ExportImage need (actions in src/api/actions/roles).
 */
import type { Command } from 'commander';
import { addClientOptions, connect, type ClientFlags } from './client/connection.js';
import { withApiErrors } from './client/failure.js';
import type { CliIo } from './io.js';

async function call(io: CliIo, flags: ClientFlags, action: string, params = {}) {
  const { client, lang } = connect(io, flags);
  return withApiErrors(lang, () => client.callAction(action, params));
}

export function registerRoleCommands(program: Command, io: CliIo): void {
  const roles = program
    .command('roles')
    .description('service roles that let ECS read and write your OSS buckets (import/export)');

  addClientOptions(roles.command('list').description('list service roles and their authorization'))
    .option('--json', 'print the API response')
    .action(async (flags: ClientFlags & { json?: boolean }) => {
      const body = await call(io, flags, 'DescribeServiceRoles');
      if (flags.json) return void io.stdout.write(JSON.stringify(body, null, 2) + '\n');
      const list = (body.ServiceRoles as { ServiceRole: Array<Record<string, unknown>> })
        .ServiceRole;
      for (const r of list) {
        const state = r.Authorized ? `authorized ${r.AuthorizedTime}` : 'not authorized';
        io.stdout.write(`${String(r.RoleName).padEnd(36)}  ${state}\n`);
      }
    });

  for (const [verb, action, text] of [
    [
      'authorize',
      'AuthorizeServiceRole',
      'authorize ECS to use ROLE (needed before import/export)',
    ],
    ['revoke', 'RevokeServiceRole', "withdraw ROLE's authorization"],
    ['create', 'CreateServiceRole', 'create a service role other than the two default ones'],
  ] as const) {
    addClientOptions(roles.command(`${verb} <role>`).description(text)).action(
      async (role: string, flags: ClientFlags) => {
        const body = await call(io, flags, action, { RoleName: role });
        const state = body.Authorized ? 'authorized' : 'not authorized';
        io.stdout.write(`${role}: ${state}\n`);
      },
    );
  }
}
