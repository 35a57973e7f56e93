/**
 * `ecsimg oss mb|rb|ls|cp|rm`: OSS buckets from the command line, through the server's HTTP API
 * (so they work against a remote server). Metadata goes through the bucket actions
 * (src/api/actions/oss); object bodies stream over `/oss/<bucket>/<key>` (src/api/oss-routes.ts),
 * signed like every other call: Bearer, or ACS3-HMAC-SHA256 with an UNSIGNED-PAYLOAD body.
 * Uploads of big files go in resumable parts (oss-upload.ts).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { addClientOptions, connect, type ClientFlags } from './client/connection.js';
import { withApiErrors } from './client/failure.js';
import type { ApiClient } from './client/http-client.js';
import {
  credentialsOf,
  failed,
  objectAuthHeaders,
  objectUrl,
  request,
  type OssPath,
} from './client/objects.js';
import { CliError, EXIT, type CliIo } from './io.js';
import {
  DEFAULT_BIGFILE_THRESHOLD_BYTES,
  DEFAULT_PARALLEL,
  DEFAULT_PART_SIZE_BYTES,
  parseSize,
  uploadFile,
} from './oss-upload.js';
import { progress } from './progress.js';

export type { OssPath } from './client/objects.js';

interface CopyFlags extends ClientFlags {
  partSize?: string;
  bigfileThreshold?: string;
  parallel?: string;
}

/** `oss://bucket/key` (key may be empty or end in `/`). */
export function parseOssPath(text: string): OssPath | undefined {
  const m = /^oss:\/\/([^/]+)(?:\/(.*))?$/.exec(text);
  return m ? { bucket: m[1], key: m[2] ?? '' } : undefined;
}

const MIB = 1024 * 1024;

function parseParallel(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 32) {
    throw new CliError('--parallel takes a number from 1 to 32', EXIT.usage, 'e.g. --parallel 4');
  }
  return Number(text);
}

function requireOssPath(text: string, needKey: boolean): OssPath {
  const p = parseOssPath(text);
  if (!p || (needKey && !p.key)) {
    throw new CliError(
      `"${text}" is not an OSS ${needKey ? 'object' : 'bucket'} path`,
      EXIT.usage,
      needKey ? 'write oss://BUCKET/KEY' : 'write oss://BUCKET',
    );
  }
  return p;
}

async function downloadFile(io: CliIo, client: ApiClient, from: OssPath, file: string) {
  const dest =
    fs.existsSync(file) && fs.statSync(file).isDirectory()
      ? path.join(file, path.basename(from.key))
      : file;
  const url = objectUrl(client, from);
  const { req, response } = request(
    'GET',
    url,
    objectAuthHeaders(credentialsOf(client), 'GET', url),
  );
  req.end();
  const res = await response;
  if (res.statusCode !== 200) return failed(res);

  // A partial download never takes the destination's name.
  const temp = `${dest}.part-${crypto.randomBytes(4).toString('hex')}`;
  const total = Number(res.headers['content-length']) || undefined;
  const bar = progress(io, total, `download ${path.basename(from.key)}`);
  try {
    await pipeline(res, bar.meter(), fs.createWriteStream(temp));
    fs.renameSync(temp, dest);
  } catch (err) {
    fs.rmSync(temp, { force: true });
    throw new CliError(`download failed: ${(err as Error).message}`, EXIT.io);
  }
  bar.finish();
  io.stdout.write(`downloaded oss://${from.bucket}/${from.key} to ${dest}\n`);
}

