/**
 * Multipart uploads over HTTP (`/oss/<bucket>/<key>?uploads|uploadId|partNumber`), end to end
 * through the real server: Bearer and ACS3 (UNSIGNED-PAYLOAD and a hex SHA-256 checked against
 * the bytes), RAM policies, upload IDs kept to their account, bucket and key, the protocol's
 * refusals with their codes, and the collector aborting stale uploads. On SQLite and PostgreSQL
 * with the filesystem store, and on SQLite with the S3 store (s3rver; parts of S3's 5 MiB).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCredentials } from '../../src/domain/accounts/service.js';
import { startS3, type TestS3 } from '../blobs/s3-server.js';
import { bearerCall, startTestServer, type TestServer } from '../helpers/server.js';
import { acs3ObjectHeaders } from '../helpers/sign.js';

const SETUPS = [
  { name: 'sqlite + fs', backend: 'sqlite' as const, s3: false },
  { name: 'postgres + fs', backend: 'postgres' as const, s3: false },
  { name: 'sqlite + s3', backend: 'sqlite' as const, s3: true },
];

type Auth =
  { apiKey: string } | { accessKeyId: string; accessKeySecret: string; signBody?: boolean };

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: any;
}

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');
const md5Etag = (b: Buffer) =>
  `"${crypto.createHash('md5').update(b).digest('hex').toUpperCase()}"`;

/**
 * One object request. `body` is sent with its Content-Length, `chunked` without one; ACS3
 * signs the body's SHA-256 when `signBody` (or `digest` overrides what is declared).
 */
function call(
  method: string,
  url: string,
  auth: Auth,
  options: { body?: Buffer; chunked?: Buffer; digest?: string } = {},
): Promise<Answer> {
  const body = options.body ?? options.chunked;
  let headers: Record<string, string>;
  if ('apiKey' in auth) {
    headers = { authorization: `Bearer ${auth.apiKey}` };
    if (options.digest) headers['x-acs-content-sha256'] = options.digest;
  } else {
    const declared = options.digest ?? (auth.signBody && body ? sha256(body) : 'UNSIGNED-PAYLOAD');
    headers = acs3ObjectHeaders(method, url, auth, declared);
  }
  if (options.body) headers['content-length'] = String(options.body.length);

  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d) => parts.push(d));
      res.on('end', () => {
        const text = Buffer.concat(parts).toString();
        resolve({
          status: res.statusCode!,
          headers: res.headers,
          body: text ? JSON.parse(text) : {},
        });
      });
    });
    req.on('error', reject);
    // Written first, the body goes chunked (Node adds a Content-Length to `end(body)` alone).
    if (options.chunked) req.write(options.chunked);
    req.end(options.body);
  });
}

