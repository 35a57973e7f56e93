/**
 * The CLI as a client of a real server (in-process, SQLite): any action by name, credentials from
 * flags, environment, profiles and the data directory, failures printed with cause and fix.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS } from '../../src/api/actions/index.js';
import { declareAction } from '../../src/api/actions/spec.js';
import { collectParams } from '../../src/api/protocol/params.js';
import { readCredential } from '../../src/api/protocol/signatures.js';
import { runActionCommand } from '../../src/cli/client/action-command.js';
import { CATALOGUE } from '../../src/domain/errors/index.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { cli, tempHome } from './run.js';

let t: TestServer;
let env: Record<string, string>;
let adminFlags: string[];

beforeAll(async () => {
  t = await startTestServer('sqlite');
  env = { ECSIMG_ENDPOINT: t.url };
  adminFlags = ['--data-dir', t.database.dataDir];
});
afterAll(async () => t?.close());

const regionIds = (stdout: string) =>
  (JSON.parse(stdout).Regions.Region as Array<{ RegionId: string }>).map((r) => r.RegionId);

describe('ecsimg <Action>', () => {
  it('calls an action as the administrator (--data-dir), printing indented JSON', async () => {
    const r = await cli(['DescribeRegions', ...adminFlags, '--AcceptLanguage', 'en-US'], env);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/^\{\n {2}"RequestId": "[0-9A-F-]{36}",\n/);
    expect(regionIds(r.stdout)).toHaveLength(7);
    expect(JSON.parse(r.stdout).Regions.Region[0].LocalName).toBe('China (Hangzhou)');
  });

  it('authenticates with an API key or an AccessKey, from flags or the environment', async () => {
    const ways: Array<[string[], Record<string, string>]> = [
      [['--api-key', t.admin.apiKey], {}],
      [
        ['--access-key-id', t.admin.accessKeyId, '--access-key-secret', t.admin.accessKeySecret],
        {},
      ],
      [[], { ECSIMG_API_KEY: t.admin.apiKey }],
      [
        [],
        {
          ECSIMG_ACCESS_KEY_ID: t.admin.accessKeyId,
          ECSIMG_ACCESS_KEY_SECRET: t.admin.accessKeySecret,
        },
      ],
      [
        ['--endpoint', t.url],
        { ECSIMG_ENDPOINT: 'http://127.0.0.1:1', ECSIMG_API_KEY: t.admin.apiKey },
      ],
    ];
    for (const [flags, extraEnv] of ways) {
      const r = await cli(['DescribeRegions', ...flags], { ...env, ...extraEnv });
      expect(r.stderr, flags.join(' ')).toBe('');
      expect(regionIds(r.stdout)).toContain('cn-hangzhou');
    }
  });

  it('prints the code, message, cause and fix of a refused call and exits 3', async () => {
    const r = await cli(['DescribeRegions', ...adminFlags, '--AcceptLanguage', 'xx'], env);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('InvalidParameter (HTTP 400)');
    expect(r.stderr).toContain('AcceptLanguage');
    expect(r.stderr).toMatch(/request id: [0-9A-F-]{36}/);
    expect(r.stderr).toContain(`cause: ${CATALOGUE.InvalidParameter.cause.en}`);
    expect(r.stderr).toContain(`fix: ${CATALOGUE.InvalidParameter.fix.en}`);
  });

  it('prints cause and fix in Chinese with --lang zh', async () => {
    const r = await cli(['NoSuchAction', ...adminFlags, '--lang', 'zh'], env);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('InvalidAction.NotFound (HTTP 404)');
    expect(r.stderr).toContain(CATALOGUE['InvalidAction.NotFound'].fix.zh);
  });

  it('refuses to guess credentials, and says how to give them (exit 2)', async () => {
    const r = await cli(['DescribeRegions'], env);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('no credentials');
    expect(r.stderr).toContain('fix: pass --api-key');
  });

  it('reports an unreachable server with exit 4', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const r = await cli([
      'DescribeRegions',
      '--api-key',
      'k',
      '--endpoint',
      `http://127.0.0.1:${port}`,
    ]);
    expect(r.code).toBe(4);
    expect(r.stderr).toContain(`cannot reach http://127.0.0.1:${port}`);
    expect(r.stderr).toContain('fix: check that `ecsimg serve` runs');
  });

  it("prints an action's declared parameters for --help, without a server", async () => {
    const r = await cli(['DescribeRegions', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('DescribeRegions: List the regions this server offers.');
    for (const name of ['AcceptLanguage', 'InstanceChargeType', 'ResourceType']) {
      expect(r.stdout).toContain(`--${name} <string>`);
    }
    expect(r.stdout).toContain('zh-CN | zh-TW | en-US');
    expect(r.stdout).toContain('default zh-CN');

    const create = await cli(['CreateRamUser', '--help', '--lang', 'zh']);
    expect(create.stdout).toContain('为本账号创建 RAM 用户');
    expect(create.stdout).toMatch(/--UserName <string>\s+required; at most 64 characters/);
    for (const line of create.stdout.split('\n')) expect(line.length).toBeLessThanOrEqual(100);

    const unknown = await cli(['NoSuchAction', '--help']);
    expect(unknown.code).toBe(2);
  });

  it('lists every declared action with `ecsimg actions`', async () => {
    const r = await cli(['actions']);
    for (const action of ACTIONS) {
      expect(r.stdout).toContain(`${action.spec.name}`);
      expect(r.stdout).toContain(action.spec.summary.en);
    }
  });
});

describe('ecsimg configure', () => {
  it('writes a 0600 profile from flags that later commands use', async () => {
    const home = tempHome();
    const saved = await cli(
      ['configure', '--endpoint', t.url, '--api-key', t.admin.apiKey, '--region', 'cn-beijing'],
      { HOME: home },
    );
    expect(saved.code).toBe(0);

    const file = path.join(home, '.ecsimg', 'config.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    const content = JSON.parse(fs.readFileSync(file, 'utf8'));
    expect(content.current).toBe('default');
    expect(content.profiles.default).toEqual({
      endpoint: t.url,
      apiKey: t.admin.apiKey,
      region: 'cn-beijing',
    });

    const r = await cli(['DescribeRegions'], { HOME: home });
    expect(r.code).toBe(0);
    expect(regionIds(r.stdout)).toHaveLength(7);

    const listed = await cli(['configure', '--list'], { HOME: home });
    expect(listed.stdout).toContain('* default');
    expect(listed.stdout).not.toContain(t.admin.apiKey);
  });

  it('keeps named profiles apart and refuses a profile that does not exist', async () => {
    const home = tempHome();
    await cli(['configure', '--endpoint', 'http://127.0.0.1:1', '--api-key', 'wrong'], {
      HOME: home,
    });
    await cli(
      ['configure', '--profile', 'lab', '--endpoint', t.url, '--data-dir', t.database.dataDir],
      {
        HOME: home,
      },
    );

    const viaLab = await cli(['DescribeRegions', '--profile', 'lab'], { HOME: home });
    expect(viaLab.code).toBe(0);
    const missing = await cli(['DescribeRegions', '--profile', 'nope'], { HOME: home });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no profile named "nope"');
  });

  it('asks for each setting when run without flags, and does not echo the secret', async () => {
    const home = tempHome();
    const answers = [
      t.url,
      'cn-shanghai',
      'ak',
      t.admin.accessKeyId,
      t.admin.accessKeySecret,
      'zh',
    ];
    const r = await cli(['configure'], { HOME: home }, answers.join('\n') + '\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Server URL [http://127.0.0.1:8080]:');
    expect(r.stdout).not.toContain(t.admin.accessKeySecret);

    const profile = JSON.parse(fs.readFileSync(path.join(home, '.ecsimg', 'config.json'), 'utf8'))
      .profiles.default;
    expect(profile).toEqual({
      endpoint: t.url,
      region: 'cn-shanghai',
      accessKeyId: t.admin.accessKeyId,
      accessKeySecret: t.admin.accessKeySecret,
      lang: 'zh',
    });
    expect((await cli(['DescribeRegions'], { HOME: home })).code).toBe(0);
  });

  it('stops with a usage error when the answers run out', async () => {
    const r = await cli(['configure'], { HOME: tempHome() }, `${t.url}\n`);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('input ended');
  });
});

describe('ecsimg accounts and ecsimg ram', () => {
  it('creates an account and prints exactly its four credentials with --json', async () => {
    const r = await cli(['accounts', 'create', 'carol', '--json', ...adminFlags], env);
    expect(r.code, r.stderr).toBe(0);
    const creds = JSON.parse(r.stdout);
    expect(Object.keys(creds)).toEqual(['accountId', 'accessKeyId', 'accessKeySecret', 'apiKey']);
    expect(creds.accountId).toMatch(/^\d{16}$/);

    const call = await cli(
      [
        'DescribeRegions',
        '--access-key-id',
        creds.accessKeyId,
        '--access-key-secret',
        creds.accessKeySecret,
      ],
      env,
    );
    expect(call.code).toBe(0);

    const list = await cli(['accounts', 'list', ...adminFlags], env);
    expect(list.stdout).toMatch(new RegExp(`${creds.accountId}\\s+carol`));

    // carol is not the administrator.
    const refused = await cli(['accounts', 'create', 'dave', '--api-key', creds.apiKey], env);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('Forbidden (HTTP 403)');
    expect(refused.stderr).toContain(`fix: ${CATALOGUE.Forbidden.fix.en}`);
  });

  it('creates, lists and re-scopes RAM users, whose policy the server enforces', async () => {
    const owner = JSON.parse(
      (await cli(['accounts', 'create', 'erin', '--json', ...adminFlags], env)).stdout,
    );
    const ownerFlags = ['--api-key', owner.apiKey];

    const created = await cli(
      ['ram', 'create-user', 'ops', '--allow', 'ecs:Describe*', '--json', ...ownerFlags],
      env,
    );
    expect(created.code, created.stderr).toBe(0);
    const ops = JSON.parse(created.stdout);
    expect(ops.accountId).toBe(owner.accountId);

    const listed = await cli(['ram', 'list-users', ...ownerFlags], env);
    expect(listed.stdout).toMatch(/^ops\s+ram-/m);
    expect(listed.stdout).toContain('"ecs:Describe*"');

    const opsFlags = ['--api-key', ops.apiKey];
    expect((await cli(['DescribeRegions', ...opsFlags], env)).code).toBe(0);

    const policyFile = path.join(tempHome(), 'deny.json');
    fs.writeFileSync(
      policyFile,
      JSON.stringify({ Statement: [{ Effect: 'Deny', Action: 'ecs:*', Resource: '*' }] }),
    );
    const set = await cli(
      ['ram', 'set-policy', 'ops', '--policy-file', policyFile, ...ownerFlags],
      env,
    );
    expect(set.code, set.stderr).toBe(0);

    const denied = await cli(['DescribeRegions', ...opsFlags], env);
    expect(denied.code).toBe(3);
    expect(denied.stderr).toContain('Forbidden.RAM (HTTP 403)');

    const bad = await cli(['ram', 'create-user', 'x', '--policy', '{', ...ownerFlags], env);
    expect(bad.stderr).toContain('MalformedPolicyDocument');
    const none = await cli(['ram', 'create-user', 'x', ...ownerFlags], env);
    expect(none.code).toBe(2);
  });
});

describe('ecsimg explain', () => {
  it('prints status, message, cause and fix, finding the code in any case', async () => {
    const r = await cli(['explain', 'invalidaction.notfound']);
    expect(r.code).toBe(0);
    const entry = CATALOGUE['InvalidAction.NotFound'];
    expect(r.stdout.split('\n')[0]).toBe('InvalidAction.NotFound');
    expect(r.stdout).toContain(`HTTP status: ${entry.status}`);
    expect(r.stdout).toContain(entry.cause.en);
    expect(r.stdout).toContain(entry.fix.en);
  });

  it('speaks Chinese with --lang zh or a Chinese locale', async () => {
    const entry = CATALOGUE['Forbidden.RAM'];
    const flag = await cli(['explain', 'Forbidden.RAM', '--lang', 'zh']);
    expect(flag.stdout).toContain(entry.fix.zh);
    const locale = await cli(['explain', 'Forbidden.RAM'], { LANG: 'zh_CN.UTF-8' });
    expect(locale.stdout).toContain(entry.cause.zh);
    const override = await cli(['explain', 'Forbidden.RAM'], { LANG: 'zh_CN.UTF-8', LC_ALL: 'C' });
    expect(override.stdout).toContain(entry.cause.en);
  });

  it('exits 1 with a hint for a code it does not know', async () => {
    const r = await cli(['explain', 'InvalidParameters']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('"InvalidParameters" is not an error code ecsimg knows');
    expect(r.stderr).toContain('similar: InvalidParameter');
  });
});

describe('what the CLI puts on the wire', () => {
  // A server that records requests, to see the parameters the CLI sends and check its signature.
  let recorder: http.Server;
  let seen: Array<{ url: string; headers: http.IncomingHttpHeaders }> = [];
  let url = '';

  beforeAll(async () => {
    recorder = http.createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ RequestId: 'R-1' }));
    });
    await new Promise<void>((resolve) => recorder.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(recorder.address() as net.AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => recorder.close(() => resolve())));

  const Share = declareAction({
    name: 'ModifyImageSharePermission',
    resource: 'image',
    summary: { en: 'share', zh: '共享' },
    regional: true,
    params: {
      ImageId: { type: 'string', required: true },
      AddAccount: { type: 'list', of: { type: 'string' } },
    },
  });

  it('fills RegionId from --region, numbers lists and signs with ACS3', async () => {
    seen = [];
    const io = { stdout: process.stdout, stderr: process.stderr, env: { HOME: tempHome() } };
    const out: string[] = [];
    io.stdout = { write: (s: string) => out.push(s) } as never;
    const argv = [
      'ModifyImageSharePermission',
      '--ImageId',
      'm-1',
      '--AddAccount',
      '111',
      '222',
      '--region',
      'cn-shenzhen',
      '--endpoint',
      url,
      '--access-key-id',
      'LTAItest',
      '--access-key-secret',
      'secret-0123456789',
    ];
    const code = await runActionCommand(argv, io, new Map([[Share.name, { spec: Share }]]));
    expect(code).toBe(0);
    expect(JSON.parse(out.join(''))).toEqual({ RequestId: 'R-1' });

    const request = seen[0];
    const query = new URLSearchParams(request.url.slice(2));
    expect(Object.fromEntries(query)).toEqual({
      ImageId: 'm-1',
      'AddAccount.1': '111',
      'AddAccount.2': '222',
      RegionId: 'cn-shenzhen',
    });
    expect(request.headers['x-acs-action']).toBe('ModifyImageSharePermission');

    const raw = {
      method: 'POST',
      url: request.url,
      headers: request.headers,
      body: Buffer.alloc(0),
    };
    const credential = readCredential(raw, collectParams(raw), Date.now());
    expect(credential.scheme).toBe('acs3');
    expect(credential.scheme !== 'bearer' && credential.verify('secret-0123456789')).toBe(true);
  });

  it('keeps an explicit --RegionId over --region', async () => {
    seen = [];
    const io = {
      stdout: { write: () => true } as never,
      stderr: process.stderr,
      env: {
        HOME: tempHome(),
        ECSIMG_REGION: 'cn-beijing',
        ECSIMG_API_KEY: 'k',
        ECSIMG_ENDPOINT: url,
      },
    };
    const actions = new Map([[Share.name, { spec: Share }]]);
    await runActionCommand(['ModifyImageSharePermission', '--ImageId', 'm'], io, actions);
    await runActionCommand(
      ['ModifyImageSharePermission', '--ImageId', 'm', '--RegionId', 'us-west-1'],
      io,
      actions,
    );
    const regions = seen.map((s) => new URLSearchParams(s.url.slice(2)).get('RegionId'));
    expect(regions).toEqual(['cn-beijing', 'us-west-1']);
    expect(seen[0].headers.authorization).toBe('Bearer k');
  });
});
