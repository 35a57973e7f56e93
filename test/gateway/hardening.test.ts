/**
 * The gateway's edges: throttling, unknown actions and versions, 16 KB parameters in the URL,
 * DryRun, the operational routes (/metrics, /healthz, /api/errors), and a fuzz proving that no
 * malformed request is answered with a 5xx.
 */
import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTIONS, ACTIONS_BY_NAME } from '../../src/api/actions/index.js';
import { declareAction } from '../../src/api/actions/spec.js';
import { defineAction } from '../../src/api/context.js';
import { Gateway } from '../../src/api/gateway.js';
import { pct } from '../../src/api/protocol/encoding.js';
import { CATALOGUE, EcsError } from '../../src/domain/errors/index.js';
import {
  Ecs,
  bearerCall,
  ecsClient,
  popClient,
  startTestServer,
  type TestServer,
} from '../helpers/server.js';
import { signV1, v1Envelope } from '../helpers/sign.js';
import { callApi } from './call-api.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer('sqlite');
});
afterAll(async () => t?.close());

function signedV1Url(params: Record<string, string>, secret = t.admin.accessKeySecret): string {
  const all: Record<string, string> = { ...v1Envelope(t.admin.accessKeyId), ...params };
  all.Signature = signV1(all, secret);
  return `${t.url}/?${Object.keys(all)
    .map((k) => `${pct(k)}=${pct(all[k])}`)
    .join('&')}`;
}

/** 16 KB of template-like text: newlines, quotes, reserved characters and Chinese. */
function bigTemplate(bytes = 16 * 1024): string {
  const line = 'RUN echo "hello & goodbye" > /tmp/x?y=1#frag 中文 100% (ok)*!~\n';
  let text = '';
  while (Buffer.byteLength(text + line) <= bytes) text += line;
  return text;
}

describe('throttling', () => {
  let limited: TestServer;
  beforeAll(async () => {
    limited = await startTestServer('sqlite', {
      ECSIMG_RATE_LIMIT_RPS: '0.5',
      ECSIMG_RATE_LIMIT_BURST: '2',
    });
  });
  afterAll(async () => limited?.close());

  it('answers Throttling.User past the burst; the v7 SDK raises ThrottlingError', async () => {
    const client = ecsClient(limited);
    const request = () => client.describeRegions(new Ecs.DescribeRegionsRequest({}));
    await request();
    await request();

    const err = await request().then(
      () => undefined,
      (e: Record<string, unknown>) => e,
    );
    expect(err).toMatchObject({
      name: 'ThrottlingError',
      code: 'Throttling.User',
      statusCode: 400,
    });
    // x-acs-retry-after is in milliseconds: one token at 0.5 per second takes 2 s.
    expect(err?.retryAfter).toBe(2000);
  });

  it('keeps one bucket per AccessKey', async () => {
    const other = await bearerCall(limited, 'CreateAccount', { AccountName: 'other' });
    expect(other.status).toBe(200);
    const client = ecsClient(limited, {
      accessKeyId: other.body.AccessKeyId,
      accessKeySecret: other.body.AccessKeySecret,
    });
    const res = await client.describeRegions(new Ecs.DescribeRegionsRequest({}));
    expect(res.statusCode).toBe(200);
  });
});

