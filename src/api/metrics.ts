/** Prometheus metrics of the HTTP API, served at /metrics. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ResponseCache } from './response-cache.js';

export class ApiMetrics {
  readonly registry = new Registry();

  readonly requests = new Counter({
    name: 'ecsimg_api_requests_total',
    help: 'RPC requests by action, HTTP status and error code',
    labelNames: ['action', 'status', 'code'] as const,
    registers: [this.registry],
  });

  readonly latency = new Histogram({
    name: 'ecsimg_api_request_duration_seconds',
    help: 'RPC request duration by action',
    labelNames: ['action'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [this.registry],
  });

  /** Label sets seen so far, bound once: prom-client hashes a label object on every call. */
  private readonly requestCounters = new Map<string, { inc(): void }>();
  private readonly latencyTimers = new Map<string, { observe(seconds: number): void }>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'ecsimg_' });
  }

  /** Counts one finished request and its duration (seconds since `startedNs`). */
  observe(action: string, status: number, code: string, startedNs: bigint): void {
    const seconds = Number(process.hrtime.bigint() - startedNs) / 1e9;
    let timer = this.latencyTimers.get(action);
    if (!timer) {
      timer = this.latency.labels({ action });
      this.latencyTimers.set(action, timer);
    }
    timer.observe(seconds);
    const key = `${action}\n${status}\n${code}`;
    let counter = this.requestCounters.get(key);
    if (!counter) {
      counter = this.requests.labels({ action, status, code });
      this.requestCounters.set(key, counter);
    }
    counter.inc();
  }

  /** Exposes the gateway's response cache: lookups by result, and the answers it holds. */
  watchResponseCache(cache: ResponseCache): void {
    new Counter({
      name: 'ecsimg_response_cache_lookups_total',
      help: 'Response cache lookups of cacheable actions, by result (hit or miss)',
      labelNames: ['result'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        this.inc({ result: 'hit' }, cache.hits);
        this.inc({ result: 'miss' }, cache.misses);
      },
    });
    new Gauge({
      name: 'ecsimg_response_cache_entries',
      help: 'Answers the response cache holds',
      registers: [this.registry],
      collect() {
        this.set(cache.size);
      },
    });
  }
}
