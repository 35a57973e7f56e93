/**
 * ImportImage of every accepted format through the official SDK: files made by qemu-img from one
 * raw disk, uploaded into a bucket, imported by the embedded worker. The image's disk device
 * mappings report the detected format and size, and the recorded checksum equals the checksum of
 * the original raw bytes — so the stored content is exactly the source disk.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockTreeDigestOf } from '../../src/domain/import-export/index.js';
import { BACKENDS } from '../helpers/databases.js';
import { ecsClient, startTestServer, type TestServer } from '../helpers/server.js';
import {
  makeSparseRaw,
  makeWorkDir,
  qemuAvailable,
  qemuConvert,
  type ConvertOptions,
} from '../formats/qemu.js';
import {
  FAST_ENV,
  MIB,
  describeImage,
  importRequest,
  operation,
  prepareAccount,
  relatedItem,
  upload,
  waitForTask,
} from './helpers.js';

const VIRTUAL_SIZE = 48 * MIB;

/** Source files: name → [how qemu-img makes it from the raw disk, the format we must detect]. */
const VARIANTS: Array<[string, Omit<ConvertOptions, 'from'> | undefined, string]> = [
  ['raw', undefined, 'raw'],
  ['qcow2', { to: 'qcow2' }, 'qcow2'],
  ['qcow2-compressed', { to: 'qcow2', compress: true }, 'qcow2'],
  ['vhd-dynamic', { to: 'vpc', opts: 'subformat=dynamic,force_size=on' }, 'vhd'],
  ['vhd-fixed', { to: 'vpc', opts: 'subformat=fixed,force_size=on' }, 'vhd'],
  ['vmdk-sparse', { to: 'vmdk', opts: 'subformat=monolithicSparse' }, 'vmdk'],
  ['vmdk-stream', { to: 'vmdk', opts: 'subformat=streamOptimized' }, 'vmdk'],
  ['vdi', { to: 'vdi' }, 'vdi'],
  ['vhdx', { to: 'vhdx' }, 'vhdx'],
];

describe.skipIf(!qemuAvailable()).each(BACKENDS)('ImportImage of each format on %s', (backend) => {
  let t: TestServer;
  let dir: string;
  let expectedChecksum: string;
  const bucket = `fmt-${backend}`;

  beforeAll(async () => {
    t = await startTestServer(backend, { ...FAST_ENV, ECSIMG_EMBEDDED_WORKER: 'true' });
    await prepareAccount(t, bucket);
    dir = makeWorkDir('ecsimg-import-');
    const raw = path.join(dir, 'raw');
    // Data at the start (a partition table would be here), mid-disk, a run crossing a 4 MiB
    // block boundary, and the last sector; holes elsewhere.
    makeSparseRaw(raw, VIRTUAL_SIZE, [
      { offset: 0, length: 1 * MIB },
      { offset: 10 * MIB + 4096, length: 3 * MIB },
      { offset: 20 * MIB - 512 * 1024, length: 1 * MIB },
      { offset: 30 * MIB, length: 2 * MIB, fill: 0x5a },
      { offset: VIRTUAL_SIZE - 512, length: 512 },
    ]);
    expectedChecksum = blockTreeDigestOf(fs.readFileSync(raw));
    for (const [name, how] of VARIANTS) {
      if (how) qemuConvert(raw, path.join(dir, name), { from: 'raw', ...how });
      await upload(t, bucket, `disks/${name}`, path.join(dir, name));
    }
  }, 120_000);

  afterAll(async () => {
    await t?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it.each(VARIANTS)(
    'imports %s: Available, detected format and size reported, content identical',
    async (name, _how, detected) => {
      const client = ecsClient(t);
      const res = await client.importImage(
        importRequest([{ bucket, object: `disks/${name}`, size: 1 }], {
          imageName: `img-${name}`,
        }),
      );
      const { imageId, taskId, regionId } = res.body!;
      expect(imageId).toMatch(/^m-[a-z0-9]{20}$/);
      expect(taskId).toMatch(/^t-[a-z0-9]+$/);
      expect(regionId).toBe('cn-hangzhou');

      const done = await waitForTask(t, taskId!);
      expect(operation(done).errorMsg).toBeUndefined();
      expect(done).toMatchObject({
        taskStatus: 'Finished',
        taskAction: 'ImportImage',
        taskProcess: '100%',
      });
      expect(relatedItem(done, 'DiskDeviceMapping.1.Format')).toBe(detected);
      expect(relatedItem(done, 'DiskDeviceMapping.1.VirtualSize')).toBe(String(VIRTUAL_SIZE));
      expect(relatedItem(done, 'DiskDeviceMapping.1.Checksum')).toBe(expectedChecksum);

      const image = (await describeImage(t, imageId!))!;
      expect(image).toMatchObject({ status: 'Available', progress: '100%', size: 1 });
      expect(image.diskDeviceMappings!.diskDeviceMapping).toEqual([
        expect.objectContaining({
          type: 'system',
          format: detected,
          size: '1',
          importOSSBucket: bucket,
          importOSSObject: `disks/${name}`,
          device: '/dev/xvda',
        }),
      ]);
    },
    60_000,
  );

  it('imports a system disk and two data disks into one image', async () => {
    const res = await ecsClient(t).importImage(
      importRequest(
        [
          { bucket, object: 'disks/qcow2', size: 2 },
          { bucket, object: 'disks/vhd-dynamic', format: 'VHD', size: 5 },
          { bucket, object: 'disks/raw' },
        ],
        { imageName: 'three-disks', OSType: 'linux', platform: 'Ubuntu' },
      ),
    );
    const done = await waitForTask(t, res.body!.taskId!);
    expect(done.taskStatus).toBe('Finished');
    for (const n of [1, 2, 3]) {
      expect(relatedItem(done, `DiskDeviceMapping.${n}.Checksum`)).toBe(expectedChecksum);
    }
    const image = (await describeImage(t, res.body!.imageId!))!;
    expect(image.size).toBe(2);
    expect(image.platform).toBe('Ubuntu');
    const disks = image.diskDeviceMappings!.diskDeviceMapping!;
    expect(disks.map((d) => [d.type, d.format, d.size, d.device])).toEqual([
      ['system', 'qcow2', '2', '/dev/xvda'],
      ['data', 'vhd', '5', '/dev/xvdb'],
      // Undeclared data disk: its virtual size rounded up to whole GiB.
      ['data', 'raw', '1', '/dev/xvdc'],
    ]);
  }, 60_000);
});
