/** Prometheus metrics of the HTTP API, served at /metrics. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

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
}
