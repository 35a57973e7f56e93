/**
 * ImportImage and ExportImage through the official SDK with the chunk store and the OSS buckets
 * both on an S3-protocol server (s3rver, started here): a qcow2 made by qemu-img goes into a
 * bucket as a multipart upload, is imported into S3 chunks, and comes back out as qcow2, VHD and
 * raw objects that qemu-img checks and finds identical to it. An export that fails or is
 * cancelled midway leaves nothing under its name: its multipart upload is aborted, never
 * completed.
 *
 * SQLite only: where the bytes go does not depend on the metadata backend, and the other
 * import/export suites run on both.
 */
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspect, openFileSource } from '../../src/formats/index.js';
import { startS3, type S3Request, type TestS3 } from '../blobs/s3-server.js';
import {
  makeSparseRaw,
  makeWorkDir,
  qemuAvailable,
  qemuCheck,
  qemuCompare,
  qemuConvert,
  qemuInfo,
} from '../formats/qemu.js';
import { Ecs, ecsClient, startTestServer, type TestServer } from '../helpers/server.js';
import {
  FAST_ENV,
  MIB,
  REGION,
  describeImage,
  download,
  importRequest,
  operation,
  prepareAccount,
  upload,
  waitForTask,
} from './helpers.js';

const SRC = 'src-s3';
const OUT = 'out-s3';

