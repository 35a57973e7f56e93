import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, ApiError, flattenParams, parseEndpoint } from './http-client.js';

describe('flattenParams', () => {
  it('flattens objects, lists and lists of objects the way the SDK does', () => {
    expect(
      flattenParams({
        RegionId: 'cn-hangzhou',
        PageSize: 50,
        DryRun: true,
        AddAccount: ['1', '2'],
        Tag: [{ Key: 'env', Value: '' }, { Key: 'team' }],
        TagFilter: [{ TagKey: 'k', TagValues: ['a', 'b'] }],
        Features: { ImdsSupport: 'v2' },
        Skipped: undefined,
        AlsoSkipped: null,
      }),
    ).toEqual({
      RegionId: 'cn-hangzhou',
      PageSize: '50',
      DryRun: 'true',
      'AddAccount.1': '1',
      'AddAccount.2': '2',
      'Tag.1.Key': 'env',
      'Tag.1.Value': '',
      'Tag.2.Key': 'team',
      'TagFilter.1.TagKey': 'k',
      'TagFilter.1.TagValues.1': 'a',
      'TagFilter.1.TagValues.2': 'b',
      'Features.ImdsSupport': 'v2',
    });
  });
});

describe('parseEndpoint', () => {
  it('takes URLs and bare host:port, and refuses other schemes and garbage', () => {
    expect(parseEndpoint('http://127.0.0.1:8080').origin).toBe('http://127.0.0.1:8080');
    expect(parseEndpoint('10.0.0.5:9000').origin).toBe('http://10.0.0.5:9000');
    expect(() => parseEndpoint('ftp://host')).toThrow(ApiError);
    expect(() => parseEndpoint('http://')).toThrow(ApiError);
  });
});

describe('ApiClient failures', () => {
  // Answers according to the request's `Mode` parameter.
  let server: http.Server;
  let endpoint = '';
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const mode = new URL(req.url ?? '/', 'http://x').searchParams.get('Mode');
      if (mode === 'html') {
        res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>');
      } else if (mode === 'error') {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(
            JSON.stringify({ RequestId: 'R-9', Code: 'InvalidImageId.NotFound', Message: 'gone' }),
          );
      } else {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"RequestId":"R-1"}');
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const client = () => new ApiClient({ endpoint, credentials: { kind: 'apiKey', apiKey: 'k' } });

  it('returns the body of a success', async () => {
    expect(await client().callAction('DescribeRegions')).toEqual({ RequestId: 'R-1' });
  });

  it('throws the envelope of an error with code, status and RequestId', async () => {
    const err = await client()
      .callAction('DescribeImages', { Mode: 'error' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      code: 'InvalidImageId.NotFound',
      status: 404,
      requestId: 'R-9',
      message: 'gone',
    });
  });

  it('throws InvalidResponse for a body that is not JSON (a proxy, another service)', async () => {
    const err = await client()
      .callAction('DescribeImages', { Mode: 'html' })
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'InvalidResponse', status: 502 });
  });

  it('throws ConnectionFailed when nothing listens', async () => {
    const closed = new ApiClient({
      endpoint: 'http://127.0.0.1:1',
      credentials: { kind: 'apiKey', apiKey: 'k' },
    });
    await expect(closed.callAction('DescribeRegions')).rejects.toMatchObject({
      code: 'ConnectionFailed',
      status: 0,
    });
  });
});
