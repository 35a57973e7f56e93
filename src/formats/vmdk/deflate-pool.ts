/**
 * A small pool of deflate workers. Batches go round-robin; each worker answers in the order it
 * was asked, and the caller awaits batches in submission order, so output order is preserved
 * without any reordering buffer.
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startSiblingWorker } from '../common/worker.js';
import type { DeflateJob, DeflateResult } from './deflate-worker.js';

interface Pending {
  resolve: (r: DeflateResult) => void;
  reject: (e: Error) => void;
}

export class DeflatePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure?: Error;

  constructor(threads = availableParallelism()) {
    for (let i = 0; i < Math.max(1, threads); i++) {
      const worker = startSiblingWorker(import.meta.url, 'deflate-worker');
      worker.on('message', (r: DeflateResult) => this.settle(r));
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`deflate worker exited with code ${code}`));
      });
      this.workers.push(worker);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  compress(job: Omit<DeflateJob, 'id'>): Promise<DeflateResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      const worker = this.workers[id % this.workers.length];
      worker.postMessage({ ...job, id });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private settle(r: DeflateResult): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (r.error) p.reject(new Error(`deflate worker: ${r.error}`));
    else p.resolve(r);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
