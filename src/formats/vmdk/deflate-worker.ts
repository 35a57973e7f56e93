/**
 * Entry of the streamOptimized writer's deflate threads (common/worker-pool.ts). Only the message
 * loop lives here: importing this file registers it, so nothing else may import it.
 */
import { parentPort } from 'node:worker_threads';
import { compressBatch, type DeflateJob, type DeflateResult } from './deflate.js';

parentPort?.on('message', (job: DeflateJob) => {
  let result: DeflateResult;
  try {
    result = compressBatch(job);
  } catch (err) {
    result = {
      id: job.id,
      length: 0,
      offsets: new Uint32Array(0),
      error: String(err),
    };
  }
  parentPort!.postMessage(result);
});
