/**
 * The load generator the HTTP benchmarks share: options, a keep-alive client sending prepared
 * requests at a fixed concurrency, latency percentiles, and the server process's CPU per request
 * (asked over IPC: the server runs in a child process so the client does not steal its CPU).
 * Loopback only, bounded in count: a benchmark, not a load test of the machine.
 *
 * Two clients: Node's own (`http.request`, what the SDKs use) and `raw`, which writes each
 * request's prepared bytes to a keep-alive socket and reads the answer by its Content-Length.
 * Node's client spends 20–45 µs of CPU a request here, as much as the servers it measures, so on
 * two cores it can be the bound of a run; the raw one parses only the status line and
 * Content-Length (13–16 µs for a small answer, more for a 12 KB one), leaving the server the bound.
 */
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';

export type ClientKind = 'node' | 'raw';

export interface LoadOptions {
  requests: number;
  concurrency: number;
  warmup: number;
  rounds: number;
  client: ClientKind;
}

/** `--requests N --concurrency C --warmup W --rounds R --client node|raw`, clamped to `limits`. */
export function parseLoadOptions(
  argv: string[],
  defaults: LoadOptions,
  limits: Pick<LoadOptions, 'requests' | 'concurrency' | 'rounds'>,
  script: string,
): LoadOptions {
  const options = { ...defaults };
  const usage = () =>
    new Error(
      `usage: ${script} [--requests N] [--concurrency C] [--warmup W] [--rounds R] ` +
        `[--client node|raw]`,
    );
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '') as keyof LoadOptions;
    if (key === 'client') {
      if (argv[i + 1] !== 'node' && argv[i + 1] !== 'raw') throw usage();
      options.client = argv[i + 1] as ClientKind;
      continue;
    }
    const value = Number(argv[i + 1]);
    if (!(key in options) || !Number.isInteger(value) || value < 1) throw usage();
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

/** Sends one prepared request and resolves with the answer's HTTP status. */
type Sender = (index: number) => Promise<number>;

/** Node's HTTP client over a keep-alive agent. */
function nodeClient(port: number, specs: RequestSpec[], concurrency: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  return {
    connection: (): Sender => (index) => send(agent, port, specs[index]),
    close: () => agent.destroy(),
  };
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

/**
 * Requests as bytes on their own keep-alive sockets, one socket per request in flight. An answer
 * ends after its header block and Content-Length bytes of body; every server measured here sends
 * one (an answer without it is refused, never guessed at).
 */
function rawClient(port: number, specs: RequestSpec[]) {
  const bytes = specs.map((spec) => {
    // A signed request keeps the Host it was signed for, as Node's client does.
    const hasHost = Object.keys(spec.headers).some((name) => name.toLowerCase() === 'host');
    let head = `${spec.method} ${spec.path} HTTP/1.1\r\n`;
    if (!hasHost) head += `host: 127.0.0.1:${port}\r\n`;
    for (const [name, value] of Object.entries(spec.headers)) head += `${name}: ${value}\r\n`;
    return Buffer.from(`${head}\r\n`, 'latin1');
  });
  const sockets: net.Socket[] = [];
  return {
    connection: (): Sender => {
      const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
      sockets.push(socket);
      let pending: { resolve: (status: number) => void; reject: (err: Error) => void } | undefined;
      let received: Buffer[] = [];
      let have = 0;
      let need = -1;
      let status = 0;
      socket.on('error', (err) => pending?.reject(err));
      socket.on('data', (data: Buffer) => {
        received.push(data);
        have += data.length;
        if (need < 0) {
          const all = received.length === 1 ? data : Buffer.concat(received);
          const end = all.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = all.toString('latin1', 0, end);
          const length = /\r\ncontent-length: *(\d+)/i.exec(head);
          if (!length) {
            pending?.reject(new Error(`an answer without Content-Length: ${head.slice(0, 200)}`));
            return;
          }
          status = Number(head.slice(9, 12));
          need = end + 4 + Number(length[1]);
        }
        if (have < need) return;
        if (have > need) pending?.reject(new Error('more bytes than one answer'));
        const done = pending!;
        pending = undefined;
        received = [];
        have = 0;
        need = -1;
        done.resolve(status);
      });
      return (index) =>
        new Promise<number>((resolve, reject) => {
          pending = { resolve, reject };
          socket.write(bytes[index]);
        });
    },
    close: () => sockets.forEach((s) => s.destroy()),
  };
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
  // Requests (and their signatures, valid for 15 minutes) are prepared before the clock starts,
  // so the client spends the same CPU per request in every scenario and only the server differs.
  const runBatch = async (count: number, latencies?: Float64Array) => {
    const prepared = Array.from({ length: count }, make);
    const client =
      options.client === 'raw'
        ? rawClient(port, prepared)
        : nodeClient(port, prepared, options.concurrency);
    let next = 0;
    const worker = async () => {
      const send = client.connection();
      while (next < count) {
        const index = next++;
        const start = process.hrtime.bigint();
        const status = await send(index);
        if (latencies) latencies[index] = Number(process.hrtime.bigint() - start) / 1e6;
        if (status !== 200) throw new Error(`${name}: HTTP ${status}`);
      }
    };
    try {
      const started = process.hrtime.bigint();
      await Promise.all(Array.from({ length: options.concurrency }, worker));
      return Number(process.hrtime.bigint() - started) / 1e9;
    } finally {
      client.close();
    }
  };

  await runBatch(options.warmup);
  const latencies = new Float64Array(options.requests);
  const cpuBefore = await serverCpu(child);
  const clientBefore = process.cpuUsage();
  const elapsedS = await runBatch(options.requests, latencies);
  const client = process.cpuUsage(clientBefore);
  const cpuAfter = await serverCpu(child);

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
