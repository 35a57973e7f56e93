import { describe, expect, it } from 'vitest';
import { silentLogger } from '../log/index.js';
import type { Store } from '../store/index.js';
import { JobFailure } from './types.js';
import { Worker, describeFailure } from './worker.js';

describe('describeFailure', () => {
  it('keeps a JobFailure’s code and fails it for good unless it says retryable', () => {
    expect(describeFailure(new JobFailure('InvalidImageSize', 'too big'))).toEqual({
      code: 'InvalidImageSize',
      message: 'too big',
      retryable: false,
    });
    expect(
      describeFailure(new JobFailure('ServiceUnavailable', 'later', { retryable: true })),
    ).toMatchObject({ retryable: true });
  });

  it('treats a coded error with an HTTP status (EcsError) as permanent', () => {
    const ecsLike = Object.assign(new Error('bucket missing'), {
      code: 'InvalidOSSBucket.NotFound',
      status: 400,
    });
    expect(describeFailure(ecsLike)).toEqual({
      code: 'InvalidOSSBucket.NotFound',
      message: 'bucket missing',
      retryable: false,
    });
  });

  it('retries anything unexpected, system errors included, as InternalError', () => {
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(describeFailure(reset)).toEqual({
      code: 'InternalError',
      message: 'socket hang up',
      retryable: true,
    });
    expect(describeFailure('a string')).toMatchObject({ code: 'InternalError', retryable: true });
  });

  it('cuts very long messages', () => {
    expect(describeFailure(new Error('x'.repeat(5000))).message.length).toBeLessThan(1010);
  });
});

describe('Worker options', () => {
  it('refuses a heartbeat that is not shorter than the lease', () => {
    const options = {
      store: {} as Store,
      log: silentLogger(),
      concurrency: 1,
      leaseMs: 1000,
      heartbeatMs: 1000,
      pollMs: 100,
      retryDelayMs: 100,
    };
    expect(() => new Worker(options)).toThrow(/shorter than the lease/);
    expect(() => new Worker({ ...options, heartbeatMs: 300 })).not.toThrow();
  });
});
