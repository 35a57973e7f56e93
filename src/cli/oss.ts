/**
 * `ecsimg oss mb|rb|ls|cp|rm`: OSS buckets from the command line, through the server's HTTP API
 * (so they work against a remote server). Metadata goes through the bucket actions
 * (src/api/actions/oss); object bodies stream over `/oss/<bucket>/<key>` (src/api/oss-routes.ts),
 * signed like every other call: Bearer, or ACS3-HMAC-SHA256 with an UNSIGNED-PAYLOAD body.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import { pct } from '../api/protocol/encoding.js';
import { acsTimestamp } from './client/acs3-signer.js';
import { addClientOptions, connect, type ClientFlags } from './client/connection.js';
import { withApiErrors } from './client/failure.js';
import { ApiError, type ApiClient, type Credentials } from './client/http-client.js';
import { formatBytes } from './gc.js';
import { CliError, EXIT, type CliIo } from './io.js';

export interface OssPath {
  bucket: string;
  key: string;
}

/** `oss://bucket/key` (key may be empty or end in `/`). */
export function parseOssPath(text: string): OssPath | undefined {
  const m = /^oss:\/\/([^/]+)(?:\/(.*))?$/.exec(text);
  return m ? { bucket: m[1], key: m[2] ?? '' } : undefined;
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

// TODO(cli-client): ApiClient keeps its credentials private; object bodies need them to sign
// their own requests. Replace this with a public accessor once http-client.ts offers one.
function credentialsOf(client: ApiClient): Credentials {
  return (client as unknown as { options: { credentials: Credentials } }).options.credentials;
}

/** Headers authenticating an object request (the body is never hashed: UNSIGNED-PAYLOAD). */
export function objectAuthHeaders(
  credentials: Credentials,
  method: string,
  url: URL,
): Record<string, string> {
  if (credentials.kind === 'apiKey') return { authorization: `Bearer ${credentials.apiKey}` };

  const headers: Record<string, string> = {
    host: url.host,
    'x-acs-date': acsTimestamp(new Date()),
    'x-acs-signature-nonce': crypto.randomBytes(16).toString('hex'),
    'x-acs-content-sha256': 'UNSIGNED-PAYLOAD',
  };
  const names = Object.keys(headers).sort();
  const query = [...url.searchParams]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${pct(k)}=${pct(v)}`)
    .join('&');
  const canonical = [
    method,
    url.pathname,
    query,
    names.map((n) => `${n}:${headers[n]}\n`).join(''),
    names.join(';'),
    'UNSIGNED-PAYLOAD',
  ].join('\n');
  const digest = crypto.createHash('sha256').update(canonical).digest('hex');
  const signature = crypto
    .createHmac('sha256', credentials.accessKeySecret)
    .update(`ACS3-HMAC-SHA256\n${digest}`)
    .digest('hex');
  const { host: _host, ...rest } = headers;
  return {
    ...rest,
    authorization:
      `ACS3-HMAC-SHA256 Credential=${credentials.accessKeyId},` +
      `SignedHeaders=${names.join(';')},Signature=${signature}`,
  };
}

function objectUrl(client: ApiClient, p: OssPath): URL {
  const key = p.key.split('/').map(encodeURIComponent).join('/');
  return new URL(`/oss/${encodeURIComponent(p.bucket)}/${key}`, client.endpoint);
}

/** A progress line on stderr, redrawn at most every 200 ms. */
function progress(io: CliIo, total: number | undefined, label: string) {
  const started = Date.now();
  let done = 0;
  let drawn = 0;
  const draw = (final: boolean) => {
    const now = Date.now();
    if (!final && now - drawn < 200) return;
    drawn = now;
    const rate = done / Math.max(0.001, (now - started) / 1000);
    const pctDone = total ? Math.min(100, Math.floor((done / total) * 100)) : undefined;
    const bar =
      pctDone === undefined
        ? ''
        : `[${'#'.repeat(Math.floor(pctDone / 4)).padEnd(25)}] ${String(pctDone).padStart(3)}% `;
    io.stderr.write(
      `\r${label} ${bar}${formatBytes(done)}${total ? ` / ${formatBytes(total)}` : ''} ` +
        `${formatBytes(rate)}/s${final ? '\n' : ''}`,
    );
  };
  const meter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      done += chunk.length;
      draw(false);
      cb(null, chunk);
    },
  });
  return { meter, finish: () => draw(true) };
}

/** Sends one object request; resolves with the response (status and body stream). */
function request(
  method: string,
  url: URL,
  headers: Record<string, string>,
): { req: http.ClientRequest; response: Promise<http.IncomingMessage> } {
  const lib = url.protocol === 'https:' ? https : http;
  let req!: http.ClientRequest;
  const response = new Promise<http.IncomingMessage>((resolve, reject) => {
    req = lib.request(url, { method, headers }, resolve);
    req.on('error', (err) =>
      reject(new ApiError('ConnectionFailed', `cannot reach ${url.origin}: ${err.message}`, 0)),
    );
  });
  return { req, response };
}

/** Reads an error envelope from a failed object request and throws it as an ApiError. */
async function failed(res: http.IncomingMessage): Promise<never> {
  const parts: Buffer[] = [];
  for await (const p of res) parts.push(p as Buffer);
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    // Not our envelope (a proxy's page): report the status alone.
  }
  throw new ApiError(
    typeof body.Code === 'string' ? body.Code : `HTTP${res.statusCode}`,
    typeof body.Message === 'string' ? body.Message : `HTTP ${res.statusCode}`,
    res.statusCode ?? 0,
    typeof body.RequestId === 'string' ? body.RequestId : undefined,
  );
}

/** Uploads `file` to `to` (a key ending in `/` gets the file's name); returns where it went. */
export async function uploadFile(
  io: CliIo,
  client: ApiClient,
  file: string,
  to: OssPath,
): Promise<OssPath> {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch (err) {
    throw new CliError(`cannot read ${file}: ${(err as Error).message}`, EXIT.io);
  }
  const key = to.key === '' || to.key.endsWith('/') ? to.key + path.basename(file) : to.key;
  const target = { bucket: to.bucket, key };
  const url = objectUrl(client, target);
  const headers = {
    ...objectAuthHeaders(credentialsOf(client), 'PUT', url),
    'content-length': String(size),
    'content-type': 'application/octet-stream',
  };

  const { req, response } = request('PUT', url, headers);
  const bar = progress(io, size, `upload ${path.basename(file)}`);
  const sent = pipeline(fs.createReadStream(file), bar.meter, req);
  // A refusal can arrive while we still send; the answer, not the broken pipe, is what counts.
  sent.catch(() => undefined);
  const res = await response;
  if (res.statusCode !== 200) return failed(res);
  await sent;
  bar.finish();
  res.resume();
  io.stdout.write(`uploaded ${file} to oss://${target.bucket}/${target.key} (${size} bytes)\n`);
  return target;
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
    await pipeline(res, bar.meter, fs.createWriteStream(temp));
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
      .description('upload (LOCAL oss://BUCKET/KEY) or download (oss://BUCKET/KEY LOCAL)'),
  ).action(async (source: string, destination: string, flags: ClientFlags) =>
    run(flags, async (client) => {
      const from = parseOssPath(source);
      const to = parseOssPath(destination);
      if (!from && to) return void (await uploadFile(io, client, source, to));
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
