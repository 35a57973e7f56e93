/**
 * A small pool of deflate workers. Batches go round-robin; each worker answers in the order it
 * was asked, and the caller awaits batches in submission order, so output order is preserved
 * without any reordering buffer.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DeflateJob, DeflateResult } from './deflate-worker.js';

interface Pending {
  resolve: (r: DeflateResult) => void;
  reject: (e: Error) => void;
}

/**
 * The worker file sits next to this module: `.js` when running compiled. Under vitest or tsx the
 * module is `.ts`; `--import tsx` in a worker's execArgv does not
 * make Node 20 load a `.ts` worker entry, so a tiny eval'd bootstrap registers tsx's ESM hooks
 * inside the worker and then imports the `.ts` file.
 */
function startWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./deflate-worker.js', here));

  // Resolved from this package, not from the process's working directory.
  const workerUrl = new URL('./deflate-worker.ts', here).href;
  const bootstrap =
    `import(${JSON.stringify(tsxEsmApi(here))})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(workerUrl)}); })`;
  return new Worker(bootstrap, { eval: true });
}

/** URL of tsx's ESM register API, resolved from this package (not the working directory). */
function tsxEsmApi(from: string): string {
  const require = createRequire(from);
  const manifestPath = require.resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const entry: string = manifest.exports['./esm/api'].import.default;
  return pathToFileURL(join(dirname(manifestPath), entry)).href;
}

export class DeflatePool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private failure?: Error;

  constructor(threads = availableParallelism()) {
    for (let i = 0; i < Math.max(1, threads); i++) {
      const worker = startWorker();
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
