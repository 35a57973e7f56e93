/**
 * Builds the services a process needs from its configuration: the store (migrated), the
 * accounts with the administrator bootstrapped, the regions. Shared by `serve` and `worker`.
 */
import type { Services } from '../api/context.js';
import { GcScheduler, openBlobStores } from '../blobs/index.js';
import type { Config } from '../config/index.js';
import { AccountService } from '../domain/accounts/service.js';
import { SecretBox, loadMasterKey } from '../domain/accounts/secrets.js';
import { DiskContentService } from '../domain/blobs/index.js';
import { BucketService } from '../domain/buckets/index.js';
import { newResourceId } from '../domain/ids.js';
import { Idempotency } from '../domain/idempotency/index.js';
import { ImageService } from '../domain/images/index.js';
import { RegionCatalogue } from '../domain/regions/index.js';
import { RoleService } from '../domain/roles/index.js';
import { TagService } from '../domain/tags/index.js';
import { JobQueue } from '../jobs/index.js';
import type { Logger } from '../log/index.js';
import { openStore } from '../store/index.js';

export interface BuiltServices extends Services {
  /** Where the administrator's credentials were written (or already are). */
  credentialsFile: string;
  /**
   * Periodic collection of unreferenced chunks and of stale multipart uploads; `serve` starts it
   * (ECSIMG_GC_INTERVAL_MS), close() stops it.
   */
  gc: GcScheduler;
  close(): Promise<void>;
}

export async function buildServices(
  config: Config,
  log: Logger,
  options: { schema?: string } = {},
): Promise<BuiltServices> {
  const store = await openStore(config.databaseUrl, options);
  const secrets = new SecretBox(loadMasterKey(config.dataDir, config.masterKeyHex));
  const accounts = new AccountService(store, secrets);
  const admin = await accounts.ensureAdmin(config.dataDir, config.adminPreset);
  if (admin.created) log.info(`[start] created the administrator account ${admin.accountId}`);

  // A new install lists the public images of every region; later starts add what is missing.
  const images = new ImageService(store);
  const seeded = await images.seedSystemImages(config.regions);
  if (seeded) log.info(`[start] added ${seeded} system images`);
  const tags = new TagService(store);
  tags.register('image', { checkTaggable: (...args) => images.checkTaggable(...args) });

  const blobs = openBlobStores(config);
  const disks = new DiskContentService(store, blobs.chunks, log.child({ component: 'blobs' }));
  const buckets = new BucketService(store, blobs.objects);
  const gc = new GcScheduler(
    config.gc.intervalMs,
    async (signal) => {
      const report = await disks.collectGarbage({ graceMs: config.gc.graceMs, signal });
      signal.throwIfAborted();
      const aborted = await buckets.purgeStaleUploads(config.gc.multipartMaxAgeMs);
      if (aborted > 0) log.info(`[gc] aborted ${aborted} stale multipart uploads`);
      return report;
    },
    log,
  );

  return {
    config,
    store,
    accounts,
    regions: new RegionCatalogue(config.regions),
    jobs: new JobQueue(store, {
      newTaskId: (regionId) => newResourceId('t', regionId),
      maxAttempts: config.worker.maxAttempts,
    }),
    images,
    tags,
    idempotency: new Idempotency(store),
    chunks: blobs.chunks,
    disks,
    buckets,
    roles: new RoleService(store),
    log,
    credentialsFile: admin.file,
    gc,
    close: async () => {
      await gc.stop();
      await blobs.close();
      await store.close();
    },
  };
}
