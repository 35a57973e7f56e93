/**
 * Worker thread of the hash pool (hash-pool.ts): SHA-256 of a block that lives in shared memory,
 * so nothing is copied to hash it.
 */
import { createHash } from 'node:crypto';
import { parentPort } from 'node:worker_threads';

export interface HashJob {
  id: number;
  buffer: SharedArrayBuffer;
  length: number;
}

export interface HashResult {
  id: number;
  /** Lower-case hex SHA-256 of the job's bytes. */
  hex?: string;
  error?: string;
}

parentPort?.on('message', (job: HashJob) => {
  let result: HashResult;
  try {
    const hex = createHash('sha256')
      .update(new Uint8Array(job.buffer, 0, job.length))
      .digest('hex');
    result = { id: job.id, hex };
  } catch (err) {
    result = { id: job.id, error: (err as Error).message };
  }
  parentPort!.postMessage(result);
});
