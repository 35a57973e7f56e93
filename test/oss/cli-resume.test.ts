/**
 * `ecsimg oss cp` of a big file in parts, interrupted and resumed, against the real server behind
 * a small HTTP proxy of the test's own. The proxy logs every request with its body bytes, and can
 * cut the connection of a chosen part mid-body and refuse the ones after it, as a failing network
 * would; the server is also restarted between the two runs. The second run must send only the
 * parts the server did not hold, and the object must be the file, byte for byte.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { Transform } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { IssuedCredentials } from '../../src/domain/accounts/service.js';
import { silentLogger } from '../../src/log/index.js';
import { startServer, type RunningServer } from '../../src/start/serve.js';
import { cli, tempHome } from '../cli/run.js';
import { createTestDatabase, type TestDatabase } from '../helpers/databases.js';

const PART = 256 * 1024;
const SIZE = 3 * 1024 * 1024 + 1234;
const COUNT = Math.ceil(SIZE / PART);

interface Logged {
  method: string;
  url: string;
  bodyBytes: number;
}

/**
 * Forwards to `backend`; with `cutPart = N`, the Nth part request dies mid-body and later ones
 * at once.
 */
async function startProxy() {
  const state = {
    backend: '',
    log: [] as Logged[],
    cutPart: undefined as number | undefined,
    partRequests: 0,
  };
  const server = http.createServer((req, res) => {
    const entry: Logged = { method: req.method!, url: req.url!, bodyBytes: 0 };
    state.log.push(entry);
    const part = req.method === 'PUT' && /[?&]partNumber=/.test(req.url!);
    const n = part ? ++state.partRequests : 0;
    if (part && state.cutPart !== undefined && n > state.cutPart) {
      req.socket.destroy();
      return;
    }

    const upstream = http.request(
      state.backend + req.url,
      { method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode!, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    const cut = part && n === state.cutPart;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        entry.bodyBytes += chunk.length;
        if (cut && entry.bodyBytes > PART / 2) {
          upstream.destroy();
          req.socket.destroy();
          return cb();
        }
        cb(null, chunk);
      },
    });
    req.pipe(counter).pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    state,
    url,
    /** Part requests logged since `from`, as part numbers and body bytes. */
    parts(from = 0) {
      return state.log
        .slice(from)
        .filter((r) => r.method === 'PUT' && /[?&]partNumber=/.test(r.url))
        .map((r) => ({
          n: Number(new URL(r.url, url).searchParams.get('partNumber')),
          bytes: r.bodyBytes,
        }));
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe('ecsimg oss cp in resumable parts', () => {
  let database: TestDatabase;
  let server: RunningServer;
  let admin: IssuedCredentials;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let home: string;

  const boot = async () => {
    const config = loadConfig(
      { ECSIMG_DATABASE_URL: database.url, ECSIMG_EMBEDDED_WORKER: 'false' },
      { port: 0, dataDir: database.dataDir, host: '127.0.0.1' },
    );
    server = await startServer(config, { log: silentLogger() });
    proxy.state.backend = server.url;
  };

  const run = (args: string[], auth: 'ak' | 'key' = 'ak') =>
    cli(
      [
        ...args,
        '--endpoint',
        proxy.url,
        ...(auth === 'ak'
          ? ['--access-key-id', admin.accessKeyId, '--access-key-secret', admin.accessKeySecret]
          : ['--api-key', admin.apiKey]),
      ],
      { HOME: home },
    );

  const cp = (file: string, key: string, auth: 'ak' | 'key' = 'ak') =>
    run(
      [
        'oss',
        'cp',
        file,
        `oss://resume/${key}`,
        '--bigfile-threshold',
        '1M',
        '--part-size',
        '256K',
        '--parallel',
        '3',
      ],
      auth,
    );

  /** The upload the CLI remembers (there is one state file per upload in progress). */
  const remembered = () => {
    const dir = path.join(home, '.ecsimg', 'uploads');
    const files = fs.existsSync(dir) ? fs.readdirSync(dir) : [];
    return files.map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')));
  };

  const storedParts = async (key: string, uploadId: string) =>
    (await server.services.buckets.listParts(admin.accountId, { bucket: 'resume', key, uploadId }))
      .parts;

  const objectBytes = async (key: string) => {
    const { body } = await server.services.buckets.getObject(admin.accountId, 'resume', key);
    const parts: Buffer[] = [];
    for await (const p of body) parts.push(p as Buffer);
    return Buffer.concat(parts);
  };

  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
    proxy = await startProxy();
    await boot();
    admin = JSON.parse(fs.readFileSync(path.join(database.dataDir, 'credentials.json'), 'utf8'));
    const mb = await run(['oss', 'mb', 'oss://resume']);
    expect(mb.code, mb.stderr).toBe(0);
  });
  afterEach(() => {
    proxy.state.cutPart = undefined;
  });
  afterAll(async () => {
    await server?.close();
    await proxy?.close();
    await database?.drop();
  });

  it('resumes after a cut connection and a server restart, resending no stored part', async () => {
    home = tempHome();
    const file = path.join(database.dataDir, 'disk.raw');
    const data = crypto.randomBytes(SIZE);
    fs.writeFileSync(file, data);

    // The fourth part request dies half-way; the others after it never reach the server.
    proxy.state.partRequests = 0;
    proxy.state.cutPart = 4;
    const first = await cp(file, 'disk.raw');
    expect(first.code, first.stderr).toBe(4);
    expect(first.stderr).toContain('run the same command again');
    const [state] = remembered();
    expect(state).toMatchObject({ bucket: 'resume', key: 'disk.raw', size: SIZE, partSize: PART });
    const stored = await storedParts('disk.raw', state.uploadId);
    expect(stored.length).toBeGreaterThanOrEqual(1);
    expect(stored.length).toBeLessThan(COUNT);
    expect(await server.services.buckets.objects.head('resume', 'disk.raw')).toBeUndefined();

    // The server restarts (same data, new process state) before the command runs again.
    await server.close();
    await boot();
    proxy.state.cutPart = undefined;
    const mark = proxy.state.log.length;
    const second = await cp(file, 'disk.raw', 'key');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`resuming upload ${state.uploadId}: ${stored.length} of`);

    const resent = proxy.parts(mark);
    const before = new Set(stored.map((p) => p.partNumber));
    expect(resent.filter((p) => before.has(p.n))).toEqual([]);
    expect(new Set([...before, ...resent.map((p) => p.n)]).size).toBe(COUNT);
    const storedBytes = stored.reduce((sum, p) => sum + p.size, 0);
    expect(resent.reduce((sum, p) => sum + p.bytes, 0)).toBe(SIZE - storedBytes);
    // Resumed, not restarted: no new upload was initiated.
    const initiations = proxy.state.log.slice(mark).filter((r) => /[?&]uploads=/.test(r.url));
    expect(initiations).toEqual([]);

    expect((await objectBytes('disk.raw')).equals(data)).toBe(true);
    expect(remembered()).toEqual([]);
  });

  it('sends again a stored part whose bytes no longer match the file', async () => {
    home = tempHome();
    const file = path.join(database.dataDir, 'edited.raw');
    const data = crypto.randomBytes(SIZE);
    fs.writeFileSync(file, data);
    // A whole second, which utimes can set back exactly after the edit.
    const mtime = new Date('2024-05-01T00:00:00Z');
    fs.utimesSync(file, mtime, mtime);
    proxy.state.partRequests = 0;
    proxy.state.cutPart = 4;
    expect((await cp(file, 'edited.raw')).code).toBe(4);
    const [state] = remembered();
    const stored = await storedParts('edited.raw', state.uploadId);

    // Change bytes inside a stored part, keeping size and mtime: only its digest can tell.
    const changed = stored[0].partNumber;
    const edit = crypto.randomBytes(16);
    edit.copy(data, (changed - 1) * PART + 100);
    fs.writeFileSync(file, data);
    fs.utimesSync(file, mtime, mtime);

    proxy.state.cutPart = undefined;
    const mark = proxy.state.log.length;
    const second = await cp(file, 'edited.raw');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`resuming upload ${state.uploadId}`);
    const resent = proxy.parts(mark).map((p) => p.n);
    expect(resent).toContain(changed);
    expect(resent.filter((n) => n !== changed && stored.some((p) => p.partNumber === n))).toEqual(
      [],
    );
    expect((await objectBytes('edited.raw')).equals(data)).toBe(true);
  });

  it('starts afresh, aborting the stale upload, when the file changed', async () => {
    home = tempHome();
    const file = path.join(database.dataDir, 'changed.raw');
    fs.writeFileSync(file, crypto.randomBytes(SIZE));
    proxy.state.partRequests = 0;
    proxy.state.cutPart = 3;
    expect((await cp(file, 'changed.raw')).code).toBe(4);
    const [stale] = remembered();

    const data = crypto.randomBytes(SIZE + PART);
    fs.writeFileSync(file, data);
    proxy.state.cutPart = undefined;
    const mark = proxy.state.log.length;
    const second = await cp(file, 'changed.raw');
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`changed since upload ${stale.uploadId} began`);
    const log = proxy.state.log.slice(mark);
    expect(log.some((r) => r.method === 'DELETE' && r.url.includes(stale.uploadId))).toBe(true);
    expect(log.filter((r) => /[?&]uploads=/.test(r.url))).toHaveLength(1);
    expect(proxy.parts(mark)).toHaveLength(Math.ceil(data.length / PART));
    await expect(storedParts('changed.raw', stale.uploadId)).rejects.toMatchObject({
      code: 'NoSuchUpload',
    });
    expect((await objectBytes('changed.raw')).equals(data)).toBe(true);
  });

  it('keeps a file under the threshold to one PUT', async () => {
    home = tempHome();
    const file = path.join(database.dataDir, 'small.raw');
    const data = crypto.randomBytes(PART * 2);
    fs.writeFileSync(file, data);
    const mark = proxy.state.log.length;
    const res = await cp(file, 'small.raw');
    expect(res.code, res.stderr).toBe(0);
    const log = proxy.state.log.slice(mark);
    expect(log.map((r) => [r.method, r.url])).toEqual([['PUT', '/oss/resume/small.raw']]);
    expect((await objectBytes('small.raw')).equals(data)).toBe(true);
  });

  it('has ecsimg gc abort uploads older than ECSIMG_MULTIPART_MAX_AGE_MS', async () => {
    const buckets = server.services.buckets;
    const old = await buckets.initiateMultipartUpload(admin.accountId, 'resume', 'old', PART);
    const fresh = await buckets.initiateMultipartUpload(admin.accountId, 'resume', 'new', PART);
    const file = path.join(database.dataDir, 'buckets', '.multipart', old.uploadId, 'upload.json');
    const record = JSON.parse(fs.readFileSync(file, 'utf8'));
    record.initiatedMs -= 2 * 3_600_000;
    fs.writeFileSync(file, JSON.stringify(record));

    const res = await cli(['gc', '--data-dir', database.dataDir], {
      ECSIMG_MULTIPART_MAX_AGE_MS: String(3_600_000),
    });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toContain('aborted 1 multipart uploads initiated more than 1 h ago');
    const target = (key: string, uploadId: string) => ({ bucket: 'resume', key, uploadId });
    await expect(
      buckets.listParts(admin.accountId, target('old', old.uploadId)),
    ).rejects.toMatchObject({ code: 'NoSuchUpload' });
    expect((await buckets.listParts(admin.accountId, target('new', fresh.uploadId))).parts).toEqual(
      [],
    );
  });
});