describe.skipIf(!qemuAvailable())('ImportImage and ExportImage on S3', () => {
  let s3: TestS3;
  let t: TestServer;
  let dir: string;
  const images: Record<'main' | 'sparse' | 'broken', string> = {
    main: '',
    sparse: '',
    broken: '',
  };

  /** The S3 key of a bucket object, as s3rver sees it in a request's path. */
  const s3Path = (bucket: string, key: string) =>
    `/${s3.config.bucket}/${s3.config.prefix}buckets/${bucket}/${key}`;

  /** The multipart requests s3rver received for one object (it answers an abort with 405). */
  function multipart(bucket: string, key: string) {
    const of = (match: (r: S3Request) => boolean) =>
      s3.requests.filter((r) => r.path === s3Path(bucket, key) && match(r)).length;
    return {
      created: of((r) => r.method === 'POST' && 'uploads' in r.query),
      parts: of((r) => r.method === 'PUT' && 'uploadId' in r.query),
      completed: of((r) => r.method === 'POST' && 'uploadId' in r.query),
      aborted: of((r) => r.method === 'DELETE' && 'uploadId' in r.query),
    };
  }

  async function importFrom(object: string, name: string): Promise<string> {
    const res = await ecsClient(t).importImage(
      importRequest([{ bucket: SRC, object, size: 1 }], { imageName: name }),
    );
    const done = await waitForTask(t, res.body!.taskId!);
    expect(operation(done).errorMsg).toBeUndefined();
    expect(done.taskStatus).toBe('Finished');
    return res.body!.imageId!;
  }

  function exportImage(imageId: string, format: string, prefix: string) {
    return ecsClient(t).exportImage(
      new Ecs.ExportImageRequest({
        regionId: REGION,
        imageId,
        OSSBucket: OUT,
        imageFormat: format,
        OSSPrefix: prefix,
      }),
    );
  }

  /** Nothing under the key, and nothing listed under the prefix. */
  async function expectNoObject(key: string, prefix: string) {
    const { buckets } = t.server.services;
    await expect(buckets.headObject(t.admin.accountId, OUT, key)).rejects.toMatchObject({
      code: 'NoSuchKey',
    });
    expect((await buckets.listObjects(t.admin.accountId, OUT, { prefix })).objects).toEqual([]);
  }

  beforeAll(async () => {
    s3 = await startS3();
    t = await startTestServer('sqlite', {
      ...FAST_ENV,
      ...s3.env,
      ECSIMG_EMBEDDED_WORKER: 'true',
    });
    await prepareAccount(t, SRC);
    await t.server.services.buckets.create(t.admin.accountId, OUT, REGION);
    dir = makeWorkDir('ecsimg-s3-');

    // Over 8 MiB of data, so the upload and every export go through multipart uploads.
    const main = path.join(dir, 'main.raw');
    makeSparseRaw(main, 40 * MIB, [
      { offset: 0, length: 2 * MIB },
      { offset: 9 * MIB + 512, length: 12 * MIB },
      { offset: 40 * MIB - 64 * 1024, length: 64 * 1024, fill: 0x11 },
    ]);
    qemuConvert(main, path.join(dir, 'main.qcow2'), { from: 'raw', to: 'qcow2', compress: true });
    // 128 MiB with 1 MiB of data every 16 MiB: a raw export has data left to read wherever
    // its upload is stopped.
    const sparse = path.join(dir, 'sparse.raw');
    const runs = Array.from({ length: 8 }, (_, i) => ({ offset: i * 16 * MIB, length: MIB }));
    makeSparseRaw(sparse, 128 * MIB, runs, 3);
    qemuConvert(sparse, path.join(dir, 'sparse.qcow2'), { from: 'raw', to: 'qcow2' });
    // Its own chunks (another seed): the failure test deletes one.
    makeSparseRaw(path.join(dir, 'broken.raw'), 40 * MIB, [{ offset: 0, length: 16 * MIB }], 5);

    await upload(t, SRC, 'main.qcow2', path.join(dir, 'main.qcow2'));
    await upload(t, SRC, 'sparse.qcow2', path.join(dir, 'sparse.qcow2'));
    await upload(t, SRC, 'broken.raw', path.join(dir, 'broken.raw'));
    images.main = await importFrom('main.qcow2', 's3-main');
    images.sparse = await importFrom('sparse.qcow2', 's3-sparse');
    images.broken = await importFrom('broken.raw', 's3-broken');
  }, 180_000);

  afterAll(async () => {
    await t?.close();
    await s3?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uploads by multipart and imports into S3 chunks, none in the data folder', async () => {
    expect(multipart(SRC, 'main.qcow2')).toMatchObject({ created: 1, completed: 1, aborted: 0 });
    expect((await describeImage(t, images.main))?.status).toBe('Available');

    // Every block holding data went into S3 as a chunk (blocks 1 and 6-8 are holes).
    const { store, chunks } = t.server.services;
    expect(chunks.kind).toBe('s3');
    const [mapping] = (await store.images.mappingsOf(REGION, [images.main])).get(images.main)!;
    const manifest = (await store.blobs.getManifest(mapping.content_ref!))!;
    expect(manifest.blocks.map((b) => b.index)).toEqual([0, 2, 3, 4, 5, 9]);
    const chunkKeys = new Set(
      s3.requests.filter((r) => r.method === 'PUT').map((r) => r.path.split('/chunks/')[1]),
    );
    for (const b of manifest.blocks) expect(chunkKeys.has(b.address), b.address).toBe(true);
    for (const local of ['chunks', 'buckets']) {
      expect(fs.existsSync(path.join(t.database.dataDir, local))).toBe(false);
    }
  });

  it.each(['qcow2', 'vhd', 'raw'])(
    'exports as %s to S3: qemu-img finds the object sound and identical to the upload',
    async (format) => {
      const res = await exportImage(images.main, format, `rt${format}`);
      const done = await waitForTask(t, res.body!.taskId!);
      expect(operation(done).errorMsg).toBeUndefined();
      expect(done.taskStatus).toBe('Finished');

      const key = `rt${format}_${images.main}_system.${format}`;
      expect(multipart(OUT, key)).toMatchObject({ created: 1, completed: 1, aborted: 0 });
      const file = await download(t, OUT, key, path.join(dir, `exported.${format}`));
      const q = format === 'vhd' ? 'vpc' : format === 'raw' ? 'raw' : 'qcow2';
      if (format === 'qcow2') {
        expect(qemuCheck(file, 'qcow2').ok).toBe(true);
      } else if (format === 'vhd') {
        // qemu-img check does not support VHD: qemu must open it, our inspector accept it.
        expect(qemuInfo(file, 'vpc').format).toBe('vpc');
        const source = await openFileSource(file);
        try {
          expect((await inspect(source, { declaredFormat: 'vhd' })).reasons).toEqual([]);
        } finally {
          await source.close();
        }
      }
      const compared = qemuCompare(file, q, path.join(dir, 'main.qcow2'), 'qcow2');
      expect(compared.identical, compared.raw.stdout + compared.raw.stderr).toBe(true);
    },
    60_000,
  );

  it('a cancelled export leaves no object: its multipart upload is aborted', async () => {
    const key = `cancelled_${images.sparse}_system.raw`;
    // Parts are held at the store: the export is stopped midway with most of the disk unread.
    const hold = s3.hold((r) => r.path === s3Path(OUT, key) && 'uploadId' in r.query);
    try {
      const res = await exportImage(images.sparse, 'raw', 'cancelled');
      const taskId = res.body!.taskId!;
      await hold.held;
      await ecsClient(t).cancelTask(new Ecs.CancelTaskRequest({ regionId: REGION, taskId }));
      // The worker learns of the cancellation at its next heartbeat (every 150 ms here).
      await sleep(1000);
      hold.release();

      const done = await waitForTask(t, taskId);
      expect(done.taskStatus).toBe('Deleted');
    } finally {
      hold.release();
    }
    await expectNoObject(key, 'cancelled');
    const requests = multipart(OUT, key);
    expect(requests).toMatchObject({ created: 1, completed: 0, aborted: 1 });
    expect(requests.parts).toBeGreaterThan(0);
    expect((await t.server.services.store.images.find(REGION, images.sparse))?.lock_operation).toBe(
      null,
    );
  }, 60_000);

  it('an export failing while its upload is created leaves no object and aborts it', async () => {
    const { store, chunks } = t.server.services;
    const [mapping] = (await store.images.mappingsOf(REGION, [images.broken])).get(images.broken)!;
    const manifest = (await store.blobs.getManifest(mapping.content_ref!))!;
    // The third block goes missing: the export fails right after its first 8 MiB part is cut.
    const victim = manifest.blocks.find((b) => b.index === 2)!.address;
    expect(await chunks.delete(victim)).toBe(true);

    const key = `failed_${images.broken}_system.raw`;
    // The upload's creation is held until the writer has met the missing chunk and given up.
    const hold = s3.hold((r) => r.path === s3Path(OUT, key) && 'uploads' in r.query);
    let taskId: string;
    try {
      taskId = (await exportImage(images.broken, 'raw', 'failed')).body!.taskId!;
      await hold.held;
      await sleep(500);
    } finally {
      hold.release();
    }

    const done = await waitForTask(t, taskId);
    expect(done.taskStatus).toBe('Failed');
    expect(operation(done).errorCode).toBe('ExportImageFailed');
    await expectNoObject(key, 'failed');
    // The upload created after the failure is aborted too, not left to collect parts.
    expect(multipart(OUT, key)).toMatchObject({ created: 1, completed: 0, aborted: 1 });
  }, 60_000);
});
