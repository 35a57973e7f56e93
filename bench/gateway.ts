/**
 * Gateway benchmark: DescribeRegions end to end (Bearer and ACS3-signed) against Fastify's bare
 * JSON route, on the same machine, in one run.
 *
 *   npx tsx bench/gateway.ts [--requests 20000] [--concurrency 16] [--warmup 2000]
 *
 * The server runs in a child process (this same file with `--serve`) so the client's work —
 * including computing ACS3 signatures — does not take CPU from the server's event loop. Both
 * servers live in that child: ecsimg (SQLite, fresh temp data dir, logging off, rate limit off)
 * and a bare Fastify app built the same way (same maxHeaderSize). Loopback only; every run is
 * bounded by --requests; the temp directory is removed at the end.
 *
 * The client uses node:http with one keep-alive agent per scenario (`maxSockets` = concurrency),
 * runs a warm-up, then `requests` requests with `concurrency` in flight, and reports latency
 * percentiles (per request, send to last byte) and throughput.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { MAX_HEADER_BYTES } from '../src/api/server.js';
import { signAcs3 } from '../src/cli/client/acs3-signer.js';
import { loadConfig } from '../src/config/index.js';
import { silentLogger } from '../src/log/index.js';
import { startServer } from '../src/start/serve.js';
import { buildServices } from '../src/start/services.js';
import { Gateway } from '../src/api/gateway.js';
import type { RawRequest } from '../src/api/protocol/params.js';
import { parseLoadOptions, runRounds, type Scenario } from './load.js';

interface Ready {
  ecsimgPort: number;
  barePort: number;
  admin: { accessKeyId: string; accessKeySecret: string; apiKey: string };
}

// ---------------------------------------------------------------- server side (child process)

async function serveForBenchmark(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecsimg-bench-'));
  const config = loadConfig(
    { ECSIMG_EMBEDDED_WORKER: 'false', ECSIMG_LOG_LEVEL: 'silent' },
    { port: 0, host: '127.0.0.1', dataDir },
  );
  const ecsimg = await startServer(config, { log: silentLogger() });

  const bare = Fastify({
    logger: false,
    serverFactory: (handler) => http.createServer({ maxHeaderSize: MAX_HEADER_BYTES }, handler),
  });
  bare.get('/bare', async () => ({ RequestId: 'bench', Regions: { Region: [] } }));
  await bare.listen({ port: 0, host: '127.0.0.1' });

  const admin = JSON.parse(fs.readFileSync(path.join(dataDir, 'credentials.json'), 'utf8'));
  const ready: Ready = {
    ecsimgPort: Number(new URL(ecsimg.url).port),
    barePort: (bare.server.address() as { port: number }).port,
    admin,
  };
  process.send?.(ready);
  // The parent asks for this process's CPU time around each timed batch.
  process.on('message', (m) => {
    if (m === 'cpu') process.send?.({ cpu: process.cpuUsage() });
  });

  process.on('disconnect', async () => {
    await bare.close();
    await ecsimg.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
    process.exit(0);
  });
}

// ---------------------------------------------------------------- client side (this process)

const parseOptions = (argv: string[]) =>
  parseLoadOptions(
    argv,
    { requests: 20_000, concurrency: 16, warmup: 2_000, rounds: 3, client: 'node' },
    { requests: 200_000, concurrency: 256, rounds: 9 },
    'bench/gateway.ts',
  );

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  // ECSIMG_BENCH_CPU_PROFILE=DIR writes a V8 CPU profile of the server process into DIR.
  const profileDir = process.env.ECSIMG_BENCH_CPU_PROFILE;
  const profiling = profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [];
  const child: ChildProcess = fork(new URL(import.meta.url).pathname, ['--serve'], {
    execArgv: ['--import', 'tsx', ...profiling],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<Ready>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Ready));
    child.once('exit', (code) => reject(new Error(`the server process exited (${code})`)));
  });

  const host = `127.0.0.1:${ready.ecsimgPort}`;
  const bearerPath = '/?Action=DescribeRegions&Version=2014-05-26&AcceptLanguage=en-US';

  const scenarios: Scenario[] = [
    {
      name: 'fastify bare JSON route',
      port: ready.barePort,
      make: () => ({ method: 'GET', path: '/bare', headers: {} }),
    },
    {
      name: 'DescribeRegions, Bearer',
      port: ready.ecsimgPort,
      make: () => ({
        method: 'POST',
        path: bearerPath,
        headers: { authorization: `Bearer ${ready.admin.apiKey}`, 'content-length': '0' },
      }),
    },
    {
      name: 'DescribeRegions, ACS3-HMAC-SHA256',
      port: ready.ecsimgPort,
      make: () => {
        const signed = signAcs3({
          action: 'DescribeRegions',
          params: { AcceptLanguage: 'en-US' },
          host,
          accessKeyId: ready.admin.accessKeyId,
          accessKeySecret: ready.admin.accessKeySecret,
        });
        return {
          method: 'POST',
          path: signed.path,
          headers: { ...signed.headers, 'content-length': '0' },
        };
      },
    },
  ];

  // ECSIMG_BENCH_ONLY=acs3 (or bearer, bare) runs one scenario, e.g. to profile it alone.
  const only = process.env.ECSIMG_BENCH_ONLY?.toLowerCase();
  if (only)
    scenarios.splice(
      0,
      scenarios.length,
      ...scenarios.filter((s) => s.name.toLowerCase().includes(only)),
    );

  const results = await runRounds(scenarios, options, child);

  const bare = results[0];
  const lines = [
    `node ${process.version}, ${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ''}`.trim(),
    `${options.requests} requests after ${options.warmup} warm-up, ${options.concurrency} in ` +
      `flight, keep-alive, server in a child process; median of ${options.rounds} round(s)`,
    `load average at the end: ${os
      .loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
    '',
    'scenario                           p50 ms  p99 ms mean ms    req/s  vs bare  server CPU/req',
  ];
  for (const r of results) {
    lines.push(
      r.name.padEnd(34) +
        r.p50Ms.toFixed(2).padStart(7) +
        r.p99Ms.toFixed(2).padStart(8) +
        r.meanMs.toFixed(2).padStart(8) +
        r.requestsPerSecond.toFixed(0).padStart(9) +
        `${(r.requestsPerSecond / bare.requestsPerSecond).toFixed(2)}x`.padStart(9) +
        `${r.serverCpuUs.toFixed(0)} µs`.padStart(16),
    );
  }
  lines.push('', ...(await gatewayAlone(options.requests)));
  process.stdout.write(lines.join('\n') + '\n');
}

// ---------------------------------------------------------------- gateway alone (no HTTP)

/**
 * CPU per request of `Gateway.handle` alone, one request at a time: what authentication,
 * decoding and the handler cost without sockets, HTTP parsing or Fastify.
 */
