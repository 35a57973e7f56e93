/**
 * ImportImage's refusals through the official SDK. Synchronous ones answer with the cloud's code
 * and create nothing (no image, no task); asynchronous ones (what the safe inspector finds in
 * the file) fail the task with a coded reason in DescribeTaskAttribute and leave the image
 * CreateFailed. Also: ClientToken replay and 50 concurrent requests with one token.
 *
 * This server keeps this deployment's default disk rule (system disk 40-500 GiB).
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/databases.js';
import { Ecs, bearerCall, ecsClient, startTestServer, type TestServer } from '../helpers/server.js';
import {
  makeSparseRaw,
  makeWorkDir,
  qemuAvailable,
  qemuConvert,
  qemuImg,
} from '../formats/qemu.js';
import {
  FAST_ENV,
  MIB,
  REGION,
  describeImage,
  importRequest,
  operation,
  prepareAccount,
  sdkError,
  upload,
  waitForTask,
} from './helpers.js';

const { ECSIMG_IMPORT_SYSTEM_DISK_MIN_GIB: _min, ...ENV } = FAST_ENV;

describe.skipIf(!qemuAvailable()).each(BACKENDS)('ImportImage refusals on %s', (backend) => {
  let t: TestServer;
  let dir: string;
  const bucket = `ref-${backend}`;
  const good = { bucket, object: 'good.qcow2', size: 40 };

  async function counts() {
    const { store } = t.server.services;
    const images = await store.images.search({
      regionId: REGION,
      viewerId: t.admin.accountId,
      scope: { system: false, self: true, shared: false, community: false, marketplace: false },
      includeExpired: true,
      offset: 0,
      limit: 1,
    });
    const tasks = await t.server.services.jobs.list({
      accountId: t.admin.accountId,
      regionId: REGION,
      pageNumber: 1,
      pageSize: 1,
    });
    return { images: images.total, tasks: tasks.total };
  }

  beforeAll(async () => {
    t = await startTestServer(backend, { ...ENV, ECSIMG_EMBEDDED_WORKER: 'true' });
    await prepareAccount(t, bucket);
    await t.server.services.buckets.create(t.admin.accountId, `far-${bucket}`, 'cn-shanghai');
    const other = await t.server.services.accounts.createAccount(`other-${backend}`);
    await t.server.services.buckets.create(other.accountId, `theirs-${bucket}`, REGION);

    dir = makeWorkDir('ecsimg-import-refusals-');
    const raw = path.join(dir, 'good.raw');
    makeSparseRaw(raw, 8 * MIB, [{ offset: 0, length: 2 * MIB }]);
    qemuConvert(raw, path.join(dir, 'good.qcow2'), { from: 'raw', to: 'qcow2' });
    fs.writeFileSync(path.join(dir, 'empty'), '');
    // A qcow2 that would make a naive converter read /etc/passwd.
    qemuImg([
      'create',
      '-q',
      '-f',
      'qcow2',
      '-b',
      '/etc/passwd',
      '-F',
      'raw',
      path.join(dir, 'backing.qcow2'),
      '1M',
    ]);
    // 41 GiB virtual and 3 GiB virtual qcow2 files of a few hundred KiB.
    qemuImg(['create', '-q', '-f', 'qcow2', path.join(dir, 'big.qcow2'), '41G']);
    qemuImg(['create', '-q', '-f', 'qcow2', path.join(dir, 'data3g.qcow2'), '3G']);
    for (const name of ['good.qcow2', 'empty', 'backing.qcow2', 'big.qcow2', 'data3g.qcow2']) {
      await upload(t, bucket, name, path.join(dir, name));
    }
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const many = Array.from({ length: 18 }, () => good);
  const SYNC: Array<[string, ReturnType<typeof importRequest>, string, number]> = [];
  const add = (name: string, req: ReturnType<typeof importRequest>, code: string, status = 400) =>
    SYNC.push([name, req, code, status]);
  add('no disk', importRequest([]), 'MissingParameter.DiskDeviceMapping', 403);
  add('no object', importRequest([{ bucket, object: '' }]), 'MissingParameter');
  add(
    'an unknown Format',
    importRequest([{ ...good, format: 'ISO' }]),
    'InvalidImageFormat.Malformed',
  );
  add(
    'a malformed bucket',
    importRequest([{ ...good, bucket: 'Bad_B' }]),
    'InvalidOSSBucket.Malformed',
  );
  add(
    'a missing bucket',
    importRequest([{ ...good, bucket: 'no-such-bkt' }]),
    'InvalidOSSBucket.NotFound',
  );
  add(
    "another account's bucket",
    importRequest([{ ...good, bucket: `theirs-${bucket}` }]),
    'InvalidOSSBucket.NotFound',
  );
  add(
    'a bucket of another region',
    importRequest([{ ...good, bucket: `far-${bucket}` }]),
    'InvalidOSSBucket.NotMatched',
  );
  add(
    'a missing object',
    importRequest([{ ...good, object: 'nope.qcow2' }]),
    'InvalidOSSObject.NotFound',
  );
  add('an empty object', importRequest([{ ...good, object: 'empty' }]), 'InvalidOSSObject.Size');
  add('a system disk under 40 GiB', importRequest([{ ...good, size: 39 }]), 'InvalidImageSize');
  add('a system disk over 500 GiB', importRequest([{ ...good, size: 501 }]), 'InvalidImageSize');
  add(
    'a data disk over 2048 GiB',
    importRequest([good, { ...good, size: 2049 }]),
    'InvalidDataDiskSize',
  );
  add('18 disks', importRequest(many), 'InvalidParameter');
  add(
    'a malformed name',
    importRequest([good], { imageName: 'aliyun-img' }),
    'InvalidImageName.Malformed',
  );
  add(
    'a malformed description',
    importRequest([good], { description: 'http://x.example' }),
    'InvalidDescription.Malformed',
  );
  add(
    'an unknown architecture',
    importRequest([good], { architecture: 'mips' }),
    'InvalidArchitecture.Malformed',
  );
  add('an unknown OSType', importRequest([good], { OSType: 'beos' }), 'InvalidOSType.Malformed');
  add(
    'an unknown platform',
    importRequest([good], { platform: 'Plan9' }),
    'InvalidPlatform.Malformed',
  );
  add(
    'a Linux platform with OSType windows',
    importRequest([good], { platform: 'Ubuntu', OSType: 'windows' }),
    'InvalidPlatform.Malformed',
  );
  add(
    'an unknown boot mode',
    importRequest([good], { bootMode: 'Legacy' }),
    'InvalidBootMode.Malformed',
  );
  add(
    'arm64 with BIOS',
    importRequest([good], { architecture: 'arm64', bootMode: 'BIOS' }),
    'InvalidBootMode.NotSupport',
    400,
  );
  add(
    'arm64 Windows',
    importRequest([good], { architecture: 'arm64', bootMode: 'UEFI', OSType: 'windows' }),
    'InvalidArchitecture.PlatformUnsupported',
  );
  add(
    'a licence Aliyun cannot provide',
    importRequest([good], { OSType: 'windows', platform: 'Other Windows', licenseType: 'Aliyun' }),
    'InvalidLicenseType.BYOLOnly',
  );
  add(
    'an unknown licence type',
    importRequest([good], { licenseType: 'Free' }),
    'InvalidLicenseType.NotSupported',
  );
  add(
    'an unknown detection strategy',
    importRequest([good], { detectionStrategy: 'Fast' }),
    'InvalidParameter.DetectionStrategy',
  );
  add(
    'a detection strategy (not emulated)',
    importRequest([good], { detectionStrategy: 'Standard' }),
    'InvalidParameter',
  );
  add(
    'a resource group (not supported)',
    importRequest([good], { resourceGroupId: 'rg-1' }),
    'InvalidParameter',
  );
  add(
    'a CloudBox storage location (not supported)',
    importRequest([good], { storageLocationArn: 'arn:acs:cloudbox:cn-hangzhou:1:cloudbox/cb-1' }),
    'InvalidParameter',
  );
  add(
    'a duplicated tag key',
    importRequest([good], {
      tag: [
        new Ecs.ImportImageRequestTag({ key: 'env', value: 'a' }),
        new Ecs.ImportImageRequestTag({ key: 'env', value: 'b' }),
      ],
    }),
    'TagKey.Duplication',
    403,
  );
  add(
    'a bad ClientToken',
    importRequest([good], { clientToken: 'x'.repeat(65) }),
    'InvalidClientToken.Malformed',
  );

  it.each(SYNC)(
    'refuses %s synchronously and creates nothing',
    async (_name, req, code, status) => {
      const before = await counts();
      const err = await sdkError(ecsClient(t).importImage(req));
      expect([err.code, err.statusCode]).toEqual([code, status]);
      expect(await counts()).toEqual(before);
    },
  );

  it('refuses a Device that is not a device name', async () => {
    // The SDK sends Device as given; ours checks its shape.
    const { status, body } = await bearerCall(t, 'ImportImage', {
      RegionId: REGION,
      'DiskDeviceMapping.1.OSSBucket': bucket,
      'DiskDeviceMapping.1.OSSObject': 'good.qcow2',
      'DiskDeviceMapping.1.DiskImageSize': '40',
      'DiskDeviceMapping.1.Device': '/mnt/disk',
    });
    expect([status, body.Code]).toEqual([403, 'InvalidParameter.Malformed']);
  });

  it('refuses without an authorized role, and a duplicate name', async () => {
    await bearerCall(t, 'RevokeServiceRole', { RoleName: 'AliyunECSImageImportDefaultRole' });
    try {
      const before = await counts();
      const err = await sdkError(ecsClient(t).importImage(importRequest([good])));
      expect([err.code, err.statusCode]).toEqual(['NoSetRoletoECSServiceAcount', 403]);
      expect(await counts()).toEqual(before);
    } finally {
      await bearerCall(t, 'AuthorizeServiceRole', { RoleName: 'AliyunECSImageImportDefaultRole' });
    }

    await ecsClient(t).importImage(importRequest([good], { imageName: 'taken-name' }));
    const before = await counts();
    const dup = await sdkError(
      ecsClient(t).importImage(importRequest([good], { imageName: 'taken-name' })),
    );
    expect([dup.code, dup.statusCode]).toEqual(['InvalidImageName.Duplicated', 400]);
    expect(await counts()).toEqual(before);
  });

  it('answers a DryRun with DRYRUN.SUCCESS after every check, creating nothing', async () => {
    const before = await counts();
    const ok = await sdkError(ecsClient(t).importImage(importRequest([good], { dryRun: true })));
    expect([ok.code, ok.statusCode]).toEqual(['DRYRUN.SUCCESS', 400]);
    const bad = await sdkError(
      ecsClient(t).importImage(importRequest([{ ...good, object: 'empty' }], { dryRun: true })),
    );
    expect(bad.code).toBe('InvalidOSSObject.Size');
    expect(await counts()).toEqual(before);
  });

  const ASYNC: Array<[string, Parameters<typeof importRequest>[0], string, string]> = [
    [
      'a qcow2 naming a backing file',
      [{ bucket, object: 'backing.qcow2', size: 40 }],
      'InvalidImageFormat.Malformed',
      'QCOW2_BACKING_FILE',
    ],
    [
      'a declared format the content contradicts',
      [{ bucket, object: 'good.qcow2', format: 'VHD', size: 40 }],
      'InvalidImageFormat.Malformed',
      'FORMAT_MISMATCH',
    ],
    [
      'a system disk larger than its DiskImageSize',
      [{ bucket, object: 'big.qcow2', size: 40 }],
      'InvalidImageSize',
      'exceeds DiskImageSize 40 GiB',
    ],
    [
      'a data disk larger than its DiskImageSize',
      [good, { bucket, object: 'data3g.qcow2', size: 2 }],
      'InvalidDataDiskSize',
      'DiskDeviceMapping.2',
    ],
  ];

  it.each(ASYNC)(
    'fails the task for %s, with the reason shown, and the image becomes CreateFailed',
    async (_name, disks, code, reason) => {
      const res = await ecsClient(t).importImage(importRequest(disks));
      const done = await waitForTask(t, res.body!.taskId!);
      expect(done.taskStatus).toBe('Failed');
      expect(done.failedCount).toBe(1);
      expect(operation(done)).toMatchObject({ operationStatus: 'Failed', errorCode: code });
      expect(operation(done).errorMsg).toContain(reason);
      const image = await describeImage(t, res.body!.imageId!);
      expect(image?.status).toBe('CreateFailed');
      // Nothing of the refused file was stored.
      const [mapping] = (
        await t.server.services.store.images.mappingsOf(REGION, [res.body!.imageId!])
      ).get(res.body!.imageId!)!;
      expect(mapping.content_ref).toBeNull();
    },
    30_000,
  );

  it('replays a ClientToken: same parameters, same ImageId and TaskId; others refused', async () => {
    const req = () => importRequest([good], { clientToken: `tok-${backend}`, imageName: 'once' });
    const first = (await ecsClient(t).importImage(req())).body!;
    const again = (await ecsClient(t).importImage(req())).body!;
    expect(again).toMatchObject({ imageId: first.imageId, taskId: first.taskId });

    const other = await sdkError(
      ecsClient(t).importImage(
        importRequest([good], { clientToken: `tok-${backend}`, imageName: 'twice' }),
      ),
    );
    expect(other.code).toBe('IdempotentParameterMismatch');
    expect((await waitForTask(t, first.taskId!)).taskStatus).toBe('Finished');
  });

  it('creates one image for 50 concurrent requests with one ClientToken', async () => {
    const token = `burst-${backend}`;
    const calls = Array.from({ length: 50 }, () =>
      ecsClient(t).importImage(importRequest([good], { clientToken: token, imageName: 'burst' })),
    );
    const settled = await Promise.allSettled(calls);
    const ok = settled.filter((s) => s.status === 'fulfilled').map((s) => s.value.body!);
    const failed = settled
      .filter((s): s is PromiseRejectedResult => s.status === 'rejected')
      .map((s) => (s.reason as { code: string }).code);
    expect(ok.length).toBeGreaterThan(0);
    expect(new Set(ok.map((b) => b.imageId)).size).toBe(1);
    expect(new Set(ok.map((b) => b.taskId)).size).toBe(1);
    // The losers arrived while the first request still ran: asked to retry, nothing created.
    expect(new Set(failed)).toEqual(new Set(failed.length ? ['IdempotentProcessing'] : []));

    const images = await t.server.services.images.describe(t.admin.accountId, {
      regionId: REGION,
      ownerAlias: 'self',
      status: 'ALL',
      imageName: 'burst',
      pageNumber: 1,
      pageSize: 100,
    });
    expect(images.total).toBe(1);
    expect((await waitForTask(t, ok[0].taskId!)).taskStatus).toBe('Finished');
  }, 30_000);
});
