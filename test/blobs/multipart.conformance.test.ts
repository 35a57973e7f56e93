/**
 * One suite, both object-store backends: multipart uploads on the filesystem folder and on S3
 * (s3rver, a real S3-protocol server started here). Parts are 256 KiB so the data stays small;
 * the S3 store is opened with a lower minimum part size for that (s3rver does not enforce S3's
 * 5 MiB).
 *
 * s3rver implements neither AbortMultipartUpload nor ListParts: on S3 the suite checks that the
 * abort was sent and that our own records are gone, not that s3rver dropped the parts' bytes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable, Transform } from 'node:stream';
import { ListObjectsCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  FsObjectStore,
  S3ObjectStore,
  createS3Client,
  type MultipartUpload,
  type ObjectStore,
  type PartInfo,
} from '../../src/blobs/index.js';
import { startS3, type TestS3 } from './s3-server.js';

const PART = 256 * 1024;
const BUCKET = 'parts';
const OWNER = '1000000000000001';

interface Backend {
  name: 'fs' | 's3';
  open(): Promise<{
    store: ObjectStore;
    /** Keys or files the store keeps for open uploads (empty once none is open). */
    leftovers(): Promise<string[]>;
    close(): Promise<void>;
  }>;
}

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.close();
});

const BACKENDS: Backend[] = [
  {
    name: 'fs',
    open: async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecsimg-objects-'));
      const uploads = path.join(dir, '.multipart');
      return {
        store: new FsObjectStore(dir),
        leftovers: async () => (fs.existsSync(uploads) ? fs.readdirSync(uploads) : []),
        close: async () => fs.rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 's3',
    open: async () => {
      // A fresh prefix per test keeps the tests independent on one s3rver bucket.
      const prefix = `t${crypto.randomBytes(4).toString('hex')}/`;
      const client = createS3Client(s3.config);
      const store = new S3ObjectStore(
        client,
        { ...s3.config, prefix },
        { minPartSizeBytes: 64 * 1024 },
      );
      return {
        store,
        leftovers: async () => {
          const res = await client.send(
            new ListObjectsCommand({ Bucket: s3.config.bucket, Prefix: `${prefix}multipart/` }),
          );
          return (res.Contents ?? []).map((o) => o.Key!);
        },
        close: async () => client.destroy(),
      };
    },
  },
];

const md5Etag = (b: Buffer) =>
  `"${crypto.createHash('md5').update(b).digest('hex').toUpperCase()}"`;

async function readAll(store: ObjectStore, key: string): Promise<Buffer> {
  const { body } = await store.get(BUCKET, key);
  const parts: Buffer[] = [];
  for await (const p of body) parts.push(p as Buffer);
  return Buffer.concat(parts);
}

/** A body that sends `bytes`, then fails instead of ending (a connection lost at the end). */
function failingAtEnd(bytes: Buffer): Readable {
  const t = new Transform({
    transform: (chunk, _enc, cb) => cb(null, chunk),
    flush: (cb) => cb(new Error('digest mismatch at the end')),
  });
  t.end(bytes);
  return t;
}

describe.each(BACKENDS)('multipart uploads: $name', (backend) => {
  const withStore =
    (
      fn: (ctx: {
        store: ObjectStore;
        leftovers: () => Promise<string[]>;
        initiate: (key: string) => Promise<MultipartUpload>;
        put: (up: MultipartUpload, n: number, data: Buffer) => Promise<PartInfo>;
      }) => Promise<void>,
    ) =>
    async () => {
      const { store, leftovers, close } = await backend.open();
      try {
        await store.createBucket(BUCKET);
        await fn({
          store,
          leftovers,
          initiate: (key) =>
            store.initiateMultipartUpload(BUCKET, key, { partSizeBytes: PART, owner: OWNER }),
          put: (up, n, data) => store.uploadPart(BUCKET, up.key, up.uploadId, n, data, data.length),
        });
      } finally {
        await close();
      }
    };

  it(
    'keeps the object invisible until complete, then holds the parts in number order',
    withStore(async ({ store, initiate, put }) => {
      const up = await initiate('disks/a.raw');
      expect(up).toMatchObject({ bucket: BUCKET, key: 'disks/a.raw', partSizeBytes: PART });
      expect(up.uploadId).toMatch(/^[0-9A-F]{32}$/);
      const data = [crypto.randomBytes(PART), crypto.randomBytes(PART), crypto.randomBytes(1000)];

      // Out of order: the last (short) part first.
      for (const n of [3, 1, 2]) {
        const info = await put(up, n, data[n - 1]);
        expect(info).toMatchObject({ partNumber: n, size: data[n - 1].length });
        expect(info.etag).toBe(md5Etag(data[n - 1]));
      }
      expect(await store.head(BUCKET, 'disks/a.raw')).toBeUndefined();
      expect((await store.list(BUCKET)).objects).toEqual([]);

      const listed = await store.listParts(BUCKET, 'disks/a.raw', up.uploadId);
      expect(listed.map((p) => [p.partNumber, p.size, p.etag])).toEqual(
        data.map((d, i) => [i + 1, d.length, md5Etag(d)]),
      );

      const info = await store.completeMultipartUpload(
        BUCKET,
        'disks/a.raw',
        up.uploadId,
        listed.map((p) => ({ partNumber: p.partNumber, etag: p.etag })),
      );
      expect(info.size).toBe(2 * PART + 1000);
      expect((await readAll(store, 'disks/a.raw')).equals(Buffer.concat(data))).toBe(true);
      expect((await store.list(BUCKET)).objects.map((o) => o.key)).toEqual(['disks/a.raw']);
      await expect(store.getMultipartUpload(BUCKET, 'disks/a.raw', up.uploadId)).rejects.toThrow(
        /NoSuchUpload/,
      );
    }),
  );

  it(
    'replaces a part sent again and refuses a completion naming the old one',
    withStore(async ({ store, initiate, put }) => {
      const up = await initiate('r');
      const first = crypto.randomBytes(PART);
      const old = crypto.randomBytes(500);
      const now = crypto.randomBytes(700);
      const p1 = await put(up, 1, first);
      const stale = await put(up, 2, old);
      const fresh = await put(up, 2, now);

      const listed = await store.listParts(BUCKET, 'r', up.uploadId);
      expect(listed.map((p) => [p.partNumber, p.size, p.etag])).toEqual([
        [1, PART, p1.etag],
        [2, 700, fresh.etag],
      ]);
      await expect(
        store.completeMultipartUpload(BUCKET, 'r', up.uploadId, [p1, stale]),
      ).rejects.toMatchObject({ code: 'InvalidPart' });
      await store.completeMultipartUpload(BUCKET, 'r', up.uploadId, [p1, fresh]);
      expect((await readAll(store, 'r')).equals(Buffer.concat([first, now]))).toBe(true);
    }),
  );

  it(
    'refuses completions with a missing, unknown, out-of-order or short part, keeping the upload',
    withStore(async ({ store, initiate, put }) => {
      const up = await initiate('c');
      const a = crypto.randomBytes(PART);
      const b = crypto.randomBytes(PART);
      const p1 = await put(up, 1, a);
      const p3 = await put(up, 3, crypto.randomBytes(10));
      const complete = (parts: Array<{ partNumber: number; etag: string }>) =>
        store.completeMultipartUpload(BUCKET, 'c', up.uploadId, parts);

      // Part 2 was never uploaded; a gap is refused too.
      await expect(complete([p1, { partNumber: 2, etag: p1.etag }, p3])).rejects.toMatchObject({
        code: 'InvalidPart',
      });
      await expect(complete([p1, p3])).rejects.toMatchObject({ code: 'InvalidPart' });
      await expect(complete([])).rejects.toMatchObject({ code: 'InvalidPart' });
      await expect(complete([{ partNumber: 1, etag: md5Etag(b) }])).rejects.toMatchObject({
        code: 'InvalidPart',
      });

      const p2 = await put(up, 2, b);
      await expect(complete([p2, p1, p3])).rejects.toMatchObject({ code: 'InvalidPartOrder' });
      await expect(complete([p1, p1])).rejects.toMatchObject({ code: 'InvalidPartOrder' });

      // A part shorter than the part size may only be the last.
      const short = await put(up, 2, crypto.randomBytes(PART - 1));
      await expect(complete([p1, short, p3])).rejects.toMatchObject({ code: 'EntityTooSmall' });

      // None of the refusals touched the upload: with part 2 whole again it completes. Lower
      // case and unquoted ETags are the same ETags.
      const whole = await put(up, 2, b);
      await complete([p1, { partNumber: 2, etag: whole.etag.replace(/"/g, '').toLowerCase() }, p3]);
      expect((await readAll(store, 'c')).length).toBe(2 * PART + 10);
    }),
  );

  it(
    'refuses a part longer than the part size, and part numbers outside 1-10000',
    withStore(async ({ store, initiate, put }) => {
      const up = await initiate('big');
      await expect(put(up, 1, crypto.randomBytes(PART + 1))).rejects.toMatchObject({
        code: 'EntityTooLarge',
      });
      // Declared within the limit but longer: refused while it is read.
      await expect(
        store.uploadPart(BUCKET, 'big', up.uploadId, 1, crypto.randomBytes(PART + 1), PART),
      ).rejects.toMatchObject({ code: 'EntityTooLarge' });
      for (const n of [0, 10_001, 1.5]) {
        await expect(put(up, n, Buffer.from('x'))).rejects.toMatchObject({
          code: 'InvalidArgument',
        });
      }
      expect(await store.listParts(BUCKET, 'big', up.uploadId)).toEqual([]);
      await expect(
        store.initiateMultipartUpload(BUCKET, 'k', { partSizeBytes: 1024, owner: OWNER }),
      ).rejects.toMatchObject({ code: 'InvalidArgument' });
    }),
  );

  it(
    'forgets a part whose body fails, even one replacing a stored part',
    withStore(async ({ store, initiate, put }) => {
      const up = await initiate('f');
      const good = crypto.randomBytes(PART);
      await put(up, 1, good);

      const cut = new PassThrough();
      const sending = store.uploadPart(BUCKET, 'f', up.uploadId, 1, cut, PART);
      cut.write(crypto.randomBytes(PART / 2));
      setTimeout(() => cut.destroy(new Error('connection reset')), 50);
      await expect(sending).rejects.toThrow('connection reset');
      expect(await store.listParts(BUCKET, 'f', up.uploadId)).toEqual([]);

      // Every byte arrived, and the body failed only then (a digest checked at the end).
      const bytes = crypto.randomBytes(PART);
      await expect(
        store.uploadPart(BUCKET, 'f', up.uploadId, 1, failingAtEnd(bytes), PART),
      ).rejects.toThrow('digest mismatch');
      expect(await store.listParts(BUCKET, 'f', up.uploadId)).toEqual([]);

      const again = await put(up, 1, good);
      await store.completeMultipartUpload(BUCKET, 'f', up.uploadId, [again]);
      expect((await readAll(store, 'f')).equals(good)).toBe(true);
    }),
  );

  it(
    'drops parts stored beyond the last one a completion lists',
    withStore(async ({ store, initiate, put }) => {
      const up = await initiate('t');
      const a = crypto.randomBytes(PART);
      const b = crypto.randomBytes(PART);
      const p1 = await put(up, 1, a);
      const p2 = await put(up, 2, b);
      await put(up, 3, crypto.randomBytes(PART));
      const info = await store.completeMultipartUpload(BUCKET, 't', up.uploadId, [p1, p2]);
      expect(info.size).toBe(2 * PART);
      expect((await readAll(store, 't')).equals(Buffer.concat([a, b]))).toBe(true);
    }),
  );

  it(
    'leaves nothing of an aborted upload',
    withStore(async ({ store, leftovers, initiate, put }) => {
      const up = await initiate('gone');
      await put(up, 1, crypto.randomBytes(PART));
      await put(up, 2, crypto.randomBytes(100));
      expect((await leftovers()).length).toBeGreaterThan(0);
      const before = s3.requests.length;

      await store.abortMultipartUpload(BUCKET, 'gone', up.uploadId);
      expect(await leftovers()).toEqual([]);
      expect(await store.head(BUCKET, 'gone')).toBeUndefined();
      for (const call of [
        () => store.getMultipartUpload(BUCKET, 'gone', up.uploadId),
        () => store.listParts(BUCKET, 'gone', up.uploadId),
        () => put(up, 3, Buffer.from('late')),
        () => store.completeMultipartUpload(BUCKET, 'gone', up.uploadId, []),
        () => store.abortMultipartUpload(BUCKET, 'gone', up.uploadId),
      ]) {
        await expect(call()).rejects.toMatchObject({ code: 'NoSuchUpload' });
      }
      if (backend.name === 's3') {
        const aborts = s3.requests
          .slice(before)
          .filter((r) => r.method === 'DELETE' && 'uploadId' in r.query);
        expect(aborts).toHaveLength(1);
      }
    }),
  );

  it(
    'stops a part still being sent when the upload is aborted',
    withStore(async ({ store, leftovers, initiate }) => {
      const up = await initiate('slow');
      const body = new PassThrough();
      const sending = store.uploadPart(BUCKET, 'slow', up.uploadId, 1, body, PART);
      // Its refusal arrives while the abort is awaited.
      const refused = sending.then(
        () => undefined,
        (err: unknown) => err,
      );
      body.write(crypto.randomBytes(1000));
      await new Promise((r) => setTimeout(r, 50));

      await store.abortMultipartUpload(BUCKET, 'slow', up.uploadId);
      expect(await refused).toMatchObject({ code: 'NoSuchUpload' });
      expect(await leftovers()).toEqual([]);
    }),
  );

  it(
    'binds an upload ID to its bucket and key',
    withStore(async ({ store, initiate, put }) => {
      await store.createBucket('elsewhere');
      const up = await initiate('mine');
      await put(up, 1, crypto.randomBytes(10));
      for (const [bucket, key, id] of [
        [BUCKET, 'other', up.uploadId],
        ['elsewhere', 'mine', up.uploadId],
        [BUCKET, 'mine', up.uploadId.toLowerCase()],
        [BUCKET, 'mine', '../../etc/passwd'],
        [BUCKET, 'mine', '0'.repeat(32)],
      ]) {
        await expect(store.listParts(bucket, key, id)).rejects.toMatchObject({
          code: 'NoSuchUpload',
        });
        await expect(
          store.uploadPart(bucket, key, id, 1, Buffer.from('x'), 1),
        ).rejects.toMatchObject({ code: 'NoSuchUpload' });
      }
      expect(await store.getMultipartUpload(BUCKET, 'mine', up.uploadId)).toEqual(up);
    }),
  );

  it(
    'purges uploads initiated before a time, or those of one bucket',
    withStore(async ({ store, leftovers, initiate, put }) => {
      await store.createBucket('other');
      const a = await initiate('a');
      await put(a, 1, crypto.randomBytes(10));
      await initiate('b');
      await store.initiateMultipartUpload('other', 'c', { partSizeBytes: PART, owner: OWNER });

      expect(await store.purgeMultipartUploads({ initiatedBeforeMs: Date.now() - 60_000 })).toBe(0);
      expect(await store.purgeMultipartUploads({ bucket: 'other' })).toBe(1);
      expect((await store.listParts(BUCKET, 'a', a.uploadId)).length).toBe(1);
      expect(await store.purgeMultipartUploads({ initiatedBeforeMs: Date.now() + 1 })).toBe(2);
      expect(await leftovers()).toEqual([]);
    }),
  );

  it.runIf(backend.name === 'fs')(
    'renames the upload file into place instead of copying it',
    withStore(async ({ store, initiate, put }) => {
      const up = await initiate('same');
      const p1 = await put(up, 1, crypto.randomBytes(PART));
      const root = (store as FsObjectStore).root;
      const data = fs.statSync(path.join(root, '.multipart', up.uploadId, 'data'));
      await store.completeMultipartUpload(BUCKET, 'same', up.uploadId, [p1]);
      expect(fs.statSync((store as FsObjectStore).pathOf(BUCKET, 'same')).ino).toBe(data.ino);
    }),
  );
});