async function gatewayAlone(iterations: number): Promise<string[]> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecsimg-bench-gw-'));
  const config = loadConfig(
    { ECSIMG_EMBEDDED_WORKER: 'false', ECSIMG_LOG_LEVEL: 'silent' },
    { port: 0, host: '127.0.0.1', dataDir },
  );
  const services = await buildServices(config, silentLogger());
  const gateway = new Gateway(services);
  const admin = JSON.parse(fs.readFileSync(path.join(dataDir, 'credentials.json'), 'utf8'));

  const bearer = (): RawRequest => ({
    method: 'POST',
    url: '/?Action=DescribeRegions&Version=2014-05-26&AcceptLanguage=en-US',
    headers: { authorization: `Bearer ${admin.apiKey}` },
    body: Buffer.alloc(0),
  });
  const acs3 = (): RawRequest => {
    const signed = signAcs3({
      action: 'DescribeRegions',
      params: { AcceptLanguage: 'en-US' },
      host: 'bench',
      accessKeyId: admin.accessKeyId,
      accessKeySecret: admin.accessKeySecret,
    });
    return { method: 'POST', url: signed.path, headers: signed.headers, body: Buffer.alloc(0) };
  };

  const lines: string[] = [];
  try {
    for (const [name, make] of [
      ['Gateway.handle, Bearer', bearer],
      ['Gateway.handle, ACS3-HMAC-SHA256', acs3],
    ] as const) {
      const measure = async (count: number) => {
        const requests = Array.from({ length: count }, make);
        // CPU time rather than wall time: other processes on the machine do not inflate it.
        const start = process.cpuUsage();
        for (const req of requests) {
          const res = await gateway.handle(req);
          if (res.status !== 200) throw new Error(`${name}: ${JSON.stringify(res.body)}`);
        }
        const used = process.cpuUsage(start);
        return (used.user + used.system) / count;
      };
      await measure(Math.min(2_000, iterations));
      lines.push(
        `${name.padEnd(34)}${(await measure(iterations)).toFixed(1).padStart(8)} µs CPU/request`,
      );
    }
  } finally {
    await services.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  return lines;
}

if (process.argv.includes('--serve')) {
  await serveForBenchmark();
} else if (process.argv.includes('--gateway-only')) {
  // The in-process part alone (no HTTP): quick to repeat while working on the hot path.
  const args = process.argv.slice(2).filter((a) => a !== '--gateway-only');
  process.stdout.write((await gatewayAlone(parseOptions(args).requests)).join('\n') + '\n');
} else {
  await main();
}
