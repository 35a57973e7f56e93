/**
 * The shared ClientToken mechanism, proven without a create action: through a test-only action
 * registered on a gateway of its own (the real pipeline: Bearer auth, decode, handler), and by
 * direct domain calls under concurrency — including two stores on one PostgreSQL schema, as two
 * processes would be.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineAction } from '../../src/api/context.js';
import { CLIENT_TOKEN, IMAGE_NAME } from '../../src/api/actions/common.js';
import { declareAction } from '../../src/api/actions/spec.js';
import { Gateway } from '../../src/api/gateway.js';
import { Idempotency } from '../../src/domain/idempotency/index.js';
import { openStore } from '../../src/store/index.js';
import { BACKENDS, POSTGRES_URL } from '../helpers/databases.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { REGION } from '../images/helpers.js';

const CreateThingSpec = declareAction({
  name: 'CreateTestImage',
  resource: 'image',
  summary: { en: 'test only', zh: '仅用于测试' },
  regional: true,
  params: {
    ImageName: { ...IMAGE_NAME, required: true },
    ClientToken: CLIENT_TOKEN,
  },
});

describe.each(BACKENDS)('ClientToken idempotency on %s', (backend) => {
  let t: TestServer;
  let gateway: Gateway;
  let created = 0;

  beforeAll(async () => {
    t = await startTestServer(backend);
    const services = t.server.services;
    // The handler creates a real image through the domain service, slowly enough that
    // concurrent retries overlap with the first request.
    const action = defineAction(CreateThingSpec, async (ctx, p) =>
      ctx.services.idempotency.withClientToken(
        {
          accountId: ctx.principal.accountId,
          action: 'CreateTestImage',
          token: p.ClientToken,
          params: p,
          mismatchCode: 'IdempotenceParamNotMatch',
        },
        async () => {
          created++;
          await new Promise((r) => setTimeout(r, 50));
          const image = await ctx.services.images.createImage({
            accountId: ctx.principal.accountId,
            regionId: p.RegionId,
            name: p.ImageName,
            origin: 'create',
          });
          return { ImageId: image.id };
        },
      ),
    );
    gateway = new Gateway(services, new Map([[action.spec.name, action]]));
  });
  afterAll(async () => t?.close());

  const call = async (params: Record<string, string>) => {
    const query = new URLSearchParams({ Action: 'CreateTestImage', RegionId: REGION, ...params });
    const res = await gateway.handle({
      method: 'POST',
      url: `/?${query}`,
      headers: { authorization: `Bearer ${t.admin.apiKey}` },
      body: Buffer.alloc(0),
    });
    return { status: res.status, body: res.body as Record<string, any> };
  };

  const countImages = async (name: string) =>
    (
      await t.server.services.store.images.search({
        regionId: REGION,
        viewerId: t.admin.accountId,
        scope: { system: false, self: true, shared: false, community: false, marketplace: false },
        nameContains: name,
        includeExpired: true,
        offset: 0,
        limit: 100,
      })
    ).total;

  it('replays the first result for the same token and parameters', async () => {
    const first = await call({ ImageName: 'replay-one', ClientToken: 'tok-replay' });
    const again = await call({ ImageName: 'replay-one', ClientToken: 'tok-replay' });
    expect(first.status).toBe(200);
    expect(again.body.ImageId).toBe(first.body.ImageId);
    expect(await countImages('replay-one')).toBe(1);
  });

  it('refuses the same token with other parameters with the action’s code', async () => {
    await call({ ImageName: 'mismatch-a', ClientToken: 'tok-mismatch' });
    const other = await call({ ImageName: 'mismatch-b', ClientToken: 'tok-mismatch' });
    expect(other.status).toBe(400);
    expect(other.body.Code).toBe('IdempotenceParamNotMatch');
  });

  it('keeps tokens per account: another account may use the same token', async () => {
    const second = await t.server.services.accounts.createAccount(`acct${Date.now()}`);
    await call({ ImageName: 'per-account', ClientToken: 'tok-shared' });
    const query = new URLSearchParams({
      Action: 'CreateTestImage',
      RegionId: REGION,
      ImageName: 'per-account-2',
      ClientToken: 'tok-shared',
    });
    const res = await gateway.handle({
      method: 'POST',
      url: `/?${query}`,
      headers: { authorization: `Bearer ${second.apiKey}` },
      body: Buffer.alloc(0),
    });
    expect(res.status).toBe(200);
  });

  it('refuses a token longer than 64 characters or with non-ASCII characters', async () => {
    const ok = await call({ ImageName: 'token-64', ClientToken: 'x'.repeat(64) });
    expect(ok.status).toBe(200);
    const long = await call({ ImageName: 'token-65', ClientToken: 'x'.repeat(65) });
    expect(long.body.Code).toBe('InvalidClientToken.Malformed');
    const wide = await call({ ImageName: 'token-cjk', ClientToken: '令牌' });
    expect(wide.body.Code).toBe('InvalidClientToken.Malformed');
  });

  it('answers IdempotentProcessing while the first request runs, then replays it', async () => {
    const first = call({ ImageName: 'in-progress', ClientToken: 'tok-running' });
    await new Promise((r) => setTimeout(r, 10));
    const during = await call({ ImageName: 'in-progress', ClientToken: 'tok-running' });
    expect(during.status).toBe(403);
    expect(during.body.Code).toBe('IdempotentProcessing');
    const done = await first;
    const after = await call({ ImageName: 'in-progress', ClientToken: 'tok-running' });
    expect(after.body.ImageId).toBe(done.body.ImageId);
  });

  it('creates one resource for 50 concurrent requests with one token', async () => {
    const before = created;
    const results = await Promise.all(
      Array.from({ length: 50 }, () => call({ ImageName: 'fifty-at-once', ClientToken: 'tok-50' })),
    );
    expect(created - before).toBe(1);
    expect(await countImages('fifty-at-once')).toBe(1);
    const ids = new Set(results.filter((r) => r.status === 200).map((r) => r.body.ImageId));
    expect(ids.size).toBe(1);
    for (const r of results.filter((r) => r.status !== 200)) {
      expect(r.body.Code).toBe('IdempotentProcessing');
    }
  });

  it('releases the token when the first request fails, so a corrected retry runs', async () => {
    await call({ ImageName: 'fail-first', ClientToken: 'tok-other-name' });
    const failing = await call({ ImageName: 'fail-first', ClientToken: 'tok-fail' });
    expect(failing.body.Code).toBe('InvalidImageName.Duplicated');
    const corrected = await call({ ImageName: 'fail-second', ClientToken: 'tok-fail' });
    expect(corrected.status).toBe(200);
  });

  it('forgets tokens after the retention window (purged lazily)', async () => {
    let now = 1_000_000;
    const idem = new Idempotency(t.server.services.store, () => now, 24 * 3600_000);
    const req = {
      accountId: t.admin.accountId,
      action: 'Clock',
      token: 'tok-clock',
      params: { a: 1 },
    };
    let runs = 0;
    const run = () => idem.withClientToken(req, async () => ({ run: ++runs }));
    expect(await run()).toEqual({ run: 1 });
    now += 24 * 3600_000 - 1;
    expect(await run()).toEqual({ run: 1 });
    now += 2;
    expect(await run()).toEqual({ run: 2 });
  });

  it('lets a retry take over a claim whose holder died', async () => {
    let now = 5_000_000;
    const store = t.server.services.store;
    const idem = new Idempotency(store, () => now);
    const key = { accountId: t.admin.accountId, action: 'Crash', token: 'tok-crash' };
    const req = { ...key, params: { a: 1 } };
    // A claim left `running` by a process that died mid-request.
    const { canonicalParams } = await import('../../src/domain/idempotency/index.js');
    const crypto = await import('node:crypto');
    const hash = crypto.createHash('sha256').update(canonicalParams(req.params)).digest('hex');
    await store.clientTokens.claim(key, hash, now, now + 86_400_000);
    await expect(idem.withClientToken(req, async () => 'x')).rejects.toMatchObject({
      code: 'IdempotentProcessing',
    });
    now += 11 * 60_000;
    expect(await idem.withClientToken(req, async () => 'recovered')).toBe('recovered');
  });
});

describe('ClientToken across two processes sharing one PostgreSQL schema', () => {
  it('creates one result when two stores race with one token', async () => {
    const schema = `t_idem_${Date.now().toString(36)}`;
    const a = await openStore(POSTGRES_URL, { schema });
    const b = await openStore(POSTGRES_URL, { schema });
    try {
      let runs = 0;
      const req = { accountId: '1', action: 'Race', token: 'tok-race', params: { x: 1 } };
      const attempt = (store: typeof a) =>
        new Idempotency(store)
          .withClientToken(req, async () => {
            runs++;
            await new Promise((r) => setTimeout(r, 30));
            return { id: `r-${runs}` };
          })
          .then(
            (v) => ({ ok: v }),
            (e) => ({ code: e.code }),
          );
      const results = await Promise.all(
        Array.from({ length: 25 }, (_, i) => attempt(i % 2 ? a : b)),
      );
      expect(runs).toBe(1);
      const oks = results.filter((r): r is { ok: { id: string } } => 'ok' in r);
      expect(new Set(oks.map((r) => r.ok.id)).size).toBe(1);
      expect(results.every((r) => 'ok' in r || r.code === 'IdempotentProcessing')).toBe(true);
    } finally {
      await a.db.schema
        .dropSchema?.(schema)
        .cascade()
        .execute()
        .catch(() => undefined);
      await a.close();
      await b.close();
    }
  });
});
