/**
 * DescribeImages benchmark: 10,000 custom images in one account, listed through the full gateway
 * (ACS3-HMAC-SHA256 signed, as the v7 SDK signs by default, and with a Bearer key), against
 * Fastify's bare JSON route on the same machine, in one run, on SQLite and on PostgreSQL.
 *
 *   npx tsx bench/describe-images.ts [--requests 4000] [--concurrency 8] [--warmup 500]
 *     [--rounds 2] [--client node|raw]
 *
 * For each backend a child process (this file with `--serve <backend>`) starts ecsimg from the
 * compiled build (rebuilt first; ECSIMG_BENCH_FROM_SOURCE=1 runs the sources) on a fresh
 * database (SQLite temp file; PostgreSQL schema on ECSIMG_BENCH_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test, dropped at the end), inserts the images in batches and
 * a bare Fastify app next to it. The client here sends a bounded number of requests with a fixed
 * concurrency over keep-alive loopback connections and reports p50/p99 latency and throughput:
 * Node's HTTP client (the SDKs' own) by default, or `--client raw` (prepared bytes on sockets,
 * only the status line and Content-Length parsed), which leaves the server as the bound.
 *
 * Three baselines: the bare route as a GET with no headers, the same route answering the request
 * the SDK sends (its signed headers, POST, the query), and a route answering DescribeImages'
 * 12 KB body serialized per request.
 *
 * Queries: the default listing (no ImageOwnerAlias: system + self + shared, Status Available,
 * page of 10 out of 10,013) and a filtered one (self, OSType, a name fragment, page of 50). A
 * benchmark repeats its requests, so after the first one the gateway answers them from its
 * response cache; the `no cache` scenarios ask a second server over the same services with the
 * cache off, which is what every first-time or changed query costs.
 */
