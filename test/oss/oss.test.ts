/**
 * OSS buckets end to end: the bucket actions (Bearer calls) and object bodies over
 * `/oss/<bucket>/<key>`, on SQLite and PostgreSQL with the filesystem object store, and on SQLite
 * with the S3 object store (s3rver).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IssuedCredentials } from '../../src/domain/accounts/service.js';
import { startS3, type TestS3 } from '../blobs/s3-server.js';
import { bearerCall, startTestServer, type TestServer } from '../helpers/server.js';

const SETUPS = [
  { name: 'sqlite + fs', backend: 'sqlite' as const, s3: false },
  { name: 'postgres + fs', backend: 'postgres' as const, s3: false },
  { name: 'sqlite + s3', backend: 'sqlite' as const, s3: true },
];

function objectUrl(t: TestServer, bucket: string, key: string) {
  return `${t.url}/oss/${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** PUT with a streamed body; resolves to status and JSON body. */
function upload(
  url: string,
  apiKey: string,
  body: NodeJS.ReadableStream | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: 'PUT', headers: { authorization: `Bearer ${apiKey}`, ...headers } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d) => parts.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(parts).toString()) }),
        );
      },
    );
    req.on('error', reject);
    if (Buffer.isBuffer(body)) req.end(body);
    else pipeline(body, req).catch(reject);
  });
}

