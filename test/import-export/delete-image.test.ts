/**
 * DeleteImage releases the image's stored disk content: after the collector runs with no grace
 * period, the chunks only the deleted image referred to are gone, while chunks another image
 * still shares (identical blocks are stored once) stay until that image is deleted too.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKENDS } from '../helpers/databases.js';
import { ecsClient, Ecs, startTestServer, type TestServer } from '../helpers/server.js';
import { makeSparseRaw, makeWorkDir, qemuAvailable } from '../formats/qemu.js';
import {
  FAST_ENV,
  MIB,
  REGION,
  importRequest,
  prepareAccount,
  upload,
  waitForTask,
} from './helpers.js';

const VIRTUAL_SIZE = 24 * MIB;

async function storedChunks(t: TestServer): Promise<Set<string>> {
  const out = new Set<string>();
  for await (const c of t.server.services.chunks.list()) out.add(c.address);
  return out;
}

async function importDisk(t: TestServer, bucket: string, object: string, name: string) {
  const res = await ecsClient(t).importImage(
    importRequest([{ bucket, object, format: 'RAW' }], { imageName: name }),
  );
  const task = await waitForTask(t, res.body!.taskId!);
  expect(task.taskStatus).toBe('Finished');
  return res.body!.imageId!;
}

async function deleteImage(t: TestServer, imageId: string) {
  await ecsClient(t).deleteImage(new Ecs.DeleteImageRequest({ regionId: REGION, imageId }));
}

describe.skipIf(!qemuAvailable()).each(BACKENDS)(
  'DeleteImage and stored chunks on %s',
  (backend) => {
    let t: TestServer;
    let dir: string;
    const bucket = `del-${backend}`;

    beforeAll(async () => {
      t = await startTestServer(backend, { ...FAST_ENV, ECSIMG_EMBEDDED_WORKER: 'true' });
      await prepareAccount(t, bucket);
      dir = makeWorkDir('ecsimg-delete-');
      // `shared` and `own` have the same first block; `own` has a second block of its own.
      const shared = path.join(dir, 'shared.raw');
      const own = path.join(dir, 'own.raw');
      makeSparseRaw(shared, VIRTUAL_SIZE, [{ offset: 0, length: 4 * MIB }], 11);
      makeSparseRaw(own, VIRTUAL_SIZE, [{ offset: 0, length: 4 * MIB }], 11);
      makeSparseRaw(path.join(dir, 'tail'), 4 * MIB, [{ offset: 0, length: 4 * MIB }], 97);
      const fd = fs.openSync(own, 'r+');
      fs.writeSync(fd, fs.readFileSync(path.join(dir, 'tail')), 0, 4 * MIB, 12 * MIB);
      fs.closeSync(fd);
      await upload(t, bucket, 'shared.raw', shared);
      await upload(t, bucket, 'own.raw', own);
    }, 60_000);

    afterAll(async () => {
      await t?.close();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it('collects the chunks of a deleted image but keeps those another image shares', async () => {
      const before = await storedChunks(t);
      const keeper = await importDisk(t, bucket, 'shared.raw', 'keeper');
      const afterKeeper = await storedChunks(t);
      const sharedChunks = [...afterKeeper].filter((a) => !before.has(a));
      expect(sharedChunks).toHaveLength(1);

      const doomed = await importDisk(t, bucket, 'own.raw', 'doomed');
      const ownChunks = [...(await storedChunks(t))].filter((a) => !afterKeeper.has(a));
      expect(ownChunks).toHaveLength(1);

      await deleteImage(t, doomed);
      const first = await t.server.services.disks.collectGarbage({ graceMs: 0 });
      expect(first.deleted).toBeGreaterThanOrEqual(1);
      const left = await storedChunks(t);
      expect(left.has(ownChunks[0])).toBe(false);
      expect(left.has(sharedChunks[0])).toBe(true);

      await deleteImage(t, keeper);
      await t.server.services.disks.collectGarbage({ graceMs: 0 });
      expect((await storedChunks(t)).has(sharedChunks[0])).toBe(false);
    }, 120_000);

    it('keeps the chunks of an image whose deletion was only a DryRun', async () => {
      const imageId = await importDisk(t, bucket, 'own.raw', 'dry-run-kept');
      const chunks = await storedChunks(t);
      expect(chunks.size).toBeGreaterThan(0);
      await expect(
        ecsClient(t).deleteImage(
          new Ecs.DeleteImageRequest({ regionId: REGION, imageId, dryRun: true }),
        ),
      ).rejects.toMatchObject({ code: 'DryRunOperation' });
      await t.server.services.disks.collectGarbage({ graceMs: 0 });
      expect(await storedChunks(t)).toEqual(chunks);
      await deleteImage(t, imageId);
    }, 120_000);
  },
);
