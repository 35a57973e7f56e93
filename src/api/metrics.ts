/**
 * Prometheus metrics of the HTTP API, served at /metrics.
 *
 * Requests are tallied in plain numbers and handed to prom-client when /metrics is scraped:
 * prom-client's own `inc` and `observe` validate and hash the label set on every call, even
 * through a child bound with `labels()`, which was ~3 µs of a ~50 µs cached DescribeImages
 * (bench/describe-images.ts). A scrape is rare; a request is not.
 */
import {
  Counter,
  Gauge,
  Registry,
  collectDefaultMetrics,
  type Histogram,
  type MetricValueWithName,
} from 'prom-client';
import type { ResponseCache } from './response-cache.js';

/** Upper bounds of the duration buckets, in seconds (`+Inf` comes after them). */
export const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

const DURATION_NAME = 'ecsimg_api_request_duration_seconds';
const DURATION_HELP = 'RPC request duration by action';

/** One action's durations: how many fell in each bucket (not cumulative) and their sum. */
interface DurationTally {
  action: string;
  /** One slot per bound and one for `+Inf`; their total is the count. */
  buckets: Float64Array;
  sum: number;
}

interface RequestTally {
  labels: { action: string; status: string; code: string };
  n: number;
}

export class ApiMetrics {
  readonly registry = new Registry();

  private readonly requestTallies = new Map<string, RequestTally>();
  private readonly durationTallies = new Map<string, DurationTally>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'ecsimg_' });
    const requests = this.requestTallies;
    new Counter({
      name: 'ecsimg_api_requests_total',
      help: 'RPC requests by action, HTTP status and error code',
      labelNames: ['action', 'status', 'code'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const { labels, n } of requests.values()) this.inc(labels, n);
      },
    });
    this.registry.registerMetric(this.durationHistogram());
  }

  /** Counts one finished request and its duration (seconds since `startedNs`). */
  observe(action: string, status: number, code: string, startedNs: bigint): void {
    this.record(action, status, code, Number(process.hrtime.bigint() - startedNs) / 1e9);
  }

  /** Counts one finished request that took `seconds`. */
  record(action: string, status: number, code: string, seconds: number): void {
    let duration = this.durationTallies.get(action);
    if (!duration) {
      duration = { action, buckets: new Float64Array(DURATION_BUCKETS.length + 1), sum: 0 };
      this.durationTallies.set(action, duration);
    }
    let bucket = 0;
    while (bucket < DURATION_BUCKETS.length && seconds > DURATION_BUCKETS[bucket]) bucket++;
    duration.buckets[bucket]++;
    duration.sum += seconds;

    const key = `${action}\n${status}\n${code}`;
    const request = this.requestTallies.get(key);
    if (request) request.n++;
    else this.requestTallies.set(key, { labels: { action, status: `${status}`, code }, n: 1 });
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

  /**
   * The durations as a Prometheus histogram (cumulative `_bucket` series with `le`, `_sum`,
   * `_count` per action), read from the tallies at each scrape. prom-client has no call that
   * sets a histogram's buckets, so this is the registry's metric interface implemented directly.
   */
  private durationHistogram(): Histogram<'action'> {
    const tallies = this.durationTallies;
    const read = () => {
      const values: Array<MetricValueWithName<'action' | 'le'>> = [];
      for (const { action, buckets, sum } of tallies.values()) {
        let cumulative = 0;
        for (let i = 0; i < buckets.length; i++) {
          cumulative += buckets[i];
          values.push({
            metricName: `${DURATION_NAME}_bucket`,
            labels: { action, le: i < DURATION_BUCKETS.length ? DURATION_BUCKETS[i] : '+Inf' },
            value: cumulative,
          });
        }
        values.push({ metricName: `${DURATION_NAME}_sum`, labels: { action }, value: sum });
        // The +Inf bucket holds every observation: its cumulative value is the count.
        values.push({
          metricName: `${DURATION_NAME}_count`,
          labels: { action },
          value: cumulative,
        });
      }
      return values;
    };
    const head = { name: DURATION_NAME, help: DURATION_HELP, type: 'histogram', aggregator: 'sum' };
    const metric = { ...head, get: async () => ({ ...head, values: read() }) };
    return metric as unknown as Histogram<'action'>;
  }
}
