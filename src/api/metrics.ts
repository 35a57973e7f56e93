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

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'ecsimg_' });
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
