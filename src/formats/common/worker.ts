/**
 * Starts a worker thread whose entry file sits next to the calling module: `name.js` when running
 * compiled. Under vitest or tsx the caller is `.ts`, and `--import tsx` in a worker's execArgv does
 * not make Node 20 load a `.ts` worker entry, so a tiny eval'd bootstrap registers tsx's ESM hooks
 * inside the worker and then imports the `.ts` file.
 *
 * @example
 *   const worker = startSiblingWorker(import.meta.url, 'deflate-worker');
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

export function startSiblingWorker(moduleUrl: string, name: string): Worker {
  if (!moduleUrl.endsWith('.ts')) return new Worker(new URL(`./${name}.js`, moduleUrl));

  // Resolved from this package, not from the process's working directory.
  const workerUrl = new URL(`./${name}.ts`, moduleUrl).href;
  const bootstrap =
    `import(${JSON.stringify(tsxEsmApi(moduleUrl))})` +
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