describe('requests the gateway cannot route', () => {
  it('answers InvalidAction.NotFound for an action it does not have (SDK callApi)', async () => {
    await expect(callApi(ecsClient(t), 'DescribeUnicorns', {})).rejects.toMatchObject({
      name: 'ClientError',
      code: 'InvalidAction.NotFound',
      statusCode: 404,
    });
  });

  it('answers InvalidVersion for another API version, in a parameter or a header', async () => {
    const res = await fetch(signedV1Url({ Action: 'DescribeRegions', Version: '2016-03-14' }));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { Code: string }).Code).toBe('InvalidVersion');

    const viaHeader = await fetch(`${t.url}/?Action=DescribeRegions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.admin.apiKey}`, 'x-acs-version': '2017-01-01' },
    });
    expect(((await viaHeader.json()) as { Code: string }).Code).toBe('InvalidVersion');
  });

  it('answers MissingParameter when no action is named', async () => {
    const res = await fetch(`${t.url}/?Version=2014-05-26`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.admin.apiKey}` },
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { Message: string }).Message).toContain('"Action"');
  });
});

describe('16 KB parameters in the query string', () => {
  const template = bigTemplate();

  it('verifies a hand-signed v1 GET carrying 16 KB', async () => {
    const url = signedV1Url({ Action: 'DescribeRegions', BuildContent: template });
    // Past Node's default 16 KiB header limit, which would answer a bare 431.
    expect(url.length).toBeGreaterThan(16 * 1024 + 8 * 1024);
    const res = await fetch(url);
    expect(res.status).toBe(200);
  });

  it('serves the v7 SDK (ACS3) sending 16 KB through callApi', async () => {
    const res = await callApi(ecsClient(t), 'DescribeRegions', {
      AcceptLanguage: 'en-US',
      BuildContent: template,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body.Regions.Region).toHaveLength(7);
  });

  it('serves pop-core (v1 GET) and the SDK with v2 signatures sending 16 KB', async () => {
    const pop = (await popClient(t).request('DescribeRegions', { BuildContent: template })) as {
      Regions: unknown;
    };
    expect(pop.Regions).toBeDefined();
    const v2 = await callApi(ecsClient(t, t.admin, 'v2'), 'DescribeRegions', {
      BuildContent: template,
    });
    expect(v2.statusCode).toBe(200);
  });
});

describe('DryRun', () => {
  // No real action declares DryRun yet, so a test action does: it records what ran.
  const ran: string[] = [];
  const spec = declareAction({
    name: 'DeleteGadget',
    resource: 'gadget',
    summary: { en: 'test', zh: '测试' },
    regional: true,
    dryRun: true,
    params: { GadgetId: { type: 'string', required: true } },
  });
  const actions = new Map(ACTIONS_BY_NAME);
  actions.set(
    spec.name,
    defineAction(
      spec,
      async (_ctx, params) => {
        ran.push(`handle ${params.GadgetId}`);
        return { Deleted: true };
      },
      {
        validate: async (_ctx, params) => {
          ran.push(`validate ${params.GadgetId}`);
          if (params.GadgetId === 'g-missing')
            throw new EcsError('InvalidParameter', {
              name: 'GadgetId',
              reason: 'no such gadget',
            });
        },
      },
    ),
  );

  async function call(params: Record<string, string>) {
    const gateway = new Gateway(t.server.services, actions);
    const query = new URLSearchParams({ Action: spec.name, RegionId: 'cn-hangzhou', ...params });
    return gateway.handle({
      method: 'POST',
      url: `/?${query}`,
      headers: { authorization: `Bearer ${t.admin.apiKey}` },
      body: Buffer.alloc(0),
    });
  }

  it('validates and answers DryRunOperation without acting', async () => {
    ran.length = 0;
    const res = await call({ GadgetId: 'g-1', DryRun: 'true' });
    expect([res.status, res.body.Code]).toEqual([400, 'DryRunOperation']);
    expect(ran).toEqual(['validate g-1']);
  });

  it('answers the validation error instead when the dry run would fail', async () => {
    ran.length = 0;
    const res = await call({ GadgetId: 'g-missing', DryRun: 'true' });
    expect(res.body.Code).toBe('InvalidParameter');
    expect(ran).toEqual(['validate g-missing']);
  });

  it('acts when DryRun is false, and refuses a DryRun that is not a boolean', async () => {
    ran.length = 0;
    expect((await call({ GadgetId: 'g-2', DryRun: 'false' })).status).toBe(200);
    expect(ran).toEqual(['handle g-2']);
    expect((await call({ GadgetId: 'g-3', DryRun: 'perhaps' })).body.Code).toBe('InvalidParameter');
  });

  it('still checks parameters before a dry run', async () => {
    const res = await call({ DryRun: 'true' });
    expect(res.body.Code).toBe('MissingParameter');
  });
});

describe('operational routes', () => {
  /** The value of one series of ecsimg_api_requests_total, 0 when absent. */
  async function requestCount(labels: string): Promise<number> {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`ecsimg_api_requests_total{${labels}}`));
    return line ? Number(line.split(' ').pop()) : 0;
  }

  it('counts requests by action, status and code at /metrics in Prometheus text', async () => {
    const ok = 'action="DescribeRegions",status="200",code=""';
    const bad = 'action="DescribeRegions",status="400",code="InvalidParameter"';
    const okBefore = await requestCount(ok);
    const badBefore = await requestCount(bad);

    await bearerCall(t, 'DescribeRegions');
    await bearerCall(t, 'DescribeRegions');
    await bearerCall(t, 'DescribeRegions', { AcceptLanguage: 'klingon' });

    const res = await fetch(`${t.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toContain('# TYPE ecsimg_api_requests_total counter');
    expect(text).toContain('# TYPE ecsimg_api_request_duration_seconds histogram');
    expect(await requestCount(ok)).toBe(okBefore + 2);
    expect(await requestCount(bad)).toBe(badBefore + 1);
  });

  it('answers /healthz', async () => {
    const res = await fetch(`${t.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('serves the error catalogue at /api/errors and one code at /api/errors/:code', async () => {
    const all = (await (await fetch(`${t.url}/api/errors`)).json()) as {
      errors: Array<{ code: string; status: number; fix: { en: string; zh: string } }>;
    };
    expect(all.errors.map((e) => e.code).sort()).toEqual(Object.keys(CATALOGUE).sort());
    const ram = all.errors.find((e) => e.code === 'Forbidden.RAM');
    expect(ram?.status).toBe(403);
    expect(ram?.fix.zh).toBe(CATALOGUE['Forbidden.RAM'].fix.zh);

    const one = await fetch(`${t.url}/api/errors/signaturedoesnotmatch`);
    expect(await one.json()).toMatchObject({ code: 'SignatureDoesNotMatch', found: true });
    const none = await fetch(`${t.url}/api/errors/Nope`);
    expect(none.status).toBe(404);
  });
});

/** Sends bytes as one HTTP/1.1 request on a fresh connection; resolves to the status code. */
function rawStatus(request: Buffer): Promise<number> {
  const { port } = new URL(t.url);
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(port), '127.0.0.1');
    let head = '';
    socket.on('data', (chunk) => {
      head += chunk.toString('latin1');
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      if (m) {
        resolve(Number(m[1]));
        socket.destroy();
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(head ? Number(head.slice(9, 12)) : 0));
    socket.end(request);
  });
}

describe('malformed input never gets a 5xx', () => {
  const queryChar = fc.constantFrom(
    ...'aZ09.&=%+-_~*!\'()[]{}|\\^`"<>;:,@$/?#'.split(''),
    '%2',
    '%ZZ',
    '%00',
    '%E4%B8',
    '%C0%AF',
    'Action=',
    'Action=DescribeRegions',
    'Action=CreateRamUser',
    'Version=2014-05-26',
    'RegionId=',
    'Signature=',
    'Tag.1.Key=',
    '.1',
    '.99999999',
    '中',
  );
  const query = fc.array(queryChar, { maxLength: 60 }).map((parts) => parts.join(''));
  const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,120}$/);
  const header = fc.oneof(
    headerValue.map((v) => `authorization: ${v}`),
    headerValue.map((v) => `authorization: Bearer ${v}`),
    fc
      .tuple(headerValue, headerValue, fc.stringMatching(/^[0-9a-f]{0,64}$/))
      .map(
        ([id, h, sig]) =>
          `authorization: ACS3-HMAC-SHA256 Credential=${id},SignedHeaders=${h},Signature=${sig}`,
      ),
    headerValue.map((v) => `x-acs-date: ${v}`),
    headerValue.map((v) => `x-acs-action: ${v}`),
    headerValue.map((v) => `x-acs-version: ${v}`),
    headerValue.map((v) => `x-acs-signature-nonce: ${v}`),
    headerValue.map((v) => `x-acs-content-sha256: ${v}`),
    headerValue.map((v) => `content-type: ${v}`),
    fc.constant('content-type: application/x-www-form-urlencoded'),
    headerValue.map((v) => `accept-language: ${v}`),
  );

  it('answers random query strings, headers and bodies with a status below 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
        query,
        fc.array(header, { maxLength: 6 }),
        query,
        async (method, q, headers, body) => {
          const bodyBytes = Buffer.from(body, 'utf8');
          const request = Buffer.concat([
            Buffer.from(
              `${method} /?${q} HTTP/1.1\r\nhost: ${new URL(t.url).host}\r\n` +
                headers.map((h) => `${h}\r\n`).join('') +
                `content-length: ${bodyBytes.length}\r\nconnection: close\r\n\r\n`,
              'utf8',
            ),
            bodyBytes,
          ]);
          const status = await rawStatus(request);
          expect(status, request.toString('utf8')).toBeGreaterThanOrEqual(200);
          expect(status, request.toString('utf8')).toBeLessThan(500);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('answers random parameters of every action (authenticated) below 500', async () => {
    const names = ACTIONS.map((a) => a.spec.name);
    const paramName = fc.oneof(
      fc.constantFrom(
        ...ACTIONS.flatMap((a) => Object.keys(a.spec.params)),
        'RegionId',
        'DryRun',
        'PageSize',
      ),
      fc.stringMatching(/^[A-Za-z0-9.]{1,12}$/),
    );
    const paramValue = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        '',
        'true',
        '-1',
        '0',
        '99999999999999999',
        'cn-hangzhou',
        '{',
        '[]',
        '{"Statement":null}',
      ),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...names),
        fc.dictionary(paramName, paramValue, { maxKeys: 8 }),
        async (action, params) => {
          const res = await bearerCall(t, action, params);
          expect(res.status, JSON.stringify({ action, params, body: res.body })).toBeLessThan(500);
          if (res.status >= 400) expect(CATALOGUE[res.body.Code]).toBeDefined();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses an oversized request line and header block without a 5xx', async () => {
    const line = `GET /?x=${'a'.repeat(300 * 1024)} HTTP/1.1\r\n`;
    const huge = `${line}host: h\r\nconnection: close\r\n\r\n`;
    expect(await rawStatus(Buffer.from(huge))).toBe(431);
    const badVersion = 'GET / HTTP/9.9\r\nhost: h\r\n\r\n';
    const status = await rawStatus(Buffer.from(badVersion));
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
  });
});
