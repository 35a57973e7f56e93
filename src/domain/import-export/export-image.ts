/**
 * ExportImage: the synchronous refusals, and the job that writes one object per disk into a
 * bucket (naming in naming.ts).
 *
 * How faithful (API-REFERENCE B.5):
 *  - ImageFormat raw | vhd | qcow2 | vmdk | vdi (default raw) is honoured in every region.
 *  - Refused: an image not Available (IncorrectImageStatus; Deprecated too), a public system
 *    image (InvalidImageCategory.NotSupported), a Marketplace-derived or encrypted image
 *    (ImageNotSupported, answered 403 for both: the catalogue keeps one status per code where
 *    the cloud documents 400 for the encrypted case), more than 4 data disks or a data disk over
 *    500 GiB (InvalidImage.DiskAmountOrSize), an image with no stored content (ExportImageFailed),
 *    more waiting or running exports than ECSIMG_EXPORT_CONCURRENCY per account and region
 *    (ConcurrentQuotaExceed.ExportImage), more exports started in the last 7 days than
 *    ECSIMG_EXPORT_WEEKLY_QUOTA (WeeklyQuotaExceed.ExportImage; off by default: the cloud's
 *    number is not published).
 *  - While the task runs the image is locked: DeleteImage answers ImageIsExporting, and a second
 *    ExportImage of the same image too.
 *  - Objects appear only complete: each is written to a temporary file (filesystem buckets) or
 *    through a stream (S3) that becomes the object when it finishes and is discarded on failure
 *    or cancellation.
 */
import { ChunkNotFoundError, ManifestCorruptError } from '../../blobs/index.js';
import { writeImage, type OutputFormat } from '../../formats/index.js';
import { JobFailure, TaskStatus, type JobContext, type JobHookContext } from '../../jobs/index.js';
import type { Store } from '../../store/index.js';
import { EcsError } from '../errors/index.js';
import { EXPORT_DEFAULT_ROLE } from '../roles/index.js';
import { requireBucketForImage } from './buckets.js';
import type { ImportExportDeps } from './deps.js';
import { exportObjectKey } from './naming.js';

export const EXPORT_TASK_ACTION = 'ExportImage';
export const EXPORT_LOCK = 'export';
const MAX_EXPORT_DATA_DISKS = 4;
const MAX_EXPORT_DATA_DISK_GIB = 500;

export interface ExportRequest {
  accountId: string;
  regionId: string;
  imageId: string;
  bucket: string;
  prefix?: string;
  format: OutputFormat;
  roleName?: string;
}

export interface ExportObjectPlan {
  position: number;
  manifestId: string;
  key: string;
}

export interface ExportJobParams {
  imageId: string;
  regionId: string;
  accountId: string;
  bucket: string;
  format: OutputFormat;
  objects: ExportObjectPlan[];
}

export interface ExportJobResult {
  objects: Array<{ key: string; size: number }>;
}

/** Every synchronous check of ExportImage; returns the objects to write. Creates nothing. */
export async function checkExport(
  deps: ImportExportDeps,
  req: ExportRequest,
): Promise<ExportObjectPlan[]> {
  const row = await deps.images.findVisible(req.accountId, req.regionId, req.imageId);
  if (row?.category === 'system') {
    throw new EcsError('InvalidImageCategory.NotSupported', { imageId: req.imageId });
  }
  if (row?.category === 'marketplace') {
    throw new EcsError('ImageNotSupported', {
      imageId: req.imageId,
      reason: 'Marketplace images are not exportable',
    });
  }
  // Only the owner exports: an image shared with the caller is not theirs to export.
  if (!row || row.owner_id !== req.accountId) {
    throw new EcsError('InvalidImageId.NotFound', { imageId: req.imageId });
  }
  if (row.status !== 'Available') {
    throw new EcsError('IncorrectImageStatus', {
      imageId: req.imageId,
      status: row.status,
      expected: 'Available',
    });
  }
  if (row.product_code) {
    throw new EcsError('ImageNotSupported', {
      imageId: req.imageId,
      reason: 'it derives from a Marketplace image',
    });
  }

  const mappings = (
    (await deps.store.images.mappingsOf(req.regionId, [req.imageId])).get(req.imageId) ?? []
  ).sort((a, b) => a.position - b.position);
  if (mappings.some((m) => m.encrypted === 1)) {
    throw new EcsError('ImageNotSupported', {
      imageId: req.imageId,
      reason: 'encrypted images are not exportable',
    });
  }
  const data = mappings.filter((m) => m.type === 'data');
  if (
    data.length > MAX_EXPORT_DATA_DISKS ||
    data.some((m) => m.size_gib > MAX_EXPORT_DATA_DISK_GIB)
  ) {
    throw new EcsError('InvalidImage.DiskAmountOrSize', {
      imageId: req.imageId,
      reason: `at most ${MAX_EXPORT_DATA_DISKS} data disks of at most ${MAX_EXPORT_DATA_DISK_GIB} GiB`,
    });
  }
  if (mappings.length === 0 || mappings.some((m) => !m.content_ref)) {
    throw new EcsError('ExportImageFailed', {
      reason: 'the image has no stored disk content (only imported images can be exported)',
    });
  }

  await requireBucketForImage(deps, req.accountId, req.bucket, req.regionId);
  await deps.roles.requireAuthorized(req.accountId, req.roleName ?? EXPORT_DEFAULT_ROLE);

  // Checked again under the account's lock when the task is inserted (startExport); this early
  // answer keeps a DryRun truthful and spares a transaction when the quota is plainly full.
  await requireExportCapacity(deps, deps.store, req);

  let dataIndex = 0;
  return mappings.map((m) => ({
    position: m.position,
    manifestId: m.content_ref!,
    key: exportObjectKey({
      prefix: req.prefix,
      imageId: req.imageId,
      type: m.type === 'system' ? 'system' : 'data',
      dataIndex: m.type === 'system' ? undefined : ++dataIndex,
      format: req.format,
    }),
  }));
}