import { fork, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import inspector from 'node:inspector/promises';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { sql } from 'kysely';
import pg from 'pg';
import type { RawRequest } from '../src/api/protocol/params.js';
import { signAcs3 } from '../src/cli/client/acs3-signer.js';
import {
  parseLoadOptions,
  runRounds,
  type LoadOptions,
  type RequestSpec,
  type Scenario,
} from './load.js';

const IMAGES = 10_000;
const REGION = 'cn-hangzhou';
/** The filtered scenario: own images, one OS type, a name fragment, a page of 50. */
const FILTERED = { ImageOwnerAlias: 'self', OSType: 'linux', ImageName: 'web-9', PageSize: '50' };
const POSTGRES_URL =
  process.env.ECSIMG_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');

/**
 * What the v7 SDK sends besides what it signs (read off its requests with
 * ../shared/tools/sdk-capture.mjs): Node's HTTP parser and Fastify handle every header.
 */
const SDK_EXTRA_HEADERS = {
  'user-agent': 'AlibabaCloud (linux; x64) Node.js/v20.20.2 Core/1.0.1 TeaDSL/2',
  accept: 'application/json',
  'x-acs-credentials-provider': 'static_ak',
};

/**
 * ecsimg's modules, from the compiled build (`dist/`, what `npm start` runs; the parent runs
 * `tsc -p tsconfig.build.json` first) or with ECSIMG_BENCH_FROM_SOURCE=1 from the TypeScript
 * sources through tsx, whose transform adds work of its own (a `__name` call per closure made).
 */
type Modules = [
  typeof import('../src/api/gateway.js'),
  typeof import('../src/api/server.js'),
  typeof import('../src/config/index.js'),
  typeof import('../src/domain/ids.js'),
  typeof import('../src/log/index.js'),
  typeof import('../src/start/services.js'),
];
async function load(): Promise<Modules> {
  const root = process.env.ECSIMG_BENCH_FROM_SOURCE === '1' ? '../src' : '../dist';
  const paths = [
    'api/gateway.js',
    'api/server.js',
    'config/index.js',
    'domain/ids.js',
    'log/index.js',
    'start/services.js',
  ];
  return (await Promise.all(paths.map((p) => import(`${root}/${p}`)))) as Modules;
}

/** The compiled build the server side runs, made afresh (unless it runs from the sources). */
function compile(): void {
  if (process.env.ECSIMG_BENCH_FROM_SOURCE === '1') return;
  const built = spawnSync(path.join(ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (built.status !== 0) throw new Error(`tsc -p tsconfig.build.json: ${built.stdout}`);
}

interface Ready {
  ecsimgPort: number;
  /** The same services behind a second server whose response cache is off. */
  uncachedPort: number;
  barePort: number;
  admin: { accessKeyId: string; accessKeySecret: string; apiKey: string };
  seedSeconds: number;
}

// ---------------------------------------------------------------- server side (child process)

interface Fixture {
  services: Awaited<ReturnType<Modules[5]['buildServices']>>;
  admin: Ready['admin'] & { accountId: string };
  seedSeconds: number;
  close(): Promise<void>;
}

/** ecsimg's services on a fresh database holding the benchmark's 10,000 images. */
async function setUp(backend: 'sqlite' | 'postgres'): Promise<Fixture> {
  const [, , { loadConfig }, { newResourceId }, { silentLogger }, { buildServices }] = await load();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecsimg-bench-images-'));
  const schema = backend === 'postgres' ? `bench_${Date.now().toString(36)}` : undefined;
  // The schema's name is also the pool's application_name, which tells our backends apart.
  const databaseUrl =
    backend === 'sqlite'
      ? `sqlite:${path.join(dataDir, 'ecsimg.db')}`
      : `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}application_name=${schema}`;
  const config = loadConfig(
    {
      ECSIMG_DATABASE_URL: databaseUrl,
      ECSIMG_EMBEDDED_WORKER: 'false',
      ECSIMG_LOG_LEVEL: 'silent',
    },
    { port: 0, host: '127.0.0.1', dataDir },
  );
  const services = await buildServices(config, silentLogger(), { schema });
  const admin = JSON.parse(fs.readFileSync(path.join(dataDir, 'credentials.json'), 'utf8'));

  // Ten thousand images in one account: rows straight into the tables, in batches.
  const seedStart = process.hrtime.bigint();
  const template = (await services.store.images.find(
    REGION,
    'ubuntu_22_04_x64_20G_alibase_20240130.vhd',
  ))!;
  const t0 = Date.now() - IMAGES * 1000;
  for (let from = 0; from < IMAGES; from += 500) {
    const rows = [];
    const mappings = [];
    for (let i = from; i < Math.min(IMAGES, from + 500); i++) {
      const id = newResourceId('m', REGION);
      rows.push({
        ...template,
        id,
        category: 'custom' as const,
        owner_id: admin.accountId,
        name: `app-${i % 2 ? 'web' : 'db'}-${i}`,
        family: `fam-${i % 20}`,
        os_type: i % 10 === 0 ? 'windows' : 'linux',
        origin: 'import',
        is_public: 0,
        created_at: t0 + i * 1000,
        updated_at: t0 + i * 1000,
      });
      mappings.push({
        region_id: REGION,
        image_id: id,
        position: 0,
        device: '/dev/xvda',
        type: 'system' as const,
        size_gib: 20,
        snapshot_id: newResourceId('s', REGION),
        format: 'qcow2',
        import_oss_bucket: 'bench',
        import_oss_object: `disk-${i}.qcow2`,
        encrypted: 0,
        progress: 100,
        remain_time_s: 0,
        content_ref: null,
      });
    }
    await services.store.db.insertInto('images').values(rows).execute();
    await services.store.db.insertInto('image_disk_device_mappings').values(mappings).execute();
  }
  // PostgreSQL's autovacuum analyzes a table this changed within a minute or so; until then the
  // planner believes the table is empty and picks plans that read all 10,000 rows. Analyze now,
  // as autovacuum would, so the benchmark measures the steady state.
  if (backend === 'postgres') await sql`analyze`.execute(services.store.db);
  const seedSeconds = Number(process.hrtime.bigint() - seedStart) / 1e9;

  const close = async () => {
    await services.close();
    if (schema) {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await client.end();
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return { services, admin, seedSeconds, close };
}

async function serve(backend: 'sqlite' | 'postgres'): Promise<void> {
  const [{ Gateway }, { buildServer, MAX_HEADER_BYTES }] = await load();
  const { services, admin, seedSeconds, close } = await setUp(backend);
  const app = await buildServer(services);
  await app.listen({ port: 0, host: '127.0.0.1' });
  // What every request costs when it is not a repeat: the same store, no response cache.
  const uncached = await buildServer({
    ...services,
    config: { ...services.config, responseCacheBytes: 0 },
  });
  await uncached.listen({ port: 0, host: '127.0.0.1' });
  const bare = Fastify({
    logger: false,
    serverFactory: (handler) => http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, handler),
  });
  const small = async () => ({ RequestId: 'bench', Images: { Image: [] } });
  bare.get('/bare', small);
  // The same small answer to the request the SDK sends (POST, its headers, the query).
  bare.post('/', small);
  // The same route answering what the default listing answers (~12 KB, captured once): the
  // floor for sending a body of that size through Fastify and loopback TCP.
  const listing = (
    await new Gateway(services).handle({
      method: 'GET',
      url: `/?${new URLSearchParams({ Action: 'DescribeImages', RegionId: REGION })}`,
      headers: { authorization: `Bearer ${admin.apiKey}` },
      body: Buffer.alloc(0),
    })
  ).body;
  bare.get('/bare-listing', async () => listing);
  await bare.listen({ port: 0, host: '127.0.0.1' });

  const ready: Ready = {
    ecsimgPort: (app.server.address() as { port: number }).port,
    uncachedPort: (uncached.server.address() as { port: number }).port,
    barePort: (bare.server.address() as { port: number }).port,
    admin,
    seedSeconds,
  };
  process.send?.(ready);
  // The parent asks for this process's CPU time around each timed batch.
  process.on('message', (m) => {
    if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  });

  process.on('disconnect', async () => {
    await bare.close();
    await uncached.close();
    await app.close();
    await close();
    process.exit(0);
  });
}

// ---------------------------------------------------------------- client side

const parseOptions = (argv: string[]) =>
  parseLoadOptions(
    argv,
    { requests: 4_000, concurrency: 8, warmup: 500, rounds: 2, client: 'node' },
    { requests: 50_000, concurrency: 64, rounds: 10 },
    'bench/describe-images.ts',
  );

async function runBackend(backend: 'sqlite' | 'postgres', options: LoadOptions): Promise<string[]> {
  // ECSIMG_BENCH_CPU_PROFILE=DIR writes a V8 CPU profile of each server process into DIR.
  const profileDir = process.env.ECSIMG_BENCH_CPU_PROFILE;
  const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child = fork(new URL(import.meta.url).pathname, ['--serve', backend], {
    execArgv: ['--import', 'tsx', ...profiling],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Ready));
    child.once('exit', (code) => reject(new Error(`the server process exited (${code})`)));
  });
  const host = `127.0.0.1:${ready.ecsimgPort}`;

  const acs3 = (params: Record<string, string>) => (): RequestSpec => {
    const signed = signAcs3({
      action: 'DescribeImages',
      params,
      host,
      accessKeyId: ready.admin.accessKeyId,
      accessKeySecret: ready.admin.accessKeySecret,
    });
    return {
      method: 'POST',
      path: signed.path,
      headers: { ...signed.headers, ...SDK_EXTRA_HEADERS, 'content-length': '0' },
    };
  };
  const bearer = (params: Record<string, string>) => (): RequestSpec => ({
    method: 'POST',
    path: `/?${new URLSearchParams({ Action: 'DescribeImages', Version: '2014-05-26', ...params })}`,
    headers: { authorization: `Bearer ${ready.admin.apiKey}`, 'content-length': '0' },
  });
  const listing = { RegionId: REGION };
  const filtered = { RegionId: REGION, ...FILTERED };

  const scenarios: Scenario[] = [
    {
      name: 'fastify bare JSON route',
      port: ready.barePort,
      make: () => ({ method: 'GET', path: '/bare', headers: {} }),
    },
    {
      name: 'fastify bare route, same 12 KB body',
      port: ready.barePort,
      make: () => ({ method: 'GET', path: '/bare-listing', headers: {} }),
    },
    {
      name: "fastify bare JSON route, the SDK's signed request",
      port: ready.barePort,
      make: acs3(listing),
    },
    { name: 'DescribeImages default, ACS3', port: ready.ecsimgPort, make: acs3(listing) },
    { name: 'DescribeImages default, Bearer', port: ready.ecsimgPort, make: bearer(listing) },
    { name: 'DescribeImages filtered/50, ACS3', port: ready.ecsimgPort, make: acs3(filtered) },
    {
      name: 'DescribeImages default, Bearer, no cache',
      port: ready.uncachedPort,
      make: bearer(listing),
    },
    {
      name: 'DescribeImages filtered/50, ACS3, no cache',
      port: ready.uncachedPort,
      make: acs3(filtered),
    },
  ];
  // ECSIMG_BENCH_ONLY=bearer (a fragment of a scenario's name) runs the three bare routes and the
  // matching scenarios, e.g. to profile one of them alone.
  const only = process.env.ECSIMG_BENCH_ONLY?.toLowerCase();
  if (only) {
    const kept = scenarios.filter((s, i) => i < 3 || s.name.toLowerCase().includes(only));
    scenarios.splice(0, scenarios.length, ...kept);
  }

  const results = await runRounds(scenarios, options, child);

  const [bare, sized, sdkRequest] = results;
  return [
    `${backend}: ${IMAGES} images seeded in ${ready.seedSeconds.toFixed(1)} s`,
    ...results.map(
      (r) =>
        `| ${backend} | ${r.name} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ` +
        `${r.requestsPerSecond.toFixed(0)} | ` +
        `${(r.requestsPerSecond / bare.requestsPerSecond).toFixed(2)} | ` +
        `${(r.requestsPerSecond / sdkRequest.requestsPerSecond).toFixed(2)} | ` +
        `${(r.requestsPerSecond / sized.requestsPerSecond).toFixed(2)} | ` +
        `${r.serverCpuUs.toFixed(0)} | ${r.serverSysUs.toFixed(0)} | ${r.clientCpuUs.toFixed(0)} |`,
    ),
  ];
}

/** ECSIMG_BENCH_BACKEND=sqlite (or postgres) runs one backend only. */
function backends() {
  const only = process.env.ECSIMG_BENCH_BACKEND;
  return (['sqlite', 'postgres'] as const).filter((b) => !only || only === b);
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  compile();
  const lines = [
    `node ${process.version}, ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}`.trim(),
    `${options.requests} requests after ${options.warmup} warm-up, ${options.concurrency} in flight, ` +
      `${options.client === 'raw' ? 'raw-socket' : "Node's HTTP"} client, keep-alive loopback, ` +
      `server (${process.env.ECSIMG_BENCH_FROM_SOURCE === '1' ? 'sources' : 'compiled build'}) ` +
      `in a child process, median of ${options.rounds} round(s)`,
    '',
  ];
  const table = [
    '| backend | scenario | p50 ms | p99 ms | req/s | vs bare | vs bare, SDK request | ' +
      'vs bare 12 KB | server CPU µs/req | of it sys | client CPU µs/req |',
    '|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const backend of backends()) {
    const [head, ...rows] = await runBackend(backend, options);
    lines.push(head);
    table.push(...rows);
  }
  const loadAverage = os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
  lines.push(`load average at the end: ${loadAverage}`);
  process.stdout.write([...lines, '', ...table].join('\n') + '\n');
}

// ---------------------------------------------------------------- gateway alone (no HTTP)

/**
 * `Gateway.handle` DescribeImages (Bearer and ACS3, with and without the response cache) in this
 * process, one request at a time: CPU and wall time per request without sockets, HTTP parsing or
 * Fastify (and on PostgreSQL the database backends' CPU) — quick to repeat while working on the
 * hot path. With ECSIMG_BENCH_CPU_PROFILE=DIR the timed loop is profiled into DIR.
 */
async function gatewayAlone(
  backend: 'sqlite' | 'postgres',
  options: LoadOptions,
): Promise<string[]> {
  const [{ Gateway }] = await load();
  const fixture = await setUp(backend);
  const cached = new Gateway(fixture.services);
  // What a first-time or changed query costs: the same services, no response cache.
  const uncached = new Gateway({
    ...fixture.services,
    config: { ...fixture.services.config, responseCacheBytes: 0 },
  });
  const request = (params: Record<string, string>) => (): RawRequest => ({
    method: 'POST',
    url: `/?${new URLSearchParams({ Action: 'DescribeImages', Version: '2014-05-26', ...params })}`,
    headers: { authorization: `Bearer ${fixture.admin.apiKey}` },
    body: Buffer.alloc(0),
  });
  const signed = (params: Record<string, string>) => (): RawRequest => {
    const s = signAcs3({
      action: 'DescribeImages',
      params,
      host: 'bench.invalid',
      accessKeyId: fixture.admin.accessKeyId,
      accessKeySecret: fixture.admin.accessKeySecret,
    });
    return { method: 'POST', url: s.path, headers: s.headers, body: Buffer.alloc(0) };
  };
  const cases = [
    ['default, Bearer', request({ RegionId: REGION }), cached],
    ['default, ACS3', signed({ RegionId: REGION }), cached],
    ['filtered/50, Bearer', request({ RegionId: REGION, ...FILTERED }), cached],
    ['default, Bearer, no cache', request({ RegionId: REGION }), uncached],
    ['filtered/50, Bearer, no cache', request({ RegionId: REGION, ...FILTERED }), uncached],
  ] as const;

  const startDatabaseCpu = backend === 'postgres' ? await postgresCpuReader(fixture) : undefined;

  const profileDir = process.env.ECSIMG_BENCH_CPU_PROFILE;
  const session = profileDir ? new inspector.Session() : undefined;
  const lines: string[] = [];
  try {
    for (const [name, make, gateway] of cases) {
      // Requests are made (and signed) before each timed loop and outside the profile.
      const measure = async (requests: RawRequest[]) => {
        const count = requests.length;
        const databaseCpu = await startDatabaseCpu?.();
        const cpu = process.cpuUsage();
        const wall = process.hrtime.bigint();
        for (const req of requests) {
          const res = await gateway.handle(req);
          if (res.status !== 200) throw new Error(`${name}: ${JSON.stringify(res.body)}`);
        }
        const used = process.cpuUsage(cpu);
        const wallMs = Number(process.hrtime.bigint() - wall) / 1e6 / count;
        const databaseCpuUs = databaseCpu && (await databaseCpu()) / count;
        return { cpuUs: (used.user + used.system) / count, wallMs, databaseCpuUs };
      };
      await measure(Array.from({ length: options.warmup }, make));
      const timed = Array.from({ length: options.requests }, make);
      if (session) {
        session.connect();
        await session.post('Profiler.enable');
        await session.post('Profiler.start');
      }
      const { cpuUs, wallMs, databaseCpuUs: dbCpuUs } = await measure(timed);
      if (session) {
        const { profile } = await session.post('Profiler.stop');
        const slug = name.replace(/[^a-z0-9]+/gi, '-');
        const file = path.join(profileDir!, `describe-images-${backend}-${slug}`);
        fs.mkdirSync(profileDir!, { recursive: true });
        fs.writeFileSync(`${file}.cpuprofile`, JSON.stringify(profile));
        session.disconnect();
      }
      const database = dbCpuUs === undefined ? '' : `, ${dbCpuUs.toFixed(0)} µs PostgreSQL CPU`;
      lines.push(
        `${backend} Gateway.handle DescribeImages ${name}: ` +
          `${cpuUs.toFixed(0)} µs CPU, ${wallMs.toFixed(2)} ms wall per request${database}`,
      );
    }
  } finally {
    await fixture.close();
  }
  return lines;
}

/**
 * Reads the CPU time (µs) the PostgreSQL backends serving the store's pool have used, from /proc
 * — or undefined when PostgreSQL runs on another machine. In-process CPU leaves out PostgreSQL's
 * own work (a sequential scan of 10,000 rows is milliseconds of it), which shares the machine
 * with ecsimg. Backends are found by the pool's application_name (the schema's name) at each
 * read; one the pool closed between two reads loses its share, a new one counts from its start.
 */
async function postgresCpuReader(fixture: Fixture) {
  const stat = (pid: number) => {
    try {
      const text = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      // utime and stime, fields 14 and 15, in clock ticks (USER_HZ: 100 on Linux).
      const fields = text.split(') ')[1].split(' ');
      return text.includes(' (postgres) ') ? Number(fields[11]) + Number(fields[12]) : undefined;
    } catch {
      return undefined;
    }
  };
  const read = async () => {
    const { rows } = await sql<{ pid: number }>`
      select pid from pg_stat_activity
      where application_name = current_setting('application_name')`.execute(
      fixture.services.store.db,
    );
    return new Map(rows.map((r) => [r.pid, stat(r.pid)]));
  };
  if ([...(await read()).values()].some((ticks) => ticks === undefined)) return undefined;

  return async () => {
    const before = await read();
    return async () => {
      let ticks = 0;
      for (const [pid, now] of await read()) ticks += (now ?? 0) - (before.get(pid) ?? 0);
      return ticks * 10_000;
    };
  };
}

const serveIndex = process.argv.indexOf('--serve');
if (serveIndex >= 0) {
  await serve(process.argv[serveIndex + 1] as 'sqlite' | 'postgres');
} else if (process.argv.includes('--gateway-only')) {
  const options = parseOptions(process.argv.slice(2).filter((a) => a !== '--gateway-only'));
  compile();
  const lines: string[] = [];
  for (const backend of backends()) lines.push(...(await gatewayAlone(backend, options)));
  process.stdout.write(lines.join('\n') + '\n');
} else {
  await main();
}
