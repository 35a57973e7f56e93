/**
 * The ImportImage job: inspect every disk object, convert each into the chunk store (resuming
 * what an earlier run left), then mark the image Available; plus what a failed or cancelled
 * import cleans up and what the finished task shows. The synchronous checks that start it are in
 * import-image.ts.
 */
import { FsObjectStore, ObjectNotFoundError } from '../../blobs/index.js';
import {
  inspect,
  openFileSource,
  openReader,
  type ByteSource,
  type ExtentSource,
  type InspectResult,
} from '../../formats/index.js';
import {
  JobFailure,
  type JobContext,
  type JobHookContext,
  type JobError,
} from '../../jobs/index.js';
import type { Store } from '../../store/index.js';
import type { ImageMappingRow } from '../../store/repositories/images.js';
import { blockTreeDigest } from './checksum.js';
import { GIB, type ImportExportDeps } from './deps.js';
import type {
  ImportedDisk,
  ImportJobParams,
  ImportJobResult,
  PlannedDisk,
} from './import-image.js';

/** The size range a disk of this type may declare or need, and the code that refuses it. */
export function sizeRule(deps: ImportExportDeps, type: 'system' | 'data') {
  const { systemDiskGib, dataDiskGib } = deps.config.importExport;
  return type === 'system'
    ? { code: 'InvalidImageSize', ...systemDiskGib }
    : { code: 'InvalidDataDiskSize', ...dataDiskGib };
}

/**
 * The object as random-access bytes. On the filesystem backend the object is a local file:
 * reading it as one gives positioned reads into reused buffers and hole detection (SEEK_DATA),
 * which makes sparse raw imports cheap.
 */
async function openObject(deps: ImportExportDeps, disk: PlannedDisk): Promise<ByteSource> {
  const { objects } = deps.buckets;
  const info = await objects.head(disk.bucket, disk.object);
  if (!info) {
    throw new JobFailure(
      'ImportImageFailed',
      `oss://${disk.bucket}/${disk.object} was deleted before the import finished`,
    );
  }
  if (info.etag !== disk.etag) {
    throw new JobFailure(
      'ImportImageFailed',
      `oss://${disk.bucket}/${disk.object} changed after ImportImage was called`,
    );
  }
  try {
    if (objects instanceof FsObjectStore) {
      return await openFileSource(objects.pathOf(disk.bucket, disk.object));
    }
    return await deps.buckets.openSource(disk.bucket, disk.object);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (err instanceof ObjectNotFoundError || code === 'ENOENT') {
      throw new JobFailure('ImportImageFailed', `oss://${disk.bucket}/${disk.object} vanished`);
    }
    throw err;
  }
}

/** Refusal of the inspector, as the task's ErrorCode and ErrorMsg. */
function refusal(disk: PlannedDisk, inspected: InspectResult): JobFailure {
  const reasons = inspected.reasons.map((r) => `${r.code}: ${r.message}`).join('; ');
  return new JobFailure(
    'InvalidImageFormat.Malformed',
    `DiskDeviceMapping.${disk.position + 1} (oss://${disk.bucket}/${disk.object}, ` +
      `${inspected.format}) refused: ${reasons}`,
  );
}

/** The size the disk gets (GiB), or a refusal when its virtual size does not fit. */
function diskSizeGib(deps: ImportExportDeps, disk: PlannedDisk, virtualSize: number): number {
  const rule = sizeRule(deps, disk.type);
  const needed = Math.max(1, Math.ceil(virtualSize / GIB));
  const label = `DiskDeviceMapping.${disk.position + 1}`;
  if (disk.sizeGib !== undefined && virtualSize > disk.sizeGib * GIB) {
    throw new JobFailure(
      rule.code,
      `${label}: the disk's virtual size (${virtualSize} bytes, ${needed} GiB) exceeds ` +
        `DiskImageSize ${disk.sizeGib} GiB`,
    );
  }
  if (disk.sizeGib === undefined && needed > rule.max) {
    throw new JobFailure(
      rule.code,
      `${label}: the disk's virtual size (${needed} GiB) exceeds the ${rule.max} GiB allowed`,
    );
  }
  return disk.sizeGib ?? Math.max(needed, rule.min);
}

