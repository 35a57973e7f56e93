import { describe, expect, it } from 'vitest';
import { BufferPool, ReleaseSplitter } from './buffer-pool.js';

describe('BufferPool', () => {
  it('reuses a buffer only after its holder and every shared view released it', () => {
    const pool = new BufferPool(16, 4);
    const first = pool.acquire();
    const releaseA = first.lease.share()!;
    const releaseB = first.lease.share()!;
    first.lease.done();

    releaseA();
    expect(pool.acquire().buf).not.toBe(first.buf); // one view still holds it

    releaseB();
    expect(pool.acquire().buf).toBe(first.buf);
  });

  it('counts a release called twice only once', () => {
    const pool = new BufferPool(16, 4);
    const first = pool.acquire();
    const releaseA = first.lease.share()!;
    first.lease.share(); // a view nobody released yet
    first.lease.done();

    releaseA();
    releaseA();
    expect(pool.acquire().buf).not.toBe(first.buf);
  });

  it('keeps at most `keep` returned buffers', () => {
    const pool = new BufferPool(16, 1);
    const a = pool.acquire();
    const b = pool.acquire();
    a.lease.done();
    b.lease.done();

    expect(pool.acquire().buf).toBe(a.buf);
    expect(pool.acquire().buf).not.toBe(b.buf);
  });
});

describe('ReleaseSplitter', () => {
  it('runs the original release once, after done() and every share', () => {
    let released = 0;
    const split = new ReleaseSplitter(() => released++);
    const shares = [split.share()!, split.share()!];
    shares[0]();
    split.done();
    expect(released).toBe(0);

    shares[1]();
    shares[1]();
    expect(released).toBe(1);
  });

  it('hands out no release when there is nothing to release', () => {
    expect(new ReleaseSplitter(undefined).share()).toBeUndefined();
  });
});