export function registerOssCommands(program: Command, io: CliIo): void {
  const oss = program.command('oss').description('OSS buckets and objects (oss://BUCKET/KEY)');
  const run = async <T>(
    flags: ClientFlags,
    fn: (client: ApiClient, region: string) => Promise<T>,
  ) => {
    const { client, lang, region } = connect(io, flags);
    return withApiErrors(lang, () => fn(client, region));
  };

  addClientOptions(
    oss.command('mb <bucket>').description('make a bucket: oss://NAME --region R'),
  ).action(async (bucket: string, flags: ClientFlags) =>
    run(flags, async (client, region) => {
      const p = requireOssPath(bucket, false);
      await client.callAction('PutBucket', { RegionId: region, BucketName: p.bucket });
      io.stdout.write(`made bucket oss://${p.bucket} in ${region}\n`);
    }),
  );

  addClientOptions(oss.command('rb <bucket>').description('remove an empty bucket')).action(
    async (bucket: string, flags: ClientFlags) =>
      run(flags, async (client) => {
        const p = requireOssPath(bucket, false);
        await client.callAction('DeleteBucket', { BucketName: p.bucket });
        io.stdout.write(`removed bucket oss://${p.bucket}\n`);
      }),
  );

  addClientOptions(
    oss.command('ls [path]').description('list buckets, or objects under a prefix'),
  ).action(async (target: string | undefined, flags: ClientFlags) =>
    run(flags, async (client) => {
      if (!target) {
        const body = await client.callAction('ListBuckets');
        const list = (body.Buckets as { Bucket: Array<Record<string, string>> }).Bucket;
        for (const b of list) {
          io.stdout.write(`${b.CreationDate}  ${b.RegionId.padEnd(16)}  oss://${b.Name}\n`);
        }
        return;
      }
      const p = requireOssPath(target, false);
      let marker = '';
      for (;;) {
        const body = await client.callAction('ListObjects', {
          BucketName: p.bucket,
          Prefix: p.key,
          Delimiter: '/',
          MaxKeys: 1000,
          Marker: marker || undefined,
        });
        for (const prefix of (body.CommonPrefixes as { Prefix: string[] }).Prefix) {
          io.stdout.write(`${'DIR'.padStart(32)}  oss://${p.bucket}/${prefix}\n`);
        }
        const objects = (body.Objects as { Object: Array<Record<string, any>> }).Object;
        for (const o of objects) {
          io.stdout.write(
            `${o.LastModified}  ${String(o.Size).padStart(12)}  oss://${p.bucket}/${o.Key}\n`,
          );
        }
        if (!body.IsTruncated) break;
        marker = String(body.NextMarker);
      }
    }),
  );

  addClientOptions(
    oss
      .command('cp <source> <destination>')
      .description('upload (LOCAL oss://BUCKET/KEY) or download (oss://BUCKET/KEY LOCAL)')
      .option(
        '--bigfile-threshold <size>',
        'upload larger files in resumable parts ' +
          `(default ${DEFAULT_BIGFILE_THRESHOLD_BYTES / MIB}M)`,
      )
      .option(
        '--part-size <size>',
        `size of each part (default ${DEFAULT_PART_SIZE_BYTES / MIB}M; raised to stay ` +
          'within 10000 parts)',
      )
      .option('--parallel <n>', `parts sent at once (default ${DEFAULT_PARALLEL})`),
  ).action(async (source: string, destination: string, flags: CopyFlags) =>
    run(flags, async (client) => {
      const from = parseOssPath(source);
      const to = parseOssPath(destination);
      if (!from && to) {
        await uploadFile(io, client, source, to, {
          bigfileThresholdBytes:
            flags.bigfileThreshold === undefined
              ? undefined
              : parseSize(flags.bigfileThreshold, '--bigfile-threshold'),
          partSizeBytes:
            flags.partSize === undefined ? undefined : parseSize(flags.partSize, '--part-size'),
          parallel: flags.parallel === undefined ? undefined : parseParallel(flags.parallel),
        });
        return;
      }
      if (from && !to) return downloadFile(io, client, requireOssPath(source, true), destination);
      throw new CliError(
        'one side of cp is a local file and the other oss://BUCKET/KEY',
        EXIT.usage,
        'e.g. ecsimg oss cp ./disk.qcow2 oss://my-images/disk.qcow2',
      );
    }),
  );

  addClientOptions(oss.command('rm <object>').description('remove an object')).action(
    async (target: string, flags: ClientFlags) =>
      run(flags, async (client) => {
        const p = requireOssPath(target, true);
        await client.callAction('DeleteObject', { BucketName: p.bucket, Key: p.key });
        io.stdout.write(`removed oss://${p.bucket}/${p.key}\n`);
      }),
  );
}