/**
 * Refuses when the account already has its quota of waiting or running exports here, or has
 * started its weekly quota of exports here in the last 7 days (every task counts, however it
 * ended: the cloud counts exports started).
 */
async function requireExportCapacity(
  deps: ImportExportDeps,
  store: Store,
  req: ExportRequest,
): Promise<void> {
  const limit = deps.config.importExport.exportConcurrency;
  let running = 0;
  for (const status of [TaskStatus.Waiting, TaskStatus.Processing]) {
    const { total } = await store.tasks.list({
      accountId: req.accountId,
      regionId: req.regionId,
      actions: [EXPORT_TASK_ACTION],
      status,
      offset: 0,
      limit: 1,
    });
    running += total;
  }
  if (running >= limit) {
    throw new EcsError('ConcurrentQuotaExceed.ExportImage', { running, limit });
  }

  const weekly = deps.config.importExport.exportWeeklyQuota;
  if (weekly > 0) {
    const { total } = await store.tasks.list({
      accountId: req.accountId,
      regionId: req.regionId,
      actions: [EXPORT_TASK_ACTION],
      createdFrom: Date.now() - WEEK_MS,
      offset: 0,
      limit: 1,
    });
    if (total >= weekly) {
      throw new EcsError('WeeklyQuotaExceed.ExportImage', { count: total, limit: weekly });
    }
  }
}

const WEEK_MS = 7 * 24 * 3600 * 1000;

/**
 * Checks, then in one transaction under the account's lock: counts the running exports again,
 * locks the image for export and enqueues the task. Without the lock, simultaneous requests all
 * passed the quota check before any of them inserted its task (PostgreSQL: 8 of 8 with a quota
 * of 2).
 *
 * @example
 *   const taskId = await startExport(services, { accountId, regionId: 'cn-hangzhou',
 *     imageId: 'm-bp…', bucket: 'exports', format: 'qcow2' });
 */
export async function startExport(deps: ImportExportDeps, req: ExportRequest): Promise<string> {
  const objects = await checkExport(deps, req);
  const params: ExportJobParams = {
    imageId: req.imageId,
    regionId: req.regionId,
    accountId: req.accountId,
    bucket: req.bucket,
    format: req.format,
    objects,
  };

  const taskId = await deps.store.transaction(async (tx) => {
    // The account first, before the image's row: every locker takes them in this order.
    await tx.accounts.lock(req.accountId);
    await requireExportCapacity(deps, tx, req);
    if (!(await tx.images.tryLock(req.regionId, req.imageId, EXPORT_LOCK, Date.now()))) {
      const row = await tx.images.find(req.regionId, req.imageId);
      if (row?.lock_operation === 'copy-source') {
        throw new EcsError('OperationDenied.ImageCopying', { imageId: req.imageId });
      }
      throw new EcsError('ImageIsExporting', { imageId: req.imageId });
    }
    return deps.jobs.enqueue(EXPORT_TASK_ACTION, params, {
      accountId: req.accountId,
      regionId: req.regionId,
      resourceId: req.imageId,
      supportCancel: true,
      store: tx,
    });
  });
  deps.log.info(`[export] ${req.imageId} → oss://${req.bucket} (${req.format}) as ${taskId}`);
  return taskId;
}

