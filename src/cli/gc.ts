/**
 * `ecsimg gc [--grace SECONDS]`: collect unreferenced chunks, and abort multipart uploads older
 * than ECSIMG_MULTIPART_MAX_AGE_MS, now. A server-side administration command: it opens the
 * metadata database and the stores of `--data-dir` (and the ECSIMG_* settings) directly, like
 * `serve` does, and is safe to run while servers run.
 */
import type { Command } from 'commander';
import { openBlobStores } from '../blobs/index.js';
import { loadConfig } from '../config/index.js';
import { DiskContentService } from '../domain/blobs/index.js';
import { BucketService } from '../domain/buckets/index.js';
import { silentLogger } from '../log/index.js';
import { openStore } from '../store/index.js';
import { CliError, EXIT, type CliIo } from './io.js';

export function registerGcCommand(program: Command, io: CliIo): void {
  program
    .command('gc')
    .description(
      'delete chunks no image, snapshot or running job refers to, and stale multipart uploads',
    )
    .option('--data-dir <dir>', 'data directory (ECSIMG_DATA_DIR, default ./data)')
    .option(
      '--grace <seconds>',
      'keep chunks younger than this (default ECSIMG_GC_GRACE_MS, one hour); 0 collects all',
    )
    .action(async (opts: { dataDir?: string; grace?: string }) => {
      const config = loadConfig(io.env, { dataDir: opts.dataDir });
      let graceMs = config.gc.graceMs;
      if (opts.grace !== undefined) {
        if (!/^\d+$/.test(opts.grace)) {
          throw new CliError('--grace takes whole seconds', EXIT.usage, 'e.g. --grace 0');
        }
        graceMs = Number(opts.grace) * 1000;
      }

      const store = await openStore(config.databaseUrl);
      const blobs = openBlobStores(config);
      try {
        const disks = new DiskContentService(store, blobs.chunks, silentLogger());
        const r = await disks.collectGarbage({ graceMs });
        const maxAgeMs = config.gc.multipartMaxAgeMs;
        const aborted = await new BucketService(store, blobs.objects).purgeStaleUploads(maxAgeMs);
        io.stdout.write(
          `scanned ${r.scanned} chunks: deleted ${r.deleted} (${formatBytes(r.bytesFreed)}), ` +
            `kept ${r.keptReferenced} referenced and ${r.keptYoung} younger than ` +
            `${graceMs / 1000}s, restored ${r.restored}; dropped ${r.manifestsPurged} ` +
            `released manifests in ${r.durationMs} ms\n` +
            `aborted ${aborted} multipart uploads initiated more than ` +
            `${Math.round(maxAgeMs / 3_600_000)} h ago\n`,
        );
      } finally {
        await blobs.close();
        await store.close();
      }
    });
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}
