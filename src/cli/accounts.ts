/**
 * Account administration through the API: `ecsimg accounts create|list` (administrator) and
 * `ecsimg ram create-user|list-users|set-policy` (an account owner's RAM users).
 * Each command is one call of an action in src/api/actions/accounts.
 */
import fs from 'node:fs';
import type { Command } from 'commander';
import { addClientOptions, connect, type ClientFlags } from './client/connection.js';
import { withApiErrors } from './client/failure.js';
import { CliError, EXIT, type CliIo } from './io.js';

interface JsonFlag {
  json?: boolean;
}

interface PolicyFlags {
  policy?: string;
  policyFile?: string;
  allow?: string[];
}

/** Runs one action with the command's connection, turning API failures into printed errors. */
async function call(io: CliIo, flags: ClientFlags, action: string, params = {}) {
  const { client, lang } = connect(io, flags);
  return withApiErrors(lang, () => client.callAction(action, params));
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * The policy a `ram` command was given: `--policy JSON`, `--policy-file FILE`, or a list of
 * actions to allow on every resource (`--allow 'ecs:Describe*' ecs:CreateImage`).
 */
export function policyFromFlags(opts: PolicyFlags): string {
  const given = [opts.policy, opts.policyFile, opts.allow].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new CliError(
      'give the policy once: --policy JSON, --policy-file FILE or --allow ACTION…',
      EXIT.usage,
      "e.g. --allow 'ecs:Describe*' (quote wildcards so the shell leaves them alone)",
    );
  }
  if (opts.policy !== undefined) return opts.policy;
  if (opts.policyFile !== undefined) {
    try {
      return fs.readFileSync(opts.policyFile, 'utf8');
    } catch (err) {
      throw new CliError(`cannot read ${opts.policyFile}: ${(err as Error).message}`, EXIT.io);
    }
  }
  return JSON.stringify({
    Version: '1',
    Statement: [{ Effect: 'Allow', Action: opts.allow, Resource: '*' }],
  });
}

function printCredentials(io: CliIo, body: Record<string, unknown>, json: boolean, who: string) {
  const creds = {
    accountId: String(body.AccountId),
    accessKeyId: String(body.AccessKeyId),
    accessKeySecret: String(body.AccessKeySecret),
    apiKey: String(body.ApiKey),
  };
  if (json) {
    io.stdout.write(JSON.stringify(creds) + '\n');
    return;
  }
  io.stdout.write(
    [
      `${who} created.`,
      `  account id:        ${creds.accountId}`,
      `  AccessKey ID:      ${creds.accessKeyId}`,
      `  AccessKey secret:  ${creds.accessKeySecret}`,
      `  API key:           ${creds.apiKey}`,
      'The secret and the API key are shown only now; keep them somewhere safe.',
    ].join('\n') + '\n',
  );
}

export function registerAccountCommands(program: Command, io: CliIo): void {
  const accounts = program.command('accounts').description('manage accounts (administrator)');

  addClientOptions(
    accounts
      .command('create')
      .description('create an account and print its AccessKey pair and API key')
      .argument('<name>', 'unique account name (a letter, then letters, digits, ._-)')
      .option('--json', 'print {"accountId","accessKeyId","accessKeySecret","apiKey"} only'),
  ).action(async (name: string, opts: ClientFlags & JsonFlag) => {
    const body = await call(io, opts, 'CreateAccount', { AccountName: name });
    printCredentials(io, body, !!opts.json, `Account ${name}`);
  });

  addClientOptions(
    accounts.command('list').description('list the accounts').option('--json', 'print JSON'),
  ).action(async (opts: ClientFlags & JsonFlag) => {
    const body = await call(io, opts, 'ListAccounts');
    const list = (body.Accounts as { Account: Array<Record<string, unknown>> }).Account;
    if (opts.json) {
      io.stdout.write(JSON.stringify(list, null, 2) + '\n');
      return;
    }
    const rows = list.map((a) => [
      String(a.AccountId),
      String(a.AccountName),
      a.IsAdmin ? 'admin' : '',
      String(a.CreationTime),
    ]);
    io.stdout.write(table([['ACCOUNT ID', 'NAME', 'ROLE', 'CREATED'], ...rows]) + '\n');
  });

  const ram = program.command('ram').description("manage your account's RAM users");

  addClientOptions(
    ram
      .command('create-user')
      .description('create a RAM user with one policy; prints its credentials')
      .argument('<name>', 'user name, unique in the account')
      .option('--policy <json>', 'policy document as JSON text')
      .option('--policy-file <file>', 'policy document in a file')
      .option('--allow <actions...>', "allow these actions on every resource, e.g. 'ecs:Describe*'")
      .option('--json', 'print {"accountId","accessKeyId","accessKeySecret","apiKey"} only'),
  ).action(async (name: string, opts: ClientFlags & JsonFlag & PolicyFlags) => {
    const PolicyDocument = policyFromFlags(opts);
    const body = await call(io, opts, 'CreateRamUser', { UserName: name, PolicyDocument });
    printCredentials(io, body, !!opts.json, `RAM user ${name}`);
  });

  addClientOptions(
    ram.command('list-users').description('list the RAM users and their policies').option('--json'),
  ).action(async (opts: ClientFlags & JsonFlag) => {
    const body = await call(io, opts, 'ListRamUsers');
    const users = (body.Users as { User: Array<Record<string, unknown>> }).User;
    if (opts.json) {
      io.stdout.write(JSON.stringify(users, null, 2) + '\n');
      return;
    }
    if (users.length === 0) {
      io.stdout.write('No RAM users yet: `ecsimg ram create-user NAME --allow ACTION` adds one.\n');
      return;
    }
    const rows = users.map((u) => [
      String(u.UserName),
      String(u.UserId),
      String(u.CreationTime),
      String(u.PolicyDocument),
    ]);
    io.stdout.write(table([['NAME', 'USER ID', 'CREATED', 'POLICY'], ...rows]) + '\n');
  });

  addClientOptions(
    ram
      .command('set-policy')
      .description("replace a RAM user's policy document")
      .argument('<name>', 'user name')
      .option('--policy <json>', 'policy document as JSON text')
      .option('--policy-file <file>', 'policy document in a file')
      .option('--allow <actions...>', 'allow these actions on every resource'),
  ).action(async (name: string, opts: ClientFlags & PolicyFlags) => {
    const PolicyDocument = policyFromFlags(opts);
    await call(io, opts, 'SetRamUserPolicy', { UserName: name, PolicyDocument });
    io.stdout.write(`The policy of RAM user ${name} was replaced.\n`);
  });
}