async function sha256File(file: string) {
  const hash = crypto.createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

describe.each(SETUPS)('OSS buckets ($name)', (setup) => {
  let t: TestServer;
  let s3: TestS3 | undefined;
  let other: IssuedCredentials;

  beforeAll(async () => {
    s3 = setup.s3 ? await startS3() : undefined;
    t = await startTestServer(setup.backend, s3?.env ?? {});
    other = await t.server.services.accounts.createAccount('other');
  });
  afterAll(async () => {
    await t?.close();
    await s3?.close();
  });

  it('validates bucket names on both sides of each bound', async () => {
    const put = (name: string) =>
      bearerCall(t, 'PutBucket', { RegionId: 'cn-hangzhou', BucketName: name });
    const ok = ['abc', 'a'.repeat(63), 'a-1', '1b9'];
    const bad = ['ab', 'a'.repeat(64), 'Abc', '-abc', 'abc-', 'a_b', 'a.b'];
    for (const name of ok) expect((await put(name)).status, name).toBe(200);
    for (const name of bad) {
      const res = await put(name);
      expect(res.status, name).toBe(400);
      expect(res.body.Code, name).toBe('InvalidBucketName');
    }
    // Names are global: another account cannot take one.
    const taken = await bearerCall(
      t,
      'PutBucket',
      { RegionId: 'cn-hangzhou', BucketName: 'abc' },
      other.apiKey,
    );
    expect(taken.status).toBe(409);
    expect(taken.body.Code).toBe('BucketAlreadyExists');
    const region = await bearerCall(t, 'PutBucket', {
      RegionId: 'xx-nowhere-1',
      BucketName: 'zzz',
    });
    expect(region.body.Code).toBe('InvalidRegionId.NotFound');
  });

  it('uploads and downloads a 100 MB file byte for byte, with range reads', async () => {
    await bearerCall(t, 'PutBucket', { RegionId: 'cn-hangzhou', BucketName: 'big' });
    const file = path.join(t.database.dataDir, 'upload.bin');
    const block = crypto.randomBytes(1024 * 1024);
    const out = fs.createWriteStream(file);
    for (let i = 0; i < 100; i++) {
      block.writeUInt32LE(i, 0);
      out.write(Buffer.from(block));
    }
    await new Promise((r) => out.end(r));

    const put = await upload(
      objectUrl(t, 'big', 'disks/a b.raw'),
      t.admin.apiKey,
      fs.createReadStream(file),
    );
    expect(put.status).toBe(200);
    expect(put.body.Size).toBe(100 * 1024 * 1024);

    const res = await fetch(objectUrl(t, 'big', 'disks/a b.raw'), {
      headers: { authorization: `Bearer ${t.admin.apiKey}` },
    });
    expect(res.status).toBe(200);
    const back = path.join(t.database.dataDir, 'download.bin');
    const hash = crypto.createHash('sha256');
    const sink = fs.createWriteStream(back);
    for await (const part of res.body as AsyncIterable<Uint8Array>) {
      hash.update(part);
      sink.write(part);
    }
    await new Promise((r) => sink.end(r));
    expect(hash.digest('hex')).toBe(await sha256File(file));

    const ranged = await fetch(objectUrl(t, 'big', 'disks/a b.raw'), {
      headers: { authorization: `Bearer ${t.admin.apiKey}`, range: 'bytes=5242880-5242889' },
    });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 5242880-5242889/${100 * 1024 * 1024}`);
    const expected = Buffer.from(block);
    expected.writeUInt32LE(5, 0);
    expect(Buffer.from(await ranged.arrayBuffer()).equals(expected.subarray(0, 10))).toBe(true);

    const head = await bearerCall(t, 'HeadObject', { BucketName: 'big', Key: 'disks/a b.raw' });
    expect(head.body).toMatchObject({ Key: 'disks/a b.raw', Size: 100 * 1024 * 1024 });

    // The same bytes through the ByteSource ImportImage will use.
    const source = await t.server.services.buckets.openSource('big', 'disks/a b.raw');
    expect(source.size).toBe(100 * 1024 * 1024);
    expect((await source.read(99 * 1024 * 1024, 4)).readUInt32LE(0)).toBe(99);
    expect((await source.read(100 * 1024 * 1024 - 2, 100)).length).toBe(2);
  });

  it('never shows an object whose upload was aborted mid-way', async () => {
    await bearerCall(t, 'PutBucket', { RegionId: 'cn-hangzhou', BucketName: 'aborted' });
    await new Promise<void>((resolve) => {
      const req = http.request(objectUrl(t, 'aborted', 'half.raw'), {
        method: 'PUT',
        headers: {
          authorization: `Bearer ${t.admin.apiKey}`,
          'content-length': String(64 * 1024 * 1024),
        },
      });
      req.on('error', () => resolve());
      req.write(crypto.randomBytes(20 * 1024 * 1024), () => {
        setTimeout(() => {
          req.destroy();
          resolve();
        }, 200);
      });
    });
    await new Promise((r) => setTimeout(r, 500));
    const head = await bearerCall(t, 'HeadObject', { BucketName: 'aborted', Key: 'half.raw' });
    expect(head.status).toBe(404);
    expect(head.body.Code).toBe('NoSuchKey');
    const list = await bearerCall(t, 'ListObjects', { BucketName: 'aborted' });
    expect(list.body.Objects.Object).toEqual([]);
    if (!setup.s3) {
      const uploads = path.join(t.database.dataDir, 'buckets', '.uploads');
      expect(fs.existsSync(uploads) ? fs.readdirSync(uploads) : []).toEqual([]);
    }
  });

  it('refuses a body that does not match its declared SHA-256, keeping nothing', async () => {
    await bearerCall(t, 'PutBucket', { RegionId: 'cn-hangzhou', BucketName: 'digest' });
    const body = crypto.randomBytes(100_000);
    const wrong = await upload(objectUrl(t, 'digest', 'x'), t.admin.apiKey, body, {
      'x-acs-content-sha256': crypto.createHash('sha256').update('other').digest('hex'),
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.Code).toBe('BadDigest');
    expect((await bearerCall(t, 'HeadObject', { BucketName: 'digest', Key: 'x' })).status).toBe(
      404,
    );

    // A body small enough to end before the store reads it fails its check all the same.
    const small = await upload(objectUrl(t, 'digest', 'x'), t.admin.apiKey, Buffer.from('tiny'), {
      'x-acs-content-sha256': crypto.createHash('sha256').update('other').digest('hex'),
    });
    expect(small.status).toBe(400);
    expect(small.body.Code).toBe('BadDigest');

    const right = await upload(objectUrl(t, 'digest', 'x'), t.admin.apiKey, body, {
      'x-acs-content-sha256': crypto.createHash('sha256').update(body).digest('hex'),
    });
    expect(right.status).toBe(200);
  });

  it('lists objects in pages, grouped by a delimiter', async () => {
    await bearerCall(t, 'PutBucket', { RegionId: 'cn-hangzhou', BucketName: 'listing' });
    for (const key of ['a/1', 'a/2', 'b', 'c/d/e', 'c/f']) {
      expect(
        (await upload(objectUrl(t, 'listing', key), t.admin.apiKey, Buffer.from(key))).status,
      ).toBe(200);
    }
    const top = await bearerCall(t, 'ListObjects', { BucketName: 'listing', Delimiter: '/' });
    expect(top.body.Objects.Object.map((o: any) => o.Key)).toEqual(['b']);
    expect(top.body.CommonPrefixes.Prefix).toEqual(['a/', 'c/']);

    const keys: string[] = [];
    let marker = '';
    for (let page = 0; page < 10; page++) {
      const res = await bearerCall(t, 'ListObjects', {
        BucketName: 'listing',
        MaxKeys: '2',
        Marker: marker,
      });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      keys.push(...res.body.Objects.Object.map((o: any) => o.Key));
      if (!res.body.IsTruncated) break;
      marker = res.body.NextMarker;
    }
    expect(keys).toEqual(['a/1', 'a/2', 'b', 'c/d/e', 'c/f']);

    const notEmpty = await bearerCall(t, 'DeleteBucket', { BucketName: 'listing' });
    expect(notEmpty.body.Code).toBe('BucketNotEmpty');
    for (const key of keys) {
      expect(
        (await bearerCall(t, 'DeleteObject', { BucketName: 'listing', Key: key })).status,
      ).toBe(200);
    }
    expect((await bearerCall(t, 'DeleteBucket', { BucketName: 'listing' })).status).toBe(200);
    const buckets = await bearerCall(t, 'ListBuckets');
    expect(buckets.body.Buckets.Bucket.map((b: any) => b.Name)).not.toContain('listing');
  });

  it("keeps another account out of a bucket's listing and objects", async () => {
    await bearerCall(t, 'PutBucket', { RegionId: 'cn-hangzhou', BucketName: 'private' });
    await upload(objectUrl(t, 'private', 'secret'), t.admin.apiKey, Buffer.from('mine'));

    const list = await bearerCall(t, 'ListObjects', { BucketName: 'private' }, other.apiKey);
    expect(list.status).toBe(403);
    expect(list.body.Code).toBe('AccessDenied');
    const get = await fetch(objectUrl(t, 'private', 'secret'), {
      headers: { authorization: `Bearer ${other.apiKey}` },
    });
    expect(get.status).toBe(403);
    const put = await upload(
      objectUrl(t, 'private', 'secret'),
      other.apiKey,
      Buffer.from('theirs'),
    );
    expect(put.status).toBe(403);
    const theirs = await bearerCall(t, 'ListBuckets', {}, other.apiKey);
    expect(theirs.body.Buckets.Bucket).toEqual([]);
    const anon = await fetch(objectUrl(t, 'private', 'secret'));
    expect(anon.status).toBe(400);

    // ImportImage's view: another account's bucket does not exist for the caller.
    await expect(
      t.server.services.buckets.requireObjectForImage(
        other.accountId,
        'private',
        'secret',
        'cn-hangzhou',
      ),
    ).rejects.toMatchObject({ code: 'InvalidOSSBucket.NotFound' });
    await expect(
      t.server.services.buckets.requireObjectForImage(
        t.admin.accountId,
        'private',
        'nope',
        'cn-hangzhou',
      ),
    ).rejects.toMatchObject({ code: 'InvalidOSSObject.NotFound' });
    await expect(
      t.server.services.buckets.requireObjectForImage(
        t.admin.accountId,
        'private',
        'secret',
        'cn-beijing',
      ),
    ).rejects.toMatchObject({ code: 'InvalidOSSBucket.NotFound' });
  });

  it('writes through createWriteStream only when finished, discarding a destroyed stream', async () => {
    await bearerCall(t, 'PutBucket', { RegionId: 'cn-hangzhou', BucketName: 'exports' });
    const buckets = t.server.services.buckets;
    const broken = buckets.createWriteStream('exports', 'm-1_system.qcow2');
    broken.on('error', () => undefined);
    broken.write(crypto.randomBytes(20 * 1024 * 1024));
    broken.destroy(new Error('export failed'));
    await expect(broken.done).rejects.toThrow('export failed');
    expect(
      (await bearerCall(t, 'HeadObject', { BucketName: 'exports', Key: 'm-1_system.qcow2' }))
        .status,
    ).toBe(404);

    const good = buckets.createWriteStream('exports', 'm-1_system.qcow2');
    const data = crypto.randomBytes(9 * 1024 * 1024 + 3);
    good.end(data);
    expect((await good.done).size).toBe(data.length);
    const source = await buckets.openSource('exports', 'm-1_system.qcow2');
    expect((await source.read(0, data.length)).equals(data)).toBe(true);
  });
});
