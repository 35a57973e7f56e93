/**
 * `ecsimg oss`, `ecsimg roles` and `ecsimg gc` through `runCli` with captured streams, against
 * the real server in-process: uploads sign with ACS3 (AccessKey) and with Bearer (API key).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.js';
import { bearerCall, startTestServer, type TestServer } from '../helpers/server.js';

async function cli(t: TestServer, args: string[], auth: 'ak' | 'key' = 'ak') {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  stdout.on('data', (d) => out.push(d));
  stderr.on('data', (d) => err.push(d));
  const creds =
    auth === 'ak'
      ? ['--access-key-id', t.admin.accessKeyId, '--access-key-secret', t.admin.accessKeySecret]
      : ['--api-key', t.admin.apiKey];
  const needsClient = !['gc'].includes(args[0]);
  const code = await runCli([...args, ...(needsClient ? ['--endpoint', t.url, ...creds] : [])], {
    stdout,
    stderr,
    env: {},
  });
  return { code, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() };
}

describe('oss, roles and gc commands', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer('sqlite');
  });
  afterAll(async () => {
    await t?.close();
  });

  it('makes a bucket, copies a file up and down unchanged, lists and removes it', async () => {
    const local = path.join(t.database.dataDir, 'disk.raw');
    const data = crypto.randomBytes(30 * 1024 * 1024 + 17);
    fs.writeFileSync(local, data);

    expect((await cli(t, ['oss', 'mb', 'oss://cli-bucket', '--region', 'cn-beijing'])).code).toBe(
      0,
    );
    const up = await cli(t, ['oss', 'cp', local, 'oss://cli-bucket/images/disk.raw']);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/100%/);

    const back = path.join(t.database.dataDir, 'back.raw');
    const down = await cli(t, ['oss', 'cp', 'oss://cli-bucket/images/disk.raw', back], 'key');
    expect(down.code, down.stderr).toBe(0);
    expect(fs.readFileSync(back).equals(data)).toBe(true);

    const ls = await cli(t, ['oss', 'ls', 'oss://cli-bucket/images/']);
    expect(ls.stdout).toContain(`${data.length}  oss://cli-bucket/images/disk.raw`);
    const buckets = await cli(t, ['oss', 'ls']);
    expect(buckets.stdout).toMatch(/cn-beijing\s+oss:\/\/cli-bucket/);

    const rb = await cli(t, ['oss', 'rb', 'oss://cli-bucket']);
    expect(rb.code).toBe(3);
    expect(rb.stderr).toContain('BucketNotEmpty');
    expect((await cli(t, ['oss', 'rm', 'oss://cli-bucket/images/disk.raw'])).code).toBe(0);
    expect((await cli(t, ['oss', 'rb', 'oss://cli-bucket'])).code).toBe(0);
  });

  it('reports a missing object with its code, cause and fix', async () => {
    await cli(t, ['oss', 'mb', 'oss://cli-empty']);
    const res = await cli(t, [
      'oss',
      'cp',
      'oss://cli-empty/nope',
      path.join(t.database.dataDir, 'x'),
    ]);
    expect(res.code).toBe(3);
    expect(res.stderr).toContain('NoSuchKey (HTTP 404)');
    expect(res.stderr).toContain('fix:');
    expect(fs.existsSync(path.join(t.database.dataDir, 'x'))).toBe(false);
  });

  it('authorizes and lists service roles', async () => {
    const auth = await cli(t, ['roles', 'authorize', 'AliyunECSImageExportDefaultRole']);
    expect(auth.stdout).toBe('AliyunECSImageExportDefaultRole: authorized\n');
    const list = await cli(t, ['roles', 'list']);
    expect(list.stdout).toMatch(/AliyunECSImageExportDefaultRole\s+authorized \d{4}-/);
    expect(list.stdout).toMatch(/AliyunECSImageImportDefaultRole\s+not authorized/);
  });

  it('collects unreferenced chunks with gc --grace 0 and keeps them by default', async () => {
    const { address } = await t.server.services.chunks.put(crypto.randomBytes(1000));
    const kept = await cli(t, ['gc', '--data-dir', t.database.dataDir]);
    expect(kept.code, kept.stderr).toBe(0);
    expect(kept.stdout).toMatch(/deleted 0 .*1 younger than 3600s/);
    expect(await t.server.services.chunks.has(address)).toBe(true);

    const collected = await cli(t, ['gc', '--data-dir', t.database.dataDir, '--grace', '0']);
    expect(collected.stdout).toMatch(/deleted 1 \(1000 B\)/);
    expect(await t.server.services.chunks.has(address)).toBe(false);
    expect((await bearerCall(t, 'DescribeServiceRoles')).status).toBe(200);
  });
});
