/**
 * A small pool of worker threads for CPU-bound batches (deflate for the vmdk streamOptimized and
 * compressed qcow2 writers). Jobs go round-robin; each worker answers in the order it was asked,
 * and callers await jobs in submission order, so output order is preserved without any
 * reordering buffer.
 *
 * @example
 *   const pool = new WorkerPool<DeflateJob, DeflateResult>(import.meta.url, 'deflate-worker');
 *   const result = await pool.run({ input, output, … });
 *   await pool.close();
 */
import { availableParallelism } from 'node:os';
import type { Worker } from 'node:worker_threads';
import { startSiblingWorker } from './worker.js';

interface Pending<R> {
  resolve: (r: R) => void;
  reject: (e: Error) => void;
}

export class WorkerPool<Job extends { id: number }, Result extends { id: number; error?: string }> {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending<Result>>();
  private nextId = 0;
  private failure?: Error;

  /** `name` is the worker's entry file, beside the module whose `import.meta.url` is given. */
  constructor(
    moduleUrl: string,
    private readonly name: string,
    threads = availableParallelism(),
  ) {
    for (let i = 0; i < Math.max(1, threads); i++) {
      const worker = startSiblingWorker(moduleUrl, name);
      worker.on('message', (r: Result) => this.settle(r));
      worker.on('error', (err) => this.fail(err));
      worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`${name} exited with code ${code}`));
      });
      this.workers.push(worker);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  run(job: Omit<Job, 'id'>): Promise<Result> {
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

  private settle(r: Result): void {
    const p = this.pending.get(r.id);
    if (!p) return;
    this.pending.delete(r.id);
    if (r.error) p.reject(new Error(`${this.name}: ${r.error}`));
    else p.resolve(r);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}
