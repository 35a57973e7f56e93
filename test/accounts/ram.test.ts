/**
 * Accounts and RAM users end to end: the administrator creates an account, its owner creates
 * RAM users with policies, and the gateway enforces them (Forbidden.RAM, Deny wins, resource
 * wildcards). Runs on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineAction } from '../../src/api/context.js';
import { declareAction } from '../../src/api/actions/spec.js';
import { ACTIONS_BY_NAME } from '../../src/api/actions/index.js';
import { Gateway } from '../../src/api/gateway.js';
import { callApi } from '../gateway/call-api.js';
import { BACKENDS } from '../helpers/databases.js';
import { Ecs, bearerCall, ecsClient, startTestServer, type TestServer } from '../helpers/server.js';

interface Issued {
  accountId: string;
  accessKeyId: string;
  accessKeySecret: string;
  apiKey: string;
}

function issued(body: Record<string, any>): Issued {
  return {
    accountId: body.AccountId,
    accessKeyId: body.AccessKeyId,
    accessKeySecret: body.AccessKeySecret,
    apiKey: body.ApiKey,
  };
}

const policy = (...Statement: object[]) => JSON.stringify({ Version: '1', Statement });

describe.each(BACKENDS)('accounts and RAM users on %s', (backend) => {
  let t: TestServer;
  let alice: Issued;

  beforeAll(async () => {
    t = await startTestServer(backend);
    const created = await bearerCall(t, 'CreateAccount', { AccountName: 'alice' });
    expect(created.status).toBe(200);
    alice = issued(created.body);
  });
  afterAll(async () => t?.close());

  /** Creates a RAM user of alice's account with `doc` and returns its credentials. */
  async function ramUser(name: string, doc: string): Promise<Issued> {
    const res = await bearerCall(
      t,
      'CreateRamUser',
      { UserName: name, PolicyDocument: doc },
      alice.apiKey,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return issued(res.body);
  }

  it('creates an account through the SDK, whose credentials then work with it', async () => {
    const viaSdk = await callApi(ecsClient(t), 'CreateAccount', { AccountName: 'bob' });
    expect(viaSdk.statusCode).toBe(200);
    expect(Object.keys(viaSdk.body).sort()).toEqual([
      'AccessKeyId',
      'AccessKeySecret',
      'AccountId',
      'AccountName',
      'ApiKey',
      'RequestId',
    ]);
    const bob = issued(viaSdk.body);
    expect(
      (await ecsClient(t, bob).describeRegions(new Ecs.DescribeRegionsRequest({}))).statusCode,
    ).toBe(200);
  });

  it('lists accounts to the administrator', async () => {
    expect(alice.accountId).toMatch(/^[1-8]\d{15}$/);
    const list = await bearerCall(t, 'ListAccounts');
    const names = list.body.Accounts.Account.map((a: { AccountName: string }) => a.AccountName);
    expect(names).toEqual(['admin', 'alice', 'bob']);
    expect(list.body.TotalCount).toBe(3);
    expect(list.body.Accounts.Account[0].IsAdmin).toBe(true);
  });

  it('refuses CreateAccount and ListAccounts to a non-administrator', async () => {
    for (const action of ['CreateAccount', 'ListAccounts']) {
      const res = await bearerCall(t, action, { AccountName: 'mallory' }, alice.apiKey);
      expect(res.status).toBe(403);
      expect(res.body.Code).toBe('Forbidden');
    }
    await expect(
      callApi(ecsClient(t, alice), 'CreateAccount', { AccountName: 'mallory' }),
    ).rejects.toMatchObject({ code: 'Forbidden', statusCode: 403 });
  });

  it('refuses a second account with a name in use', async () => {
    const res = await bearerCall(t, 'CreateAccount', { AccountName: 'alice' });
    expect(res.status).toBe(400);
    expect(res.body.Code).toBe('InvalidParameter');
  });

  it('lets a RAM user allowed ecs:Describe* describe, and refuses it anything else', async () => {
    const reader = await ramUser(
      'reader',
      policy({ Effect: 'Allow', Action: 'ecs:Describe*', Resource: '*' }),
    );
    expect(reader.accountId).toBe(alice.accountId);

    const ok = await ecsClient(t, reader).describeRegions(new Ecs.DescribeRegionsRequest({}));
    expect(ok.statusCode).toBe(200);

    const refused = await bearerCall(
      t,
      'SetRamUserPolicy',
      { UserName: 'reader', PolicyDocument: policy({ Effect: 'Allow', Action: '*' }) },
      reader.apiKey,
    );
    expect(refused.status).toBe(403);
    expect(refused.body.Code).toBe('Forbidden.RAM');
    expect(refused.body.Message).toContain('SetRamUserPolicy');
  });

  it('lets an explicit Deny win over Allow, and applies a policy change at once', async () => {
    const user = await ramUser('denied', policy({ Effect: 'Allow', Action: 'ecs:*' }));
    const client = ecsClient(t, user);
    expect((await client.describeRegions(new Ecs.DescribeRegionsRequest({}))).statusCode).toBe(200);

    const changed = await bearerCall(
      t,
      'SetRamUserPolicy',
      {
        UserName: 'denied',
        PolicyDocument: policy(
          { Effect: 'Allow', Action: 'ecs:*', Resource: '*' },
          { Effect: 'Deny', Action: 'ecs:DescribeRegions', Resource: '*' },
        ),
      },
      alice.apiKey,
    );
    expect(changed.status).toBe(200);

    // The principal was cached by the first call; the change must not wait for the cache.
    await expect(client.describeRegions(new Ecs.DescribeRegionsRequest({}))).rejects.toMatchObject({
      code: 'Forbidden.RAM',
      statusCode: 403,
    });
  });

  it('keeps RAM-user management to the owner even when a policy allows everything', async () => {
    const admin = await ramUser('wide', policy({ Effect: 'Allow', Action: '*', Resource: '*' }));
    for (const action of ['ListRamUsers', 'CreateRamUser']) {
      const res = await bearerCall(
        t,
        action,
        { UserName: 'escalate', PolicyDocument: policy({ Effect: 'Allow', Action: '*' }) },
        admin.apiKey,
      );
      expect(res.status).toBe(403);
      expect(res.body.Code).toBe('Forbidden.RAM');
    }
  });

  it('lists the RAM users of the calling account only', async () => {
    const mine = await bearerCall(t, 'ListRamUsers', {}, alice.apiKey);
    const names = mine.body.Users.User.map((u: { UserName: string }) => u.UserName);
    expect(names).toEqual(expect.arrayContaining(['reader', 'denied', 'wide']));
    const reader = mine.body.Users.User.find((u: { UserName: string }) => u.UserName === 'reader');
    expect(JSON.parse(reader.PolicyDocument).Statement[0].Action).toBe('ecs:Describe*');

    const adminsOwn = await bearerCall(t, 'ListRamUsers');
    expect(adminsOwn.body.Users.User).toEqual([]);
  });

  it('answers RAM error codes for a taken name, an unknown user and a bad policy', async () => {
    const dup = await bearerCall(
      t,
      'CreateRamUser',
      { UserName: 'reader', PolicyDocument: policy({ Effect: 'Allow', Action: '*' }) },
      alice.apiKey,
    );
    expect([dup.status, dup.body.Code]).toEqual([409, 'EntityAlreadyExists.User']);

    const missing = await bearerCall(
      t,
      'SetRamUserPolicy',
      { UserName: 'nobody', PolicyDocument: policy({ Effect: 'Allow', Action: '*' }) },
      alice.apiKey,
    );
    expect([missing.status, missing.body.Code]).toEqual([404, 'EntityNotExist.User']);

    for (const doc of ['{not json', '{"Statement":[]}', policy({ Effect: 'Maybe', Action: '*' })]) {
      const bad = await bearerCall(
        t,
        'CreateRamUser',
        { UserName: 'bad', PolicyDocument: doc },
        alice.apiKey,
      );
      expect([bad.status, bad.body.Code]).toEqual([400, 'MalformedPolicyDocument']);
    }
  });

  it('matches Resource wildcards against the resource an action names', async () => {
    // A test action naming one resource per call, as image actions will.
    const spec = declareAction({
      name: 'DeleteWidget',
      resource: 'widget',
      summary: { en: 'test', zh: '测试' },
      regional: true,
      params: { WidgetId: { type: 'string', required: true } },
    });
    const actions = new Map(ACTIONS_BY_NAME);
    actions.set(
      'DeleteWidget',
      defineAction(spec, async (_ctx, params) => ({ Deleted: params.WidgetId }), {
        resource: (ctx, params) =>
          `acs:ecs:${params.RegionId}:${ctx.principal.accountId}:widget/${params.WidgetId}`,
      }),
    );
    const gateway = new Gateway(t.server.services, actions);
    const user = await ramUser(
      'widgets',
      policy({
        Effect: 'Allow',
        Action: 'ecs:DeleteWidget',
        Resource: `acs:ecs:cn-*:${alice.accountId}:widget/w-dev-*`,
      }),
    );

    const call = async (widget: string, region = 'cn-hangzhou') => {
      const query = new URLSearchParams({
        Action: 'DeleteWidget',
        RegionId: region,
        WidgetId: widget,
      });
      const res = await gateway.handle({
        method: 'POST',
        url: `/?${query}`,
        headers: { authorization: `Bearer ${user.apiKey}` },
        body: Buffer.alloc(0),
      });
      return res.status === 200 ? 'allowed' : String(res.body.Code);
    };
    expect(await call('w-dev-1')).toBe('allowed');
    expect(await call('w-dev-1', 'cn-beijing')).toBe('allowed');
    expect(await call('w-dev-1', 'us-west-1')).toBe('Forbidden.RAM');
    expect(await call('w-prod-1')).toBe('Forbidden.RAM');
  });
});