/**
 * Writes one object with `write`, which gets a file path when the bucket backend keeps local
 * files (format writers then seek: one pass over the disk, zero runs left as holes), a stream
 * otherwise (qcow2, VHD and VMDK writers then read the disk's map first). Either way the object
 * appears only complete: on failure the temporary file or the stream is discarded.
 */
async function writeObject(
  deps: ImportExportDeps,
  bucket: string,
  key: string,
  write: (out: string | NodeJS.WritableStream) => Promise<unknown>,
) {
  if (deps.buckets.writesViaFile) {
    return deps.buckets.writeViaFile(bucket, key, async (file) => {
      await write(file);
    });
  }
  const out = deps.buckets.createWriteStream(bucket, key);
  try {
    await write(out);
    return await out.done;
  } catch (err) {
    // Destroying the stream discards what was written: no partial object under the name.
    out.destroy(err instanceof Error ? err : new Error(String(err)));
    await out.done.catch(() => undefined);
    throw err;
  }
}

/**
 * The ExportImage job: for each disk, the manifest (pinned) streams through the format writer
 * into an object write stream; constant memory whatever the disk's size. A re-run writes the
 * same names again, replacing its own complete objects.
 */
export async function runExport(
  ctx: JobContext<ImportExportDeps>,
  params: ExportJobParams,
): Promise<ExportJobResult> {
  const deps = ctx.deps;
  const bucket = await deps.store.buckets.find(params.bucket);
  if (!bucket || bucket.account_id !== params.accountId || bucket.region_id !== params.regionId) {
    throw new JobFailure('InvalidOSSBucket.NotFound', `the bucket ${params.bucket} is gone`);
  }

  const manifests = [];
  for (const plan of params.objects) {
    const manifest = await deps.disks.read(plan.manifestId);
    if (!manifest) {
      throw new JobFailure('ExportImageFailed', `disk ${plan.position + 1} has no stored content`);
    }
    manifests.push(manifest);
  }
  const total = manifests.reduce((sum, m) => sum + m.virtualSize, 0) || 1;
  let before = 0;
  let last = -1;
  const report = (done: number) => {
    const whole = Math.min(99, Math.floor(((before + done) / total) * 100));
    if (whole <= last) return;
    last = whole;
    void ctx.progress(whole).catch(() => undefined);
  };

  const objects: ExportJobResult['objects'] = [];
  for (const [i, plan] of params.objects.entries()) {
    const pin = await deps.disks.hold(plan.manifestId, ctx.taskId);
    try {
      const reader = await deps.disks.open(plan.manifestId, { readAhead: 8 });
      if (!reader) throw new JobFailure('ExportImageFailed', `disk ${plan.position + 1} vanished`);
      // The object is flushed before the task reports success, so a filesystem bucket's file is
      // written past the page cache where it can be (a stream into S3 ignores this).
      const options = {
        signal: ctx.signal,
        onProgress: (done: number) => report(done),
        directIo: deps.config.directIo,
      };
      try {
        const info = await writeObject(deps, params.bucket, plan.key, (out) =>
          writeImage(params.format, reader, out, options),
        );
        objects.push({ key: plan.key, size: info.size });
      } catch (err) {
        ctx.signal.throwIfAborted();
        if (err instanceof ChunkNotFoundError || err instanceof ManifestCorruptError) {
          // Retrying cannot bring lost content back: fail at once, with the reason.
          throw new JobFailure(
            'ExportImageFailed',
            `the stored content of disk ${plan.position + 1} is damaged: ${err.message}`,
          );
        }
        if (!(await deps.store.buckets.find(params.bucket))) {
          throw new JobFailure('InvalidOSSBucket.NotFound', `the bucket ${params.bucket} is gone`);
        }
        throw err;
      }
    } finally {
      await pin.release();
    }
    before += manifests[i].virtualSize;
    ctx.log.info(`[export] ${params.imageId} disk ${plan.position + 1} → ${plan.key}`);
  }

  await deps.images.endOperation(params.regionId, params.imageId, EXPORT_LOCK);
  return { objects };
}

/**
 * Failed or cancelled: the image is free again. The object being written was never made
 * visible; those of disks finished before it stay, each complete.
 *
 * TODO(export-cleanup): whether the cloud removes the finished disks' objects of a failed
 * multi-disk export is not documented; we keep them.
 */
export async function releaseExport(
  ctx: JobHookContext<ImportExportDeps>,
  params: ExportJobParams,
): Promise<void> {
  await ctx.deps.images.endOperation(params.regionId, params.imageId, EXPORT_LOCK);
}

export function exportRelatedItems(result: ExportJobResult, params: ExportJobParams) {
  return result.objects.map((o) => ({ Name: 'OSSObject', Value: `${params.bucket}/${o.key}` }));
}
