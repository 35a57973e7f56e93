import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ApiMetrics, DURATION_BUCKETS } from './metrics.js';

/** `name{labels} value` lines of one metric family, labels sorted so that order does not matter. */
function series(text: string, family: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(family) && !line.startsWith('#'))
    .map((line) => {
      const m = /^([^{ ]+)(?:\{(.*)\})? (.+)$/.exec(line)!;
      const labels = (m[2] ?? '').split(',').filter(Boolean).sort().join(',');
      return `${m[1]}{${labels}} ${Number(m[3])}`;
    })
    .sort();
}

describe('ApiMetrics', () => {
  it('publishes the same duration histogram prom-client would have kept', async () => {
    const durations: Array<[string, number]> = [
      ['DescribeImages', 0.0004],
      ['DescribeImages', 0.001], // on a bound: counted in it (le is "less or equal")
      ['DescribeImages', 0.003],
      ['DescribeImages', 7], // past every bound: only +Inf
      ['DeleteImage', 0.02],
    ];
    const metrics = new ApiMetrics();
    const oracleRegistry = new Registry();
    const oracle = new Histogram({
      name: 'ecsimg_api_request_duration_seconds',
      help: 'oracle',
      labelNames: ['action'] as const,
      buckets: DURATION_BUCKETS,
      registers: [oracleRegistry],
    });
    for (const [action, seconds] of durations) {
      metrics.record(action, 200, '', seconds);
      oracle.observe({ action }, seconds);
    }
    const family = 'ecsimg_api_request_duration_seconds';
    const ours = await metrics.registry.metrics();
    expect(series(ours, family)).toEqual(series(await oracleRegistry.metrics(), family));
    expect(series(ours, family)).toHaveLength(2 * (DURATION_BUCKETS.length + 3));
    expect(ours).toContain(`# TYPE ${family} histogram`);
  });

  it('times a request from its start', async () => {
    const metrics = new ApiMetrics();
    metrics.observe('DescribeImages', 200, '', process.hrtime.bigint() - 3_000_000n);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/_bucket\{action="DescribeImages",le="0.0025"\} 0\n/);
    expect(text).toMatch(/_bucket\{action="DescribeImages",le="0.005"\} 1\n/);
  });

  it('counts requests by action, status and code', async () => {
    const metrics = new ApiMetrics();
    const now = process.hrtime.bigint();
    metrics.observe('DescribeImages', 200, '', now);
    metrics.observe('DescribeImages', 200, '', now);
    metrics.observe('DescribeImages', 400, 'InvalidParameter', now);
    expect(series(await metrics.registry.metrics(), 'ecsimg_api_requests_total')).toEqual([
      'ecsimg_api_requests_total{action="DescribeImages",code="",status="200"} 2',
      'ecsimg_api_requests_total{action="DescribeImages",code="InvalidParameter",status="400"} 1',
    ]);
    // A scrape reads the tallies; it does not reset them.
    metrics.observe('DescribeImages', 200, '', now);
    expect(series(await metrics.registry.metrics(), 'ecsimg_api_requests_total')[0]).toMatch(
      /status="200"\} 3$/,
    );
  });
});
