/**
 * Imports that do not run straight through. Imports here are slowed down with the import
 * bandwidth limit (ECSIMG_IMPORT_MAX_BYTES_PER_SEC) so that they are still running when the test
 * acts:
 *  - CancelTask of a running import: the task ends Deleted, the image and its content are gone;
 *  - a worker process killed with SIGKILL mid-import: the image never shows Available with
 *    partial data; another worker leases the task again, resumes the same manifest and finishes
 *    with content identical to the source.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { blockTreeDigestOf } from '../../src/domain/import-export/index.js';
import type { Worker } from '../../src/jobs/index.js';
import { createWorker } from '../../src/start/worker.js';
import { BACKENDS } from '../helpers/databases.js';
import { Ecs, ecsClient, startTestServer, type TestServer } from '../helpers/server.js';
import { makeSparseRaw, makeWorkDir, qemuAvailable, qemuConvert } from '../formats/qemu.js';
import { spawnWorkerProcess, waitFor } from '../jobs/helpers.js';
import {
  FAST_ENV,
  MIB,
  REGION,
  describeImage,
  importRequest,
  prepareAccount,
  relatedItem,
  taskAttribute,
  upload,
  waitForTask,
} from './helpers.js';

/** 64 MiB of data at 16 MiB/s: about four seconds per import. */
const RATE = String(16 * MIB);

describe.skipIf(!qemuAvailable()).each(BACKENDS)('interrupted imports on %s', (backend) => {
  let t: TestServer;
  let dir: string;
  let worker: Worker | undefined;
  let checksum: string;
  const bucket = `int-${backend}`;

  beforeAll(async () => {
    t = await startTestServer(backend, { ...FAST_ENV, ECSIMG_IMPORT_MAX_BYTES_PER_SEC: RATE });
    await prepareAccount(t, bucket);
    dir = makeWorkDir('ecsimg-import-int-');
    const raw = path.join(dir, 'disk.raw');
    makeSparseRaw(raw, 128 * MIB, [
      { offset: 0, length: 40 * MIB },
      { offset: 64 * MIB, length: 24 * MIB },
    ]);
    checksum = blockTreeDigestOf(fs.readFileSync(raw));
    qemuConvert(raw, path.join(dir, 'disk.qcow2'), { from: 'raw', to: 'qcow2' });
    await upload(t, bucket, 'disk.qcow2', path.join(dir, 'disk.qcow2'));
  }, 60_000);

  afterEach(async () => {
    await worker?.stop();
    worker = undefined;
  });

  afterAll(async () => {
    await t?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  async function progressOf(taskId: string): Promise<number> {
    const body = await taskAttribute(t, taskId);
    return body.taskStatus === 'Processing' ? Number(body.taskProcess!.replace('%', '')) : -1;
  }

  async function contentRef(imageId: string): Promise<string | null | undefined> {
    const rows = await t.server.services.store.images.mappingsOf(REGION, [imageId]);
    return rows.get(imageId)?.[0]?.content_ref;
  }

  it('CancelTask stops a running import: task Deleted, image and content removed', async () => {
    worker = createWorker(t.server.services, { id: `w-cancel-${backend}` });
    worker.start();
    const res = await ecsClient(t).importImage(
      importRequest([{ bucket, object: 'disk.qcow2', size: 1 }], { imageName: 'to-cancel' }),
    );
    const { imageId, taskId } = res.body!;

    // Running, part-way: DescribeImages shows the same progress the task does.
    await waitFor('progress', async () => (await progressOf(taskId!)) >= 10);
    const creating = (await describeImage(t, imageId!))!;
    expect(creating.status).toBe('Creating');
    expect(Number(creating.progress!.replace('%', ''))).toBeGreaterThan(0);
    const deleteWhileImporting = await ecsClient(t)
      .deleteImage(new Ecs.DeleteImageRequest({ regionId: REGION, imageId }))
      .catch((err: { code: string }) => err.code);
    expect(deleteWhileImporting).toBe('ImageIsImporting');
    const manifestId = (await contentRef(imageId!))!;
    expect(manifestId).toBeTruthy();

    await ecsClient(t).cancelTask(new Ecs.CancelTaskRequest({ regionId: REGION, taskId }));
    const done = await waitForTask(t, taskId!, 10_000);
    expect(done.taskStatus).toBe('Deleted');
    expect(await describeImage(t, imageId!)).toBeUndefined();
    expect(await t.server.services.store.blobs.getManifest(manifestId)).toBeUndefined();
  }, 30_000);

  it('killed worker mid-import: never Available while partial, resumes and completes', async () => {
    // The child reads its settings from the environment, so it needs the same slow rate.
    const child = spawnWorkerProcess(t, `w-doomed-${backend}`, {
      ECSIMG_IMPORT_MAX_BYTES_PER_SEC: RATE,
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const res = await ecsClient(t).importImage(
        importRequest([{ bucket, object: 'disk.qcow2', size: 1 }], { imageName: 'crashed' }),
      );
      const { imageId, taskId } = res.body!;
      await waitFor(
        'the child to be part-way',
        async () => (await progressOf(taskId!)) >= 20,
        30_000,
      );
      child.kill('SIGKILL');
      await exited;

      // Dead worker: the image is still Creating, its content a half-written manifest.
      const manifestId = (await contentRef(imageId!))!;
      const partial = (await t.server.services.store.blobs.getManifest(manifestId))!;
      expect(partial.state).toBe('writing');
      expect(partial.blocks.length).toBeGreaterThan(0);
      expect((await describeImage(t, imageId!))!.status).toBe('Creating');

      // Another worker leases the task once the dead one's lease expires and finishes it.
      worker = createWorker(t.server.services, { id: `w-rescue-${backend}` });
      worker.start();
      let sawAvailableEarly = false;
      const done = await waitFor(
        'the import to end',
        async () => {
          const body = await taskAttribute(t, taskId!);
          const image = await describeImage(t, imageId!);
          if (image?.status === 'Available') {
            // Available must mean every block is stored: the manifest is complete by then.
            const ref = (await contentRef(imageId!))!;
            const m = await t.server.services.store.blobs.getManifest(ref);
            if (m?.state !== 'complete') sawAvailableEarly = true;
          }
          return ['Waiting', 'Processing'].includes(body.taskStatus!) ? undefined : body;
        },
        60_000,
      );
      expect(sawAvailableEarly).toBe(false);
      expect(done.taskStatus).toBe('Finished');
      expect(relatedItem(done, 'DiskDeviceMapping.1.Checksum')).toBe(checksum);
      expect((await describeImage(t, imageId!))!.status).toBe('Available');
      // The rescue resumed the manifest the dead worker started (its blocks were kept).
      expect(await contentRef(imageId!)).toBe(manifestId);
      const task = (await t.server.services.jobs.get(taskId!))!;
      expect(task.attempts).toBe(2);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 90_000);
});
