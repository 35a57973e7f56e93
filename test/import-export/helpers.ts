/**
 * Shared pieces of the import/export tests: an account ready to import (roles authorized, a
 * bucket in the region), uploads into buckets through the bucket service, SDK calls, and waiting
 * for tasks through DescribeTaskAttribute.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Ecs, bearerCall, ecsClient, type TestServer } from '../helpers/server.js';
import { waitFor } from '../jobs/helpers.js';

export const REGION = 'cn-hangzhou';
export const MIB = 1024 * 1024;
export const GIB = 1024 * MIB;

/** Job timings that keep tests fast (a dead worker's lease expires within a second). */
export const FAST_ENV: Record<string, string> = {
  ECSIMG_JOB_LEASE_MS: '900',
  ECSIMG_JOB_HEARTBEAT_MS: '150',
  ECSIMG_WORKER_POLL_MS: '20',
  ECSIMG_WORKER_MAX_POLL_MS: '100',
  ECSIMG_JOB_RETRY_DELAY_MS: '50',
  ECSIMG_WORKER_SHUTDOWN_GRACE_MS: '0',
  ECSIMG_WORKER_CONCURRENCY: '4',
  // Small test disks: allow system disks from 1 GiB.
  ECSIMG_IMPORT_SYSTEM_DISK_MIN_GIB: '1',
};

/** Authorizes both default service roles and creates `bucket` in `region` for the admin. */
export async function prepareAccount(t: TestServer, bucket: string, region = REGION) {
  for (const role of ['AliyunECSImageImportDefaultRole', 'AliyunECSImageExportDefaultRole']) {
    const { status } = await bearerCall(t, 'AuthorizeServiceRole', { RoleName: role });
    if (status !== 200) throw new Error(`authorizing ${role} answered ${status}`);
  }
  await t.server.services.buckets.create(t.admin.accountId, bucket, region);
}

export async function upload(t: TestServer, bucket: string, key: string, file: string) {
  return t.server.services.buckets.putObject(
    t.admin.accountId,
    bucket,
    key,
    fs.createReadStream(file),
  );
}

export async function download(t: TestServer, bucket: string, key: string, file: string) {
  const { body } = await t.server.services.buckets.getObject(t.admin.accountId, bucket, key);
  await pipeline(body, fs.createWriteStream(file));
  return file;
}

export interface DiskSpec {
  bucket: string;
  object: string;
  format?: string;
  size?: number;
}

export function importRequest(
  disks: DiskSpec[],
  extra: Partial<ConstructorParameters<typeof Ecs.ImportImageRequest>[0]> = {},
) {
  return new Ecs.ImportImageRequest({
    regionId: REGION,
    diskDeviceMapping: disks.map(
      (d) =>
        new Ecs.ImportImageRequestDiskDeviceMapping({
          OSSBucket: d.bucket,
          OSSObject: d.object,
          format: d.format,
          diskImageSize: d.size,
        }),
    ),
    ...extra,
  });
}

/** The SDK's error fields the tests look at. */
export async function sdkError(
  call: Promise<unknown>,
): Promise<{ code: string; statusCode: number; message: string }> {
  try {
    await call;
  } catch (err) {
    const e = err as { code: string; statusCode: number; message: string };
    return { code: e.code, statusCode: e.statusCode, message: e.message };
  }
  throw new Error('the call succeeded');
}

export async function taskAttribute(t: TestServer, taskId: string) {
  const res = await ecsClient(t).describeTaskAttribute(
    new Ecs.DescribeTaskAttributeRequest({ regionId: REGION, taskId }),
  );
  return res.body!;
}

/** Waits until the task leaves Waiting/Processing; returns DescribeTaskAttribute's body. */
export async function waitForTask(t: TestServer, taskId: string, timeoutMs = 60_000) {
  return waitFor(
    `task ${taskId} to end`,
    async () => {
      const body = await taskAttribute(t, taskId);
      return ['Waiting', 'Processing'].includes(body.taskStatus!) ? undefined : body;
    },
    timeoutMs,
  );
}

export async function describeImage(t: TestServer, imageId: string) {
  const res = await ecsClient(t).describeImages(
    new Ecs.DescribeImagesRequest({ regionId: REGION, imageId, status: 'ALL' }),
  );
  return res.body!.images?.image?.[0];
}

export function relatedItem(
  body: Awaited<ReturnType<typeof taskAttribute>>,
  name: string,
): string | undefined {
  const items = body.operationProgressSet?.operationProgress?.[0]?.relatedItemSet?.relatedItem;
  return items?.find((i) => i.name === name)?.value;
}

export function operation(body: Awaited<ReturnType<typeof taskAttribute>>) {
  return body.operationProgressSet!.operationProgress![0];
}

export function tmpFile(dir: string, name: string): string {
  return path.join(dir, name);
}

/**
 * An Available image of the admin account with stored content as far as ExportImage's checks can
 * tell: its system disk names manifest `contentRef`, which need not exist while no worker runs.
 */
export async function exportableImage(t: TestServer, name: string, contentRef: string) {
  const { images } = t.server.services;
  const image = await images.createImage({
    accountId: t.admin.accountId,
    regionId: REGION,
    name,
    origin: 'import',
  });
  await images.markAvailable(REGION, image.id, {
    sizeGib: 1,
    mappings: [{ type: 'system', sizeGib: 1, contentRef }],
  });
  return image.id;
}
