/**
 * SHA-256 of disk blocks on worker threads, one block per job, from shared memory.
 *
 * Why: an import hashes every byte it stores (chunk addresses), 0.55 s of CPU per GiB with the
 * CPU's SHA instructions. On the event loop that blocks the API for 2 ms per 4 MiB block (the
 * worker may run inside `serve`); WebCrypto's digest runs on the libuv pool but copies each block
 * first, which cost a gigabyte of garbage per gigabyte imported (bench/README.md). Blocks kept in
 * a SharedArrayBuffer are hashed where they are.
 *
 * One pool per process, made on first use; its threads do not keep the process alive.
 *
 * @example
 *   const block = sharedBlock(4 * 1024 * 1024);
 *   const address = await hashShared(block.subarray(0, length));
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { pageAlignedBuffer } from '../formats/common/aligned.js';
import { startSiblingWorker } from '../formats/common/worker.js';
import type { HashJob, HashResult } from './hash-worker.js';

interface Pending {
  resolve: (hex: string) => void;
  reject: (err: Error) => void;
}

/** One thread and the jobs it holds; referenced (keeping the process alive) only while busy. */
interface Lane {
  worker: Worker;
  pending: Map<number, Pending>;
  /** It answered at least once: a thread that never does is not replaced (it would fail again). */
  answered: boolean;
}

class HashPool {
  private readonly lanes: Lane[] = [];
  private nextId = 0;
  /** Set when a thread died before answering anything: hashing cannot work in this process. */
  private broken: Error | undefined;

  constructor(threads: number) {
    for (let i = 0; i < threads; i++) this.lanes.push(this.start());
  }

  hash(view: Buffer): Promise<string> {
    if (this.broken) return Promise.reject(this.broken);
    if (view.byteOffset !== 0 || !(view.buffer instanceof SharedArrayBuffer)) {
      return Promise.reject(new Error('hashShared: pass a view from the start of a sharedBlock'));
    }
    const id = this.nextId++;
    const lane = this.lanes[id % this.lanes.length];
    const job: HashJob = { id, buffer: view.buffer, length: view.length };
    return new Promise((resolve, reject) => {
      if (lane.pending.size === 0) lane.worker.ref();
      lane.pending.set(id, { resolve, reject });
      lane.worker.postMessage(job);
    });
  }

  private start(): Lane {
    const worker = startSiblingWorker(import.meta.url, 'hash-worker');
    const lane: Lane = { worker, pending: new Map(), answered: false };
    worker.on('message', (r: HashResult) => {
      lane.answered = true;
      const p = lane.pending.get(r.id);
      if (!p) return;
      lane.pending.delete(r.id);
      if (lane.pending.size === 0) worker.unref();
      if (r.hex) p.resolve(r.hex);
      else p.reject(new Error(`hash worker: ${r.error}`));
    });
    const lost = (err: Error) => {
      // The jobs the thread held fail; the pool goes on with a new thread in its place.
      for (const p of lane.pending.values()) p.reject(err);
      lane.pending.clear();
      const at = this.lanes.indexOf(lane);
      if (at >= 0 && lane.answered) this.lanes[at] = this.start();
      else if (at >= 0) this.broken ??= err;
    };
    worker.on('error', lost);
    worker.on('exit', (code) => {
      if (code !== 0) lost(new Error(`hash worker exited with code ${code}`));
    });
    // An idle pool must not keep the process alive (after the listeners: adding one refs it).
    worker.unref();
    return lane;
  }
}

let pool: HashPool | undefined;

/**
 * A zeroed buffer in shared memory, which `hashShared` hashes without copying. It is page-aligned
 * (see formats/common/aligned.ts), so the filesystem chunk store can write it with O_DIRECT.
 */
export function sharedBlock(bytes: number): Buffer {
  return pageAlignedBuffer(bytes, { shared: true });
}

/** Lower-case hex SHA-256 of `view`, a view from the start of a `sharedBlock` buffer. */
export function hashShared(view: Buffer): Promise<string> {
  pool ??= new HashPool(Math.max(1, Math.min(2, availableParallelism())));
  return pool.hash(view);
}
