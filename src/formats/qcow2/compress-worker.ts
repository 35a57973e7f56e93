/**
 * Entry of the compressed qcow2 writer's deflate threads (common/worker-pool.ts). Only the message
 * loop lives here: importing this file registers it, so nothing else may import it.
 */
import { parentPort } from 'node:worker_threads';
import { compressClusters, type CompressJob, type CompressResult } from './compress.js';

parentPort?.on('message', (job: CompressJob) => {
  let result: CompressResult;
  try {
    result = compressClusters(job);
  } catch (err) {
    result = { id: job.id, lengths: new Int32Array(0), error: String(err) };
  }
  parentPort!.postMessage(result);
});