describe.each(SETUPS)('multipart uploads over HTTP ($name)', (setup) => {
  let t: TestServer;
  let s3: TestS3 | undefined;
  let other: IssuedCredentials;
  let admin: Auth;
  /** Parts of the smallest size the store takes (and at least 128 KiB). */
  let PART: number;

  const url = (bucket: string, key: string, query = '') =>
    `${t.url}/oss/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}${query}`;

  async function initiate(bucket: string, key: string, auth: Auth = admin, partSize = PART) {
    const res = await call('POST', url(bucket, key, `?uploads&partSize=${partSize}`), auth);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.UploadId as string;
  }

  const part = (bucket: string, key: string, id: string, n: number, data: Buffer, auth = admin) =>
    call('PUT', url(bucket, key, `?partNumber=${n}&uploadId=${id}`), auth, { body: data });

  const complete = (
    bucket: string,
    key: string,
    id: string,
    parts: Array<{ PartNumber: number; ETag: string }>,
    auth = admin,
  ) =>
    call('POST', url(bucket, key, `?uploadId=${id}`), auth, {
      body: Buffer.from(JSON.stringify({ Parts: parts })),
    });

  const bucket = (name: string, apiKey = t.admin.apiKey) =>
    bearerCall(t, 'PutBucket', { RegionId: 'cn-hangzhou', BucketName: name }, apiKey);

  beforeAll(async () => {
    s3 = setup.s3 ? await startS3() : undefined;
    // The collector runs only when a test starts it (as `serve` does); then every 100 ms.
    t = await startTestServer(setup.backend, { ...s3?.env, ECSIMG_GC_INTERVAL_MS: '100' });
    other = await t.server.services.accounts.createAccount('other');
    admin = { apiKey: t.admin.apiKey };
    PART = Math.max(128 * 1024, t.server.services.buckets.objects.partSizeLimits.minBytes);
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close();
  });

  it('takes parts in any order, lists them in pages, and completes the object whole', async () => {
    await bucket('mp-main');
    const id = await initiate('mp-main', 'disks/a b.raw');
    expect(id).toMatch(/^[0-9A-F]{32}$/);
    const data = [crypto.randomBytes(PART), crypto.randomBytes(PART), crypto.randomBytes(999)];

    for (const n of [3, 1, 2]) {
      const res = await part('mp-main', 'disks/a b.raw', id, n, data[n - 1]);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ PartNumber: n, Size: data[n - 1].length });
      expect(res.body.ETag).toBe(md5Etag(data[n - 1]));
      expect(res.headers.etag).toBe(res.body.ETag);
    }
    const head = await bearerCall(t, 'HeadObject', { BucketName: 'mp-main', Key: 'disks/a b.raw' });
    expect(head.body.Code).toBe('NoSuchKey');

    const page1 = await call(
      'GET',
      url('mp-main', 'disks/a b.raw', `?uploadId=${id}&max-parts=2`),
      admin,
    );
    expect(page1.body).toMatchObject({
      Bucket: 'mp-main',
      Key: 'disks/a b.raw',
      UploadId: id,
      PartSize: PART,
      MaxParts: 2,
      IsTruncated: true,
      NextPartNumberMarker: 2,
    });
    const page2 = await call(
      'GET',
      url('mp-main', 'disks/a b.raw', `?uploadId=${id}&max-parts=2&part-number-marker=2`),
      admin,
    );
    expect(page2.body.IsTruncated).toBe(false);
    const listed = [...page1.body.Parts.Part, ...page2.body.Parts.Part];
    expect(listed.map((p: any) => [p.PartNumber, p.Size, p.ETag])).toEqual(
      data.map((d, i) => [i + 1, d.length, md5Etag(d)]),
    );
    expect(listed[0].LastModified).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    const done = await complete(
      'mp-main',
      'disks/a b.raw',
      id,
      listed.map((p: any) => ({ PartNumber: p.PartNumber, ETag: p.ETag })),
    );
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body).toMatchObject({
      Bucket: 'mp-main',
      Key: 'disks/a b.raw',
      Size: 2 * PART + 999,
    });

    const got = await fetch(url('mp-main', 'disks/a b.raw'), {
      headers: { authorization: `Bearer ${t.admin.apiKey}` },
    });
    expect(Buffer.from(await got.arrayBuffer()).equals(Buffer.concat(data))).toBe(true);
    const gone = await call('GET', url('mp-main', 'disks/a b.raw', `?uploadId=${id}`), admin);
    expect(gone.status).toBe(404);
    expect(gone.body.Code).toBe('NoSuchUpload');
  });

  it('signs parts with ACS3, unsigned or by SHA-256, and refuses bytes that differ', async () => {
    const unsigned: Auth = {
      accessKeyId: t.admin.accessKeyId,
      accessKeySecret: t.admin.accessKeySecret,
    };
    const signed: Auth = { ...unsigned, signBody: true };
    await bucket('mp-acs3');
    const id = await initiate('mp-acs3', 'k', unsigned);
    const a = crypto.randomBytes(PART);
    const b = crypto.randomBytes(1234);

    const p1 = await part('mp-acs3', 'k', id, 1, a, unsigned);
    expect(p1.status, JSON.stringify(p1.body)).toBe(200);
    const p2 = await part('mp-acs3', 'k', id, 2, b, signed);
    expect(p2.status, JSON.stringify(p2.body)).toBe(200);

    // A replacement whose bytes are not the ones signed: refused, and part 2 is no longer
    // listed (its old bytes may be gone), so a resuming client sends it again.
    const bad = await call('PUT', url('mp-acs3', 'k', `?partNumber=2&uploadId=${id}`), unsigned, {
      body: crypto.randomBytes(1234),
      digest: sha256(b),
    });
    expect(bad.status).toBe(400);
    expect(bad.body.Code).toBe('BadDigest');
    const listed = await call('GET', url('mp-acs3', 'k', `?uploadId=${id}`), signed);
    expect(listed.body.Parts.Part.map((p: any) => p.PartNumber)).toEqual([1]);

    // A wrong signature is refused before anything is stored.
    const forged = await part('mp-acs3', 'k', id, 2, b, {
      ...unsigned,
      accessKeySecret: 'x'.repeat(30),
    });
    expect(forged.body.Code).toBe('SignatureDoesNotMatch');

    const again = await part('mp-acs3', 'k', id, 2, b, signed);
    const done = await complete(
      'mp-acs3',
      'k',
      id,
      [
        { PartNumber: 1, ETag: p1.body.ETag },
        { PartNumber: 2, ETag: again.body.ETag },
      ],
      signed,
    );
    expect(done.status, JSON.stringify(done.body)).toBe(200);
    expect(done.body.Size).toBe(PART + 1234);

    // A completion body that is not the one signed.
    const id2 = await initiate('mp-acs3', 'k2', unsigned);
    const q = await part('mp-acs3', 'k2', id2, 1, b, unsigned);
    const wrongBody = await call('POST', url('mp-acs3', 'k2', `?uploadId=${id2}`), unsigned, {
      body: Buffer.from(JSON.stringify({ Parts: [{ PartNumber: 1, ETag: q.body.ETag }] })),
      digest: sha256(Buffer.from('{}')),
    });
    expect(wrongBody.body.Code).toBe('BadDigest');
  });

  it('answers the protocol refusals with their codes', async () => {
    await bucket('mp-refuse');
    const id = await initiate('mp-refuse', 'k');
    const p1 = (await part('mp-refuse', 'k', id, 1, crypto.randomBytes(PART))).body;
    const p3 = (await part('mp-refuse', 'k', id, 3, crypto.randomBytes(10))).body;
    const short = (await part('mp-refuse', 'k', id, 2, crypto.randomBytes(PART - 1))).body;
    const expectCode = (res: Answer, status: number, code: string) => {
      expect(res.status, JSON.stringify(res.body)).toBe(status);
      expect(res.body.Code).toBe(code);
      expect(res.body.Message).toBeTruthy();
    };

    const entry = (p: any) => ({ PartNumber: p.PartNumber, ETag: p.ETag });
    expectCode(await complete('mp-refuse', 'k', id, [entry(p1), entry(p3)]), 400, 'InvalidPart');
    expectCode(
      await complete('mp-refuse', 'k', id, [
        entry(p1),
        { PartNumber: 2, ETag: p1.ETag },
        entry(p3),
      ]),
      400,
      'InvalidPart',
    );
    expectCode(
      await complete('mp-refuse', 'k', id, [entry(short), entry(p1), entry(p3)]),
      400,
      'InvalidPartOrder',
    );
    expectCode(
      await complete('mp-refuse', 'k', id, [entry(p1), entry(short), entry(p3)]),
      400,
      'EntityTooSmall',
    );
    expectCode(
      await part('mp-refuse', 'k', id, 2, crypto.randomBytes(PART + 1)),
      400,
      'EntityTooLarge',
    );
    for (const n of ['0', '10001', 'x', '']) {
      expectCode(
        await call('PUT', url('mp-refuse', 'k', `?partNumber=${n}&uploadId=${id}`), admin, {
          body: Buffer.from('x'),
        }),
        400,
        'InvalidArgument',
      );
    }
    expectCode(
      await call('PUT', url('mp-refuse', 'k', `?partNumber=2&uploadId=${id}`), admin, {
        chunked: Buffer.from('no length'),
      }),
      411,
      'MissingContentLength',
    );
    expectCode(
      await call('POST', url('mp-refuse', 'k', '?uploads&partSize=1000'), admin),
      400,
      'InvalidArgument',
    );
    expectCode(await call('POST', url('mp-refuse', 'k'), admin), 400, 'InvalidArgument');
    expectCode(
      await call('POST', url('mp-refuse', 'k', `?uploadId=${id}`), admin, {
        body: Buffer.from('<xml/>'),
      }),
      400,
      'InvalidArgument',
    );
    expectCode(
      await part('mp-refuse', 'k', '0'.repeat(32), 1, Buffer.from('x')),
      404,
      'NoSuchUpload',
    );
    expectCode(await part('nope-bucket', 'k', id, 1, Buffer.from('x')), 404, 'NoSuchBucket');

    // None of that harmed the upload.
    const whole = (await part('mp-refuse', 'k', id, 2, crypto.randomBytes(PART))).body;
    const done = await complete('mp-refuse', 'k', id, [entry(p1), entry(whole), entry(p3)]);
    expect(done.status, JSON.stringify(done.body)).toBe(200);
  });

  it('keeps an upload ID to its account, bucket and key', async () => {
    await bucket('mp-mine');
    await bucket('mp-mine-2');
    await bucket('mp-theirs', other.apiKey);
    const id = await initiate('mp-mine', 'k');
    await part('mp-mine', 'k', id, 1, crypto.randomBytes(10));
    const them: Auth = { apiKey: other.apiKey };

    const attempts = (b: string, k: string, auth: Auth) => [
      () => part(b, k, id, 1, Buffer.from('theirs'), auth),
      () => call('GET', url(b, k, `?uploadId=${id}`), auth),
      () => complete(b, k, id, [{ PartNumber: 1, ETag: md5Etag(Buffer.from('theirs')) }], auth),
      () => call('DELETE', url(b, k, `?uploadId=${id}`), auth),
    ];
    // Another account through its own bucket, or another bucket or key of the same account.
    for (const [b, k, auth] of [
      ['mp-theirs', 'k', them],
      ['mp-mine-2', 'k', admin],
      ['mp-mine', 'other-key', admin],
    ] as const) {
      for (const attempt of attempts(b, k, auth)) {
        const res = await attempt();
        expect(res.status, `${b}/${k}`).toBe(404);
        expect(res.body.Code).toBe('NoSuchUpload');
      }
    }
    // Another account naming the owner's bucket is stopped at the bucket, as for any object.
    for (const attempt of attempts('mp-mine', 'k', them)) {
      expect((await attempt()).body.Code).toBe('AccessDenied');
    }
    // An upload of the bucket owned by someone else (the bucket was deleted and its name taken
    // again while the upload lived on, say) is no upload for the bucket's owner.
    const foreign = await t.server.services.buckets.objects.initiateMultipartUpload(
      'mp-mine',
      'k',
      { partSizeBytes: PART, owner: other.accountId },
    );
    const res = await call('GET', url('mp-mine', 'k', `?uploadId=${foreign.uploadId}`), admin);
    expect(res.body.Code).toBe('NoSuchUpload');

    const listed = await call('GET', url('mp-mine', 'k', `?uploadId=${id}`), admin);
    expect(listed.body.Parts.Part).toHaveLength(1);
  });

  it('refuses RAM users the multipart calls their policy does not allow', async () => {
    const alice = await bearerCall(t, 'CreateAccount', {
      AccountName: `alice-${setup.backend}${setup.s3 ? 's3' : ''}`,
    });
    const aliceKey = alice.body.ApiKey as string;
    await bucket('mp-ram', aliceKey);
    const ram = async (name: string, actions: string[]) => {
      const doc = JSON.stringify({
        Version: '1',
        Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
      });
      const res = await bearerCall(
        t,
        'CreateRamUser',
        { UserName: name, PolicyDocument: doc },
        aliceKey,
      );
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      return {
        accessKeyId: res.body.AccessKeyId as string,
        accessKeySecret: res.body.AccessKeySecret as string,
      };
    };
    const reader = await ram('reader', ['oss:GetObject']);
    const writer = await ram('writer', ['oss:PutObject']);
    const owner: Auth = { apiKey: aliceKey };
    const id = await initiate('mp-ram', 'k', owner);
    const p1 = await part('mp-ram', 'k', id, 1, Buffer.from('data'), owner);

    const denied = async (res: Promise<Answer>) => {
      const r = await res;
      expect(r.status, JSON.stringify(r.body)).toBe(403);
      expect(r.body.Code).toBe('Forbidden.RAM');
    };
    await denied(call('POST', url('mp-ram', 'k', `?uploads&partSize=${PART}`), reader));
    await denied(part('mp-ram', 'k', id, 1, Buffer.from('x'), reader));
    await denied(call('GET', url('mp-ram', 'k', `?uploadId=${id}`), reader));
    await denied(complete('mp-ram', 'k', id, [{ PartNumber: 1, ETag: p1.body.ETag }], reader));
    await denied(call('DELETE', url('mp-ram', 'k', `?uploadId=${id}`), reader));

    // oss:PutObject initiates, sends parts and completes; listing and aborting are their own.
    await denied(call('GET', url('mp-ram', 'k', `?uploadId=${id}`), writer));
    await denied(call('DELETE', url('mp-ram', 'k', `?uploadId=${id}`), writer));
    const mine = await initiate('mp-ram', 'w', writer);
    const w1 = await part('mp-ram', 'w', mine, 1, Buffer.from('written'), writer);
    expect(w1.status).toBe(200);
    const done = await complete(
      'mp-ram',
      'w',
      mine,
      [{ PartNumber: 1, ETag: w1.body.ETag }],
      writer,
    );
    expect(done.status, JSON.stringify(done.body)).toBe(200);
  });

  it('aborts an upload, then nothing of it answers; DeleteBucket aborts the rest', async () => {
    await bucket('mp-abort');
    const id = await initiate('mp-abort', 'k');
    await part('mp-abort', 'k', id, 1, crypto.randomBytes(100));
    const aborted = await call('DELETE', url('mp-abort', 'k', `?uploadId=${id}`), admin);
    expect(aborted.status).toBe(204);
    for (const res of [
      await call('GET', url('mp-abort', 'k', `?uploadId=${id}`), admin),
      await part('mp-abort', 'k', id, 2, Buffer.from('late')),
      await call('DELETE', url('mp-abort', 'k', `?uploadId=${id}`), admin),
    ]) {
      expect(res.body.Code).toBe('NoSuchUpload');
    }
    const list = await bearerCall(t, 'ListObjects', { BucketName: 'mp-abort' });
    expect(list.body.Objects.Object).toEqual([]);

    const open = await initiate('mp-abort', 'open');
    expect((await bearerCall(t, 'DeleteBucket', { BucketName: 'mp-abort' })).status).toBe(200);
    await bucket('mp-abort');
    expect((await call('GET', url('mp-abort', 'open', `?uploadId=${open}`), admin)).body.Code).toBe(
      'NoSuchUpload',
    );
    if (!setup.s3) {
      expect(fs.readdirSync(path.join(t.database.dataDir, 'buckets', '.multipart'))).not.toContain(
        open,
      );
    }
  });

  it.runIf(!setup.s3)(
    'has the periodic collector abort uploads past their maximum age',
    async () => {
      await bucket('mp-stale');
      const stale = await initiate('mp-stale', 'old');
      const fresh = await initiate('mp-stale', 'new');
      // Age one upload by a week and a day, as if it had been left that long.
      const file = path.join(t.database.dataDir, 'buckets', '.multipart', stale, 'upload.json');
      const record = JSON.parse(fs.readFileSync(file, 'utf8'));
      record.initiatedMs -= 8 * 24 * 3_600_000;
      fs.writeFileSync(file, JSON.stringify(record));

      // The collector `serve` starts (it frees chunks too; there are none to free here).
      const collector = t.server.services.gc;
      collector.start();
      try {
        for (let i = 0; i < 100; i++) {
          const res = await call('GET', url('mp-stale', 'old', `?uploadId=${stale}`), admin);
          if (res.body.Code === 'NoSuchUpload') break;
          await new Promise((r) => setTimeout(r, 50));
        }
      } finally {
        await collector.stop();
      }
      expect(
        (await call('GET', url('mp-stale', 'old', `?uploadId=${stale}`), admin)).body.Code,
      ).toBe('NoSuchUpload');
      expect((await call('GET', url('mp-stale', 'new', `?uploadId=${fresh}`), admin)).status).toBe(
        200,
      );
    },
  );
});
