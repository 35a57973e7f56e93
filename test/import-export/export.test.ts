/**
 * ExportImage through the official SDK: a round trip in every output format (the exported file
 * passes `qemu-img check` and `qemu-img compare` finds it identical to the ORIGINAL file that was
 * imported), the object naming, every synchronous refusal, the export lock (DeleteImage answers
 * ImageIsExporting), the concurrency quota, cancellation, and a failure that leaves no partial
 * object behind.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { inspect, openFileSource } from '../../src/formats/index.js';
import type { Worker } from '../../src/jobs/index.js';
import { createWorker } from '../../src/start/worker.js';
import { BACKENDS } from '../helpers/databases.js';
import { Ecs, bearerCall, ecsClient, startTestServer, type TestServer } from '../helpers/server.js';
import {
  makeSparseRaw,
  makeWorkDir,
  qemuAvailable,
  qemuCheck,
  qemuCompare,
  qemuConvert,
  qemuInfo,
  type QemuFormat,
} from '../formats/qemu.js';
import {
  FAST_ENV,
  MIB,
  REGION,
  download,
  importRequest,
  operation,
  prepareAccount,
  relatedItem,
  sdkError,
  upload,
  waitForTask,
} from './helpers.js';

const QEMU_NAME: Record<string, QemuFormat> = {
  raw: 'raw',
  qcow2: 'qcow2',
  vhd: 'vpc',
  vmdk: 'vmdk',
  vdi: 'vdi',
};

describe.skipIf(!qemuAvailable()).each(BACKENDS)('ExportImage on %s', (backend) => {
  let t: TestServer;
  let dir: string;
  let worker: Worker | undefined;
  let imageId: string;
  const src = `src-${backend}`;
  const out = `out-${backend}`;

  function startWorker() {
    worker ??= createWorker(t.server.services, { id: `w-export-${backend}` });
    worker.start();
  }

  async function importFrom(object: string, dataObject?: string, name?: string) {
    startWorker();
    const disks = [{ bucket: src, object, size: 1 }];
    if (dataObject) disks.push({ bucket: src, object: dataObject, size: 1 });
    const res = await ecsClient(t).importImage(importRequest(disks, { imageName: name }));
    const done = await waitForTask(t, res.body!.taskId!);
    expect(done.taskStatus).toBe('Finished');
    return res.body!.imageId!;
  }

  function exportImage(id: string, extra: Record<string, unknown> = {}) {
    return ecsClient(t).exportImage(
      new Ecs.ExportImageRequest({ regionId: REGION, imageId: id, OSSBucket: out, ...extra }),
    );
  }

  beforeAll(async () => {
    t = await startTestServer(backend, { ...FAST_ENV, ECSIMG_EXPORT_CONCURRENCY: '1' });
    await prepareAccount(t, src);
    await t.server.services.buckets.create(t.admin.accountId, out, REGION);
    await t.server.services.buckets.create(t.admin.accountId, `far-${backend}`, 'cn-beijing');
    dir = makeWorkDir('ecsimg-export-');
    const raw = path.join(dir, 'system.raw');
    makeSparseRaw(raw, 40 * MIB, [
      { offset: 0, length: 2 * MIB },
      { offset: 9 * MIB + 512, length: 5 * MIB },
      { offset: 40 * MIB - 64 * 1024, length: 64 * 1024, fill: 0x11 },
    ]);
    qemuConvert(raw, path.join(dir, 'system.qcow2'), { from: 'raw', to: 'qcow2', compress: true });
    makeSparseRaw(path.join(dir, 'data.raw'), 20 * MIB, [{ offset: 3 * MIB, length: 6 * MIB }], 7);
    await upload(t, src, 'system.qcow2', path.join(dir, 'system.qcow2'));
    await upload(t, src, 'data.raw', path.join(dir, 'data.raw'));
    imageId = await importFrom('system.qcow2', 'data.raw', 'to-export');
    await worker?.stop();
    worker = undefined;
  }, 120_000);

  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });

  afterAll(async () => {
    await t?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(Object.keys(QEMU_NAME))(
    'exports as %s: qemu-img check passes and compare finds the original import source identical',
    async (format) => {
      startWorker();
      const res = await exportImage(imageId, { imageFormat: format, OSSPrefix: `rt${format}` });
      expect(res.body!.regionId).toBe(REGION);
      const done = await waitForTask(t, res.body!.taskId!);
      expect(operation(done).errorMsg).toBeUndefined();
      expect(done).toMatchObject({ taskStatus: 'Finished', taskAction: 'ExportImage' });

      const systemKey = `rt${format}_${imageId}_system.${format}`;
      const dataKey = `rt${format}_${imageId}_data1.${format}`;
      const items = operation(done).relatedItemSet!.relatedItem!.map((i) => i.value);
      expect(items).toEqual([`${out}/${systemKey}`, `${out}/${dataKey}`]);

      const q = QEMU_NAME[format];
      const system = await download(t, out, systemKey, path.join(dir, `exp-system.${format}`));
      const data = await download(t, out, dataKey, path.join(dir, `exp-data.${format}`));
      for (const file of [system, data]) {
        // qemu-img check does not support vpc (VHD): there it must at least open the file, and
        // our own inspector must find it well-formed.
        if (format === 'vhd') {
          expect(qemuInfo(file, 'vpc').format).toBe('vpc');
          // inspect() borrows the source: closing it is ours (Node warned of a FileHandle
          // closed on garbage collection when it was left open).
          const source = await openFileSource(file);
          try {
            const inspected = await inspect(source, { declaredFormat: 'vhd' });
            expect(inspected.reasons).toEqual([]);
          } finally {
            await source.close();
          }
        } else if (format !== 'raw') {
          expect(qemuCheck(file, q).ok).toBe(true);
        }
      }
      const sys = qemuCompare(system, q, path.join(dir, 'system.qcow2'), 'qcow2');
      expect(sys.identical, sys.raw.stdout + sys.raw.stderr).toBe(true);
      const dat = qemuCompare(data, q, path.join(dir, 'data.raw'), 'raw');
      expect(dat.identical, dat.raw.stdout + dat.raw.stderr).toBe(true);
    },
    60_000,
  );

  it('refuses bad parameters with the cloud codes and creates no task', async () => {
    const cases: Array<[Record<string, unknown>, string, number]> = [
      [{ imageFormat: 'iso' }, 'InvalidImageFormat.Malformed', 400],
      [{ OSSPrefix: 'a/b' }, 'InvalidOSSPrefix.Malformed', 400],
      [{ OSSPrefix: 'x'.repeat(31) }, 'InvalidOSSPrefix.Malformed', 400],
      [{ OSSBucket: 'Bad_Name' }, 'InvalidOSSBucket.Malformed', 400],
      [{ OSSBucket: 'nobody-has-this' }, 'InvalidOSSBucket.NotFound', 400],
      [{ OSSBucket: `far-${backend}` }, 'InvalidOSSBucket.NotMatched', 400],
      [{ imageId: 'm-bp1doesnotexist000000' }, 'InvalidImageId.NotFound', 404],
      [{ imageId: 'ubuntu_22_04_x64_20G_alibase_20240101.vhd' }, 'InvalidImageId.NotFound', 404],
    ];
    const before = await t.server.services.jobs.list({
      accountId: t.admin.accountId,
      regionId: REGION,
      pageNumber: 1,
      pageSize: 1,
    });
    for (const [extra, code, status] of cases) {
      const err = await sdkError(exportImage(imageId, extra));
      expect([err.code, err.statusCode], JSON.stringify(extra)).toEqual([code, status]);
    }
    const after = await t.server.services.jobs.list({
      accountId: t.admin.accountId,
      regionId: REGION,
      pageNumber: 1,
      pageSize: 1,
    });
    expect(after.total).toBe(before.total);
  });

  it('refuses system, encrypted, Marketplace-derived and unfinished images', async () => {
    const { images, store } = t.server.services;
    const [system] = (
      await images.describe(t.admin.accountId, {
        regionId: REGION,
        ownerAlias: 'system',
        pageNumber: 1,
        pageSize: 1,
      })
    ).items;
    const sys = await sdkError(exportImage(system.row.id));
    expect([sys.code, sys.statusCode]).toEqual(['InvalidImageCategory.NotSupported', 403]);

    const creating = await images.createImage({
      accountId: t.admin.accountId,
      regionId: REGION,
      name: `creating-${backend}`,
      origin: 'import',
    });
    const status = await sdkError(exportImage(creating.id));
    expect([status.code, status.statusCode]).toEqual(['IncorrectImageStatus', 400]);

    const encrypted = await images.createImage({
      accountId: t.admin.accountId,
      regionId: REGION,
      name: `encrypted-${backend}`,
      origin: 'import',
    });
    await images.markAvailable(REGION, encrypted.id, {
      sizeGib: 1,
      mappings: [{ type: 'system', sizeGib: 1, encrypted: true, contentRef: 'mf-x' }],
    });
    const enc = await sdkError(exportImage(encrypted.id));
    expect([enc.code, enc.statusCode]).toEqual(['ImageNotSupported', 403]);
    expect(enc.message).toContain('encrypted');

    const market = await importFrom('data.raw', undefined, `market-${backend}`);
    await store.images.update(REGION, market, { product_code: 'cmjj000123' });
    const mkt = await sdkError(exportImage(market));
    expect([mkt.code, mkt.statusCode]).toEqual(['ImageNotSupported', 403]);
    expect(mkt.message).toContain('Marketplace');
  }, 60_000);

  it('refuses an export without an authorized role', async () => {
    await bearerCall(t, 'RevokeServiceRole', { RoleName: 'AliyunECSImageExportDefaultRole' });
    try {
      const err = await sdkError(exportImage(imageId));
      expect([err.code, err.statusCode]).toEqual(['NoSetRoletoECSServiceAcount', 403]);
      const other = await sdkError(exportImage(imageId, { roleName: 'NeverCreatedRole' }));
      expect(other.code).toBe('NoSetRoletoECSServiceAcount');
    } finally {
      await bearerCall(t, 'AuthorizeServiceRole', { RoleName: 'AliyunECSImageExportDefaultRole' });
    }
  });

  it('locks the image while exporting, enforces the quota, and releases both on cancel', async () => {
    const client = ecsClient(t);
    // No worker runs: the task waits, holding the image's export lock.
    const res = await exportImage(imageId, { imageFormat: 'qcow2', OSSPrefix: 'locked' });
    const taskId = res.body!.taskId!;

    const del = await sdkError(
      client.deleteImage(new Ecs.DeleteImageRequest({ regionId: REGION, imageId })),
    );
    expect([del.code, del.statusCode]).toEqual(['ImageIsExporting', 403]);

    const quota = await sdkError(exportImage(imageId));
    expect([quota.code, quota.statusCode]).toEqual(['ConcurrentQuotaExceed.ExportImage', 403]);

    await client.cancelTask(new Ecs.CancelTaskRequest({ regionId: REGION, taskId }));
    startWorker();
    const done = await waitForTask(t, taskId);
    expect(done.taskStatus).toBe('Deleted');
    const listed = await t.server.services.buckets.listObjects(t.admin.accountId, out, {
      prefix: 'locked',
    });
    expect(listed.objects).toEqual([]);

    // The lock is gone: a dry-run delete passes its checks.
    const dry = await sdkError(
      client.deleteImage(new Ecs.DeleteImageRequest({ regionId: REGION, imageId, dryRun: true })),
    );
    expect(dry.code).toBe('DryRunOperation');
  }, 30_000);

  it('a DryRun runs the checks and starts nothing', async () => {
    const dry = await sdkError(exportImage(imageId, { dryRun: true }));
    expect(dry.code).toBe('DryRunOperation');
    const bad = await sdkError(exportImage(imageId, { dryRun: true, OSSBucket: 'nobody-has-it' }));
    expect(bad.code).toBe('InvalidOSSBucket.NotFound');
    const tasks = await t.server.services.jobs.list({
      accountId: t.admin.accountId,
      regionId: REGION,
      action: 'ExportImage',
      status: 'Waiting',
      pageNumber: 1,
      pageSize: 10,
    });
    expect(tasks.total).toBe(0);
  });

  it('fails cleanly when stored content is missing: no partial object, image unlocked', async () => {
    const broken = await importFrom('system.qcow2', undefined, `broken-${backend}`);
    const { store, chunks } = t.server.services;
    const [mapping] = (await store.images.mappingsOf(REGION, [broken])).get(broken)!;
    const manifest = (await store.blobs.getManifest(mapping.content_ref!))!;
    // A chunk referenced late in the disk goes missing (and only this image uses it).
    const victim = manifest.blocks.at(-1)!.address;
    await chunks.delete(victim);

    const res = await exportImage(broken, { imageFormat: 'vhd', OSSPrefix: 'broken' });
    const done = await waitForTask(t, res.body!.taskId!);
    expect(done.taskStatus).toBe('Failed');
    expect(operation(done).errorCode).toBe('ExportImageFailed');
    expect(operation(done).errorMsg).toContain('damaged');
    const listed = await t.server.services.buckets.listObjects(t.admin.accountId, out, {
      prefix: 'broken',
    });
    expect(listed.objects).toEqual([]);
    const row = await store.images.find(REGION, broken);
    expect(row?.lock_operation).toBeNull();
    expect(relatedItem(done, 'OSSObject')).toBeUndefined();
  }, 60_000);
});
