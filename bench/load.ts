/**
 * The load generator the HTTP benchmarks share: options, one keep-alive client sending prepared
 * requests at a fixed concurrency, latency percentiles, and the server process's CPU per request
 * (asked over IPC: the server runs in a child process so the client does not steal its CPU).
 * Loopback only, bounded in count: a benchmark, not a load test of the machine.
 */
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';

export interface LoadOptions {
  requests: number;
  concurrency: number;
  warmup: number;
  rounds: number;
}

/** `--requests N --concurrency C --warmup W --rounds R`, clamped to `limits`. */
export function parseLoadOptions(
  argv: string[],
  defaults: LoadOptions,
  limits: Pick<LoadOptions, 'requests' | 'concurrency' | 'rounds'>,
  script: string,
): LoadOptions {
  const options = { ...defaults };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '') as keyof LoadOptions;
    const value = Number(argv[i + 1]);
    if (!(key in options) || !Number.isInteger(value) || value < 1) {
      throw new Error(
        `usage: ${script} [--requests N] [--concurrency C] [--warmup W] [--rounds R]`,
      );
    }
    options[key] = value;
  }
  options.requests = Math.min(options.requests, limits.requests);
  options.concurrency = Math.min(options.concurrency, limits.concurrency);
  options.rounds = Math.min(options.rounds, limits.rounds);
  return options;
}

export interface RequestSpec {
  method: string;
  path: string;
  headers: Record<string, string>;
}

export interface LoadResult {
  name: string;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  requestsPerSecond: number;
  /** CPU time (user + system) the server process spent per request, in µs. */
  serverCpuUs: number;
  /** The system (kernel) part of it: mostly the loopback TCP work of sending the answers. */
  serverSysUs: number;
  /**
   * CPU time this (client) process spent per request, in µs. Where it is above the server's, the
   * scenario measured the load generator: Node's HTTP client costs more per header sent.
   */
  clientCpuUs: number;
}

function send(agent: http.Agent, port: number, spec: RequestSpec): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        agent,
        method: spec.method,
        path: spec.path,
        headers: spec.headers,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The server process's CPU time so far, in µs; the child answers `'cpu'` with `{cpu}`. */
export function serverCpu(child: ChildProcess): Promise<NodeJS.CpuUsage> {
  return new Promise((resolve) => {
    const onMessage = (m: unknown) => {
      const usage = (m as { cpu?: NodeJS.CpuUsage }).cpu;
      if (!usage) return;
      child.off('message', onMessage);
      resolve(usage);
    };
    child.on('message', onMessage);
    child.send('cpu');
  });
}

function percentile(sorted: Float64Array, p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Sends `options.warmup` then `options.requests` requests made by `make`, and measures.
 *
 * @example
 *   await runScenario('bare', port, () => ({ method: 'GET', path: '/bare', headers: {} }),
 *     options, child);
 */
export async function runScenario(
  name: string,
  port: number,
  make: () => RequestSpec,
  options: LoadOptions,
  child: ChildProcess,
): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });

  // Requests (and their signatures, valid for 15 minutes) are prepared before the clock starts,
  // so the client spends the same CPU per request in every scenario and only the server differs.
  const runBatch = async (count: number, latencies?: Float64Array) => {
    const prepared = Array.from({ length: count }, make);
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const index = next++;
        const start = process.hrtime.bigint();
        const status = await send(agent, port, prepared[index]);
        if (latencies) latencies[index] = Number(process.hrtime.bigint() - start) / 1e6;
        if (status !== 200) throw new Error(`${name}: HTTP ${status}`);
      }
    };
    const started = process.hrtime.bigint();
    await Promise.all(Array.from({ length: options.concurrency }, worker));
    return Number(process.hrtime.bigint() - started) / 1e9;
  };

  await runBatch(options.warmup);
  const latencies = new Float64Array(options.requests);
  const cpuBefore = await serverCpu(child);
  const clientBefore = process.cpuUsage();
  const elapsedS = await runBatch(options.requests, latencies);
  const client = process.cpuUsage(clientBefore);
  const cpuAfter = await serverCpu(child);
  agent.destroy();

  latencies.sort();
  return {
    name,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    meanMs: latencies.reduce((a, b) => a + b, 0) / latencies.length,
    requestsPerSecond: options.requests / elapsedS,
    serverCpuUs:
      (cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system) / options.requests,
    serverSysUs: (cpuAfter.system - cpuBefore.system) / options.requests,
    clientCpuUs: (client.user + client.system) / options.requests,
  };
}

export interface Scenario {
  name: string;
  port: number;
  make: () => RequestSpec;
}

/**
 * Runs every scenario `options.rounds` times, interleaved so that a burst of load from elsewhere
 * on the machine hits all of them alike, and reports each scenario's median-throughput round.
 * Disconnects the server child when done.
 */
export async function runRounds(
  scenarios: Scenario[],
  options: LoadOptions,
  child: ChildProcess,
): Promise<LoadResult[]> {
  const rounds: LoadResult[][] = scenarios.map(() => []);
  try {
    for (let round = 0; round < options.rounds; round++) {
      for (const [i, s] of scenarios.entries()) {
        rounds[i].push(await runScenario(s.name, s.port, s.make, options, child));
      }
    }
  } finally {
    child.disconnect();
  }
  return rounds.map((r) => {
    const sorted = [...r].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond);
    return sorted[Math.floor(sorted.length / 2)];
  });
}