/** Limits how fast data extents are consumed (ECSIMG_IMPORT_MAX_BYTES_PER_SEC); zeros are free. */
export function throttleExtents(source: ExtentSource, bytesPerSec: number): ExtentSource {
  if (bytesPerSec <= 0) return source;
  return {
    virtualSize: source.virtualSize,
    map: () => source.map(),
    async *extents(options) {
      const started = Date.now();
      let bytes = 0;
      for await (const extent of source.extents(options)) {
        if (!extent.zero) {
          bytes += extent.length;
          const wait = started + (bytes / bytesPerSec) * 1000 - Date.now();
          if (wait > 0) await sleep(wait, options?.signal);
        }
        yield extent;
      }
    },
  };
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    signal?.throwIfAborted();
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Writes `content_ref` of one disk while the image is Creating, so a re-run can resume it. */
async function recordContentRef(
  store: Store,
  params: ImportJobParams,
  position: number,
  manifestId: string | null,
): Promise<void> {
  const rows = await mappingsOf(store, params);
  const updated = rows.map((r) =>
    r.position === position ? { ...r, content_ref: manifestId } : r,
  );
  await store.images.replaceMappings(params.regionId, params.imageId, updated);
}

async function mappingsOf(store: Store, params: ImportJobParams): Promise<ImageMappingRow[]> {
  const all = await store.images.mappingsOf(params.regionId, [params.imageId]);
  return (all.get(params.imageId) ?? []).sort((a, b) => a.position - b.position);
}

/**
 * Reports progress to the task and the image, at most once per percent. `flush` waits for the
 * writes in flight, so none can land after the image is marked Available (100%).
 */
function progressReporter(ctx: JobContext<ImportExportDeps>, params: ImportJobParams) {
  let last = -1;
  let pending: Promise<void> = Promise.resolve();
  const report = (percent: number) => {
    const whole = Math.min(99, Math.floor(percent));
    if (whole <= last) return;
    last = whole;
    // Chained, never awaited by the writer: the write path does not wait for the database.
    pending = pending
      .then(() => ctx.progress(whole))
      .then(() => ctx.deps.images.setProgress(params.regionId, params.imageId, whole))
      .catch(() => undefined); // a cancellation shows through ctx.signal, which the writer watches
  };
  return { report, flush: () => pending };
}

/**
 * The ImportImage job. Idempotent: a re-run (crash, lost lease) inspects again (cheap), keeps
 * disks a previous run completed, resumes a half-written disk from its recorded blocks (chunks
 * already stored are neither hashed nor written again), and never shows the image Available
 * before every disk's manifest is complete.
 */
export async function runImport(
  ctx: JobContext<ImportExportDeps>,
  params: ImportJobParams,
): Promise<ImportJobResult> {
  const deps = ctx.deps;
  const image = await deps.store.images.find(params.regionId, params.imageId);
  if (!image) {
    throw new JobFailure('InvalidImageId.NotFound', `image ${params.imageId} no longer exists`);
  }
  if (image.status === 'Available') return resultOfAvailable(deps, params);
  if (image.status !== 'Creating' && image.status !== 'Waiting') {
    throw new JobFailure('IncorrectImageStatus', `image ${params.imageId} is ${image.status}`);
  }

  // 1. Inspect every disk before converting any: a bad data disk fails the task at once.
  const sources: ByteSource[] = [];
  const inspected: InspectResult[] = [];
  const sizes: number[] = [];
  try {
    for (const disk of params.disks) {
      const source = await openObject(deps, disk);
      sources.push(source);
      const result = await inspect(source, { declaredFormat: disk.declaredFormat });
      if (!result.safe) throw refusal(disk, result);
      inspected.push(result);
      sizes.push(diskSizeGib(deps, disk, result.virtualSize));
    }
  } catch (err) {
    await Promise.allSettled(sources.map((s) => s.close()));
    throw err;
  }

  // 2. Convert each disk into the chunk store, resuming what an earlier run left.
  const total = inspected.reduce((sum, r) => sum + r.virtualSize, 0) || 1;
  const { report, flush } = progressReporter(ctx, params);
  const mappings = await mappingsOf(deps.store, params);
  const disks: ImportedDisk[] = [];
  let before = 0;

  for (const [i, disk] of params.disks.entries()) {
    const result = inspected[i];
    const previousId = mappings.find((m) => m.position === disk.position)?.content_ref;
    const previous = previousId ? await deps.store.blobs.getManifest(previousId) : undefined;

    let manifestId: string;
    let checksum: string;
    if (previous?.state === 'complete' && previous.virtualSize === result.virtualSize) {
      await sources[i].close();
      manifestId = previous.id;
      checksum = blockTreeDigest(previous);
      ctx.log.info(`[import] ${params.imageId} disk ${disk.position + 1} already stored`);
    } else {
      // A manifest of ours from before the crash is resumed; anything else starts afresh.
      const resumable = previous?.state === 'writing' ? previous.id : undefined;
      const id =
        resumable ??
        (await deps.store.blobs.createManifest({
          virtualSize: result.virtualSize,
          blockSize: 4 * 1024 * 1024,
          now: Date.now(),
        }));
      if (id !== previousId) {
        // A stale manifest (complete for another size, e.g.) is dropped, not left to leak.
        if (previous) await deps.disks.delete(previous.id);
        await recordContentRef(deps.store, params, disk.position, id);
      }

      const reader = await openReader(sources[i], result);
      try {
        const written = await deps.disks.write(
          throttleExtents(reader, deps.config.importExport.importMaxBytesPerSec),
          {
            holder: ctx.taskId,
            resumeManifestId: id,
            signal: ctx.signal,
            onProgress: (done) => report(((before + done) / total) * 100),
          },
        );
        manifestId = written.manifestId;
        checksum = blockTreeDigest(written.manifest);
        if (manifestId !== id) {
          await recordContentRef(deps.store, params, disk.position, manifestId);
        }
        ctx.log.info(
          { ...written.stats },
          `[import] ${params.imageId} disk ${disk.position + 1}: ${result.format}, ` +
            `${written.stats.chunksWritten} new chunks, ${written.stats.chunksReused} reused`,
        );
      } finally {
        await reader.close();
      }
    }
    before += result.virtualSize;
    disks.push({
      position: disk.position,
      // An ISO is plain bytes: the disk is a raw disk holding it.
      format: result.format === 'iso' ? 'raw' : result.format,
      virtualSize: result.virtualSize,
      sizeGib: sizes[i],
      manifestId,
      checksum,
    });
  }

  // 3. Every disk is complete: only now does the image become Available.
  await flush();
  ctx.signal.throwIfAborted();
  await deps.images.markAvailable(params.regionId, params.imageId, {
    sizeGib: disks[0].sizeGib,
    mappings: params.disks.map((d, i) => ({
      device: d.device,
      type: d.type,
      sizeGib: disks[i].sizeGib,
      format: disks[i].format,
      importOssBucket: d.bucket,
      importOssObject: d.object,
      contentRef: disks[i].manifestId,
    })),
  });
  ctx.log.info(`[import] ${params.imageId} is Available`);
  return { imageId: params.imageId, disks };
}

/** A run that finds the image Available (the previous run crashed after marking it). */
async function resultOfAvailable(
  deps: ImportExportDeps,
  params: ImportJobParams,
): Promise<ImportJobResult> {
  const mappings = await mappingsOf(deps.store, params);
  const disks: ImportedDisk[] = [];
  for (const m of mappings) {
    const manifest = m.content_ref ? await deps.store.blobs.getManifest(m.content_ref) : undefined;
    if (!manifest)
      throw new JobFailure('ImportImageFailed', `disk ${m.position + 1} has no content`);
    disks.push({
      position: m.position,
      format: m.format,
      virtualSize: manifest.virtualSize,
      sizeGib: m.size_gib,
      manifestId: manifest.id,
      checksum: blockTreeDigest(manifest),
    });
  }
  return { imageId: params.imageId, disks };
}

/** Drops the content an unfinished import stored (its chunks become garbage for the collector). */
async function discardContent(deps: ImportExportDeps, params: ImportJobParams): Promise<void> {
  const mappings = await mappingsOf(deps.store, params);
  for (const m of mappings) {
    if (m.content_ref) await deps.disks.delete(m.content_ref);
  }
  if (mappings.some((m) => m.content_ref)) {
    await deps.store.images.replaceMappings(
      params.regionId,
      params.imageId,
      mappings.map((m) => ({ ...m, content_ref: null })),
    );
  }
}

/** The task failed for good: the image stays listed as CreateFailed, its partial content goes. */
export async function onImportFailed(
  ctx: JobHookContext<ImportExportDeps>,
  params: ImportJobParams,
  error: JobError,
): Promise<void> {
  const deps = ctx.deps;
  const image = await deps.store.images.find(params.regionId, params.imageId);
  if (!image || (image.status !== 'Creating' && image.status !== 'Waiting')) return;
  await discardContent(deps, params);
  await deps.images.markFailed(params.regionId, params.imageId, `${error.code}: ${error.message}`);
  ctx.log.warn(`[import] ${params.imageId} CreateFailed: ${error.code}`);
}

/** CancelTask: the importing image and its partial content are removed. */
export async function onImportCancelled(
  ctx: JobHookContext<ImportExportDeps>,
  params: ImportJobParams,
): Promise<void> {
  const deps = ctx.deps;
  const image = await deps.store.images.find(params.regionId, params.imageId);
  if (!image || (image.status !== 'Creating' && image.status !== 'Waiting')) return;
  await discardContent(deps, params);
  await deps.store.images.delete(params.regionId, params.imageId);
  ctx.log.info(`[import] ${params.imageId} removed: its import was cancelled`);
}

/** DescribeTaskAttribute's RelatedItemSet of a finished import. */
export function importRelatedItems(result: ImportJobResult) {
  const items = [{ Name: 'ImageId', Value: result.imageId }];
  for (const d of result.disks) {
    const n = `DiskDeviceMapping.${d.position + 1}`;
    items.push(
      { Name: `${n}.Format`, Value: d.format },
      { Name: `${n}.VirtualSize`, Value: String(d.virtualSize) },
      { Name: `${n}.Checksum`, Value: d.checksum },
    );
  }
  return items;
}
