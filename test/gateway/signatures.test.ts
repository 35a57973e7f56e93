import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acs3Request, signV1, v1Envelope } from '../helpers/sign.js';
import {
  Ecs,
  bearerCall,
  ecsClient,
  popClient,
  startTestServer,
  type TestServer,
} from '../helpers/server.js';

let t: TestServer;
beforeAll(async () => {
  t = await startTestServer('sqlite');
});
afterAll(async () => t?.close());

function v1Params(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    ...v1Envelope(t.admin.accessKeyId),
    Action: 'DescribeRegions',
    AcceptLanguage: 'en-US',
    ...overrides,
  };
}

async function getV1(params: Record<string, string>) {
  const res = await fetch(`${t.url}/?${new URLSearchParams(params)}`);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('signature schemes the official clients use', () => {
  it('accepts the v7 SDK with ACS3-HMAC-SHA256 (its default)', async () => {
    const res = await ecsClient(t).describeRegions(
      new Ecs.DescribeRegionsRequest({ acceptLanguage: 'en-US' }),
    );
    expect(res.statusCode).toBe(200);
    const ids = res.body!.regions!.region!.map((r: { regionId?: string }) => r.regionId);
    expect(ids).toContain('cn-hangzhou');
    expect(res.body!.regions!.region![0].localName).toBe('China (Hangzhou)');
    expect(res.body!.requestId).toMatch(/^[0-9A-F-]{36}$/);
  });

  it('accepts the v7 SDK with signatureAlgorithm v2 (HMAC-SHA1 signature v1)', async () => {
    const res = await ecsClient(t, t.admin, 'v2').describeRegions(
      new Ecs.DescribeRegionsRequest({ acceptLanguage: 'zh-CN' }),
    );
    expect(res.body!.regions!.region![0].localName).toBe('华东1（杭州）');
  });

  it('accepts pop-core over GET and over POST with a form body', async () => {
    const pop = popClient(t);
    const viaGet = (await pop.request('DescribeRegions', { AcceptLanguage: 'en-US' })) as any;
    expect(viaGet.Regions.Region.length).toBe(7);
    const viaPost = (await pop.request(
      'DescribeRegions',
      { AcceptLanguage: 'en-US' },
      { method: 'POST' },
    )) as any;
    expect(viaPost.Regions.Region[0].RegionId).toBe('cn-hangzhou');
  });

  it('accepts a Bearer API key over plain HTTP', async () => {
    const { status, body } = await bearerCall(t, 'DescribeRegions');
    expect(status).toBe(200);
    expect(body.Regions.Region.length).toBe(7);
    expect(body.Code).toBeUndefined();
  });

  it('accepts a hand-signed v1 request carrying Chinese, spaces and reserved characters', async () => {
    const params = v1Params({ AcceptLanguage: 'en-US', Extra: "名字 with *star ~(x)!'+" });
    params.Signature = signV1(params, t.admin.accessKeySecret);
    expect((await getV1(params)).status).toBe(200);
  });
});

describe('signature failures', () => {
  it('refuses a parameter changed after signing', async () => {
    const params = v1Params();
    params.Signature = signV1(params, t.admin.accessKeySecret);
    params.AcceptLanguage = 'zh-CN';
    const { status, body } = await getV1(params);
    expect(status).toBe(400);
    expect(body.Code).toBe('SignatureDoesNotMatch');
  });

  it('refuses a request signed with the wrong secret (SDK, ACS3)', async () => {
    const client = ecsClient(t, {
      accessKeyId: t.admin.accessKeyId,
      accessKeySecret: 'wrong-secret-0123456789',
    });
    await expect(client.describeRegions(new Ecs.DescribeRegionsRequest({}))).rejects.toMatchObject({
      code: 'SignatureDoesNotMatch',
      statusCode: 400,
    });
  });

  it('refuses an unknown AccessKey ID with 404', async () => {
    const client = ecsClient(t, {
      accessKeyId: 'LTAInope',
      accessKeySecret: 'whatever-secret-value',
    });
    await expect(client.describeRegions(new Ecs.DescribeRegionsRequest({}))).rejects.toMatchObject({
      code: 'InvalidAccessKeyId.NotFound',
      statusCode: 404,
    });
  });

  it('refuses a timestamp more than 15 minutes off', async () => {
    const stale = new Date(Date.now() - 16 * 60 * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const params = v1Params({ Timestamp: stale });
    params.Signature = signV1(params, t.admin.accessKeySecret);
    const { status, body } = await getV1(params);
    expect(status).toBe(400);
    expect(body.Code).toBe('InvalidTimeStamp.Expired');
  });

  it('accepts a timestamp 14 minutes off', async () => {
    const skewed = new Date(Date.now() - 14 * 60 * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    const params = v1Params({ Timestamp: skewed });
    params.Signature = signV1(params, t.admin.accessKeySecret);
    expect((await getV1(params)).status).toBe(200);
  });

  it('refuses a replayed signature nonce', async () => {
    const params = v1Params();
    params.Signature = signV1(params, t.admin.accessKeySecret);
    expect((await getV1(params)).status).toBe(200);
    const replay = await getV1(params);
    expect(replay.status).toBe(400);
    expect(replay.body.Code).toBe('SignatureNonceUsed');
  });

  it('refuses a replayed ACS3 request (same x-acs-signature-nonce)', async () => {
    const req = acs3Request(t, 'DescribeRegions', { AcceptLanguage: 'en-US' });
    expect((await fetch(req.url, req.init)).status).toBe(200);
    const replay = await fetch(req.url, req.init);
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as any).Code).toBe('SignatureNonceUsed');
  });

  it('verifies ACS3 over the sorted, re-encoded query whatever order and escapes were sent', async () => {
    const params = { RegionId: 'cn-hangzhou', ImageName: "网站 web*(1)'~", PageSize: '5' };
    const req = acs3Request(t, 'DescribeImages', params);
    // The same parameters sent in reverse order, spaces as `+` and `~` escaped: the signature
    // covers the decoded values in canonical form, not the raw query text.
    const [base, query] = req.url.split('?');
    const resent = query
      .split('&')
      .reverse()
      .map((pair) => pair.replace(/%20/g, '+').replace(/~/g, '%7E'))
      .join('&');
    expect(resent).not.toBe(query);
    const res = await fetch(`${base}?${resent}`, req.init);
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).TotalCount).toBe(0);
  });

  it('refuses an ACS3 request whose body does not match x-acs-content-sha256', async () => {
    const req = acs3Request(t, 'DescribeRegions', {});
    const res = await fetch(req.url, { ...req.init, body: 'tampered=1' });
    expect(((await res.json()) as any).Code).toBe('SignatureDoesNotMatch');
  });

  it('refuses v1 signatures that are truncated, extended or empty', async () => {
    for (const change of [(s: string) => s.slice(0, -1), (s: string) => `${s}A`, () => '']) {
      const params = v1Params();
      params.Signature = change(signV1(params, t.admin.accessKeySecret));
      const { status, body } = await getV1(params);
      expect(status).toBe(400);
      expect(body.Code).toBe('SignatureDoesNotMatch');
    }
  });

  it('refuses an unsigned request and an unknown API key', async () => {
    const unsigned = await fetch(`${t.url}/?Action=DescribeRegions`);
    expect(((await unsigned.json()) as any).Code).toBe('IncompleteSignature');
    const { status, body } = await bearerCall(t, 'DescribeRegions', {}, 'ecsimg_nope');
    expect(status).toBe(401);
    expect(body.Code).toBe('InvalidApiKey.NotFound');
  });
});
