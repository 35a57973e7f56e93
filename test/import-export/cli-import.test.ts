/**
 * `ecsimg import FILE --bucket B --name N`: upload, ImportImage and following the task, through
 * the CLI in-process against the real server with its embedded worker.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockTreeDigest, blockTreeDigestOf } from '../../src/domain/import-export/index.js';
import { runCli } from '../../src/cli/main.js';
import { startTestServer, type TestServer } from '../helpers/server.js';
import { makeSparseRaw, makeWorkDir, qemuAvailable, qemuConvert } from '../formats/qemu.js';
import { FAST_ENV, MIB, describeImage, prepareAccount } from './helpers.js';

async function cli(t: TestServer, args: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (d) => out.push(d));
  stderr.on('data', (d) => err.push(d));
  const creds = ['--access-key-id', t.admin.accessKeyId];
  creds.push('--access-key-secret', t.admin.accessKeySecret);
  const code = await runCli([...args, '--endpoint', t.url, ...creds, '--poll-ms', '50'], {
    stdout,
    stderr,
    env: {},
  });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe.skipIf(!qemuAvailable())('ecsimg import', () => {
  let t: TestServer;
  let dir: string;
  let raw: string;
  const bucket = 'cli-import';

  beforeAll(async () => {
    t = await startTestServer('sqlite', { ...FAST_ENV, ECSIMG_EMBEDDED_WORKER: 'true' });
    await prepareAccount(t, bucket);
    dir = makeWorkDir('ecsimg-cli-import-');
    raw = path.join(dir, 'disk.raw');
    makeSparseRaw(raw, 16 * MIB, [
      { offset: 0, length: MIB },
      { offset: 9 * MIB, length: 2 * MIB },
    ]);
    qemuConvert(raw, path.join(dir, 'disk.qcow2'), { from: 'raw', to: 'qcow2' });
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('uploads a qcow2, imports it and waits until the image is Available', async () => {
    const r = await cli(t, [
      'import',
      path.join(dir, 'disk.qcow2'),
      '--bucket',
      bucket,
      '--name',
      'from-cli',
    ]);
    expect(r.stderr).toContain('100%');
    expect(r.code).toBe(0);
    const imageId = /importing (m-\S+)/.exec(r.stdout)![1];
    expect(r.stdout).toContain(`${imageId} is Available`);

    const image = (await describeImage(t, imageId))!;
    expect(image.status).toBe('Available');
    const mapping = image.diskDeviceMappings!.diskDeviceMapping![0];
    expect(mapping).toMatchObject({
      format: 'qcow2',
      importOSSBucket: bucket,
      importOSSObject: 'disk.qcow2',
    });
    // The stored content is the raw disk the qcow2 was made from.
    const ref = await t.server.services.store.images.mappingsOf('cn-hangzhou', [imageId]);
    const manifest = await t.server.services.disks.read(ref.get(imageId)![0].content_ref!);
    expect(blockTreeDigest(manifest!)).toBe(blockTreeDigestOf(fs.readFileSync(raw)));
  }, 60_000);

  it('exits 1 with the task reason when the declared format disagrees with the file', async () => {
    const r = await cli(t, [
      'import',
      raw,
      '--bucket',
      bucket,
      '--name',
      'wrong-format',
      '--format',
      'vhd',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/did not complete: \S+/);
    const imageId = /importing (m-\S+)/.exec(r.stdout)![1];
    expect((await describeImage(t, imageId))!.status).toBe('CreateFailed');
  }, 60_000);

  it('refuses an unknown --format before uploading anything', async () => {
    const never = path.join(dir, 'never.raw');
    fs.copyFileSync(raw, never);
    const r = await cli(t, ['import', never, '--bucket', bucket, '--name', 'x', '--format', 'iso']);
    expect(r.code).toBe(2);
    const listed = await t.server.services.buckets.listObjects(t.admin.accountId, bucket, {});
    expect(listed.objects.map((o) => o.key)).not.toContain('never.raw');
  });
});
