/**
 * ImportImage: the synchronous checks that decide whether an import starts, and the job that
 * turns disk files in a bucket into an Available image.
 *
 * How faithful (API-REFERENCE B.4):
 *  - Format: the cloud accepts RAW, VHD, QCOW2 (VMDK by invitation). ecsimg accepts those and VMDK,
 *    VDI and VHDX for everyone; an empty Format means "detect". Whatever is declared, the safe
 *    inspector decides; a file that is not what Format says fails the task.
 *  - DiskImageSize: the current cloud documents 1-2048 GiB; this deployment allows the system disk
 *    40-500 GiB and data disks 1-2048 GiB (ECSIMG_IMPORT_*_DISK_{MIN,MAX}_GIB). Left out, a
 *    disk's size is its virtual size rounded up to GiB (system disk: at least the minimum).
 *  - More than 17 disks are refused (InvalidParameter) where the cloud silently ignores them.
 *  - CancelTask of an import removes the image: a cancelled import leaves nothing behind, as
 *    DeleteImage cannot remove an importing image (ImageIsImporting) and CancelTask is the way
 *    the cloud offers. A failed import leaves the image CreateFailed (its reason kept).
 *  - The object must stay unchanged while the import runs; if it changes, the task fails
 *    (ImportImageFailed) rather than mixing two versions.
 *  - Each disk's checksum (see checksum.ts) is shown in the finished task's RelatedItemSet.
 */
import crypto from 'node:crypto';
import { FsObjectStore, ObjectNotFoundError } from '../../blobs/index.js';
import {
  inspect,
  openFileSource,
  openReader,
  type ByteSource,
  type DiskFormat,
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
import { EcsError } from '../errors/index.js';
import { IMPORT_DEFAULT_ROLE } from '../roles/index.js';
import { blockTreeDigest } from './checksum.js';
import { GIB, type ImportExportDeps } from './deps.js';
import { requireBucketForImage } from './buckets.js';

export const IMPORT_TASK_ACTION = 'ImportImage';
/** Disk 1 is the system disk, 2-17 data disks. */
export const MAX_IMPORT_DISKS = 17;
/** Formats ImportImage accepts in `Format` (upper case on the wire). */
export const IMPORT_FORMATS = ['RAW', 'VHD', 'QCOW2', 'VMDK', 'VDI', 'VHDX'] as const;

const WINDOWS_SERVER = /^Windows Server \d{4}$/;

export interface ImportDiskRequest {
  bucket: string;
  object: string;
  /** Declared format (any case); absent = detect. */
  format?: string;
  sizeGib?: number;
  device?: string;
}

/** What the ImportImage action decoded. */
export interface ImportRequest {
  accountId: string;
  regionId: string;
  disks: ImportDiskRequest[];
  name?: string;
  description?: string;
  architecture?: 'i386' | 'x86_64' | 'arm64';
  osType?: 'linux' | 'windows';
  platform?: string;
  bootMode?: 'BIOS' | 'UEFI';
  licenseType?: string;
  roleName?: string;
  imdsSupport?: 'v1' | 'v2';
  nvmeSupport?: 'supported' | 'unsupported';
  tags?: Array<{ key: string; value: string }>;
}

/** One disk as the job imports it: checked, with the object's version when accepted. */
export interface PlannedDisk {
  position: number;
  type: 'system' | 'data';
  device: string;
  bucket: string;
  object: string;
  declaredFormat?: DiskFormat;
  sizeGib?: number;
  /** The object's ETag when ImportImage accepted it: the job refuses a changed object. */
  etag: string;
  objectSize: number;
}

export interface ImportJobParams {
  imageId: string;
  regionId: string;
  accountId: string;
  disks: PlannedDisk[];
}

export interface ImportedDisk {
  position: number;
  format: string;
  virtualSize: number;
  sizeGib: number;
  manifestId: string;
  checksum: string;
}

export interface ImportJobResult {
  imageId: string;
  disks: ImportedDisk[];
}

interface ImportPlan {
  disks: PlannedDisk[];
  name: string;
  osType: 'linux' | 'windows';
  platform?: string;
}

function sizeRule(deps: ImportExportDeps, type: 'system' | 'data') {
  const { systemDiskGib, dataDiskGib } = deps.config.importExport;
  return type === 'system'
    ? { code: 'InvalidImageSize', ...systemDiskGib }
    : { code: 'InvalidDataDiskSize', ...dataDiskGib };
}

/** The OS type a platform implies, when it implies one. */
function osTypeOf(platform: string): 'linux' | 'windows' {
  return /windows/i.test(platform) ? 'windows' : 'linux';
}

/**
 * Every synchronous check of ImportImage, in the order a caller fixes them: parameters that
 * belong together, the service role, then each disk's bucket and object. Creates nothing.
 */
export async function checkImport(deps: ImportExportDeps, req: ImportRequest): Promise<ImportPlan> {
  if (req.disks.length === 0) throw new EcsError('MissingParameter.DiskDeviceMapping');
  if (req.disks.length > MAX_IMPORT_DISKS) {
    throw new EcsError('InvalidParameter', {
      name: 'DiskDeviceMapping',
      reason: `at most ${MAX_IMPORT_DISKS} disks (1 system disk and 16 data disks)`,
    });
  }

  const disks: PlannedDisk[] = req.disks.map((d, position) => {
    const type = position === 0 ? 'system' : 'data';
    const label = `DiskDeviceMapping.${position + 1}`;
    const rule = sizeRule(deps, type);
    if (d.sizeGib !== undefined && (d.sizeGib < rule.min || d.sizeGib > rule.max)) {
      throw new EcsError(rule.code, {
        reason: `${label}.DiskImageSize is ${d.sizeGib} GiB; allowed ${rule.min}-${rule.max} GiB`,
        min: rule.min,
        max: rule.max,
      });
    }
    const device = d.device ?? `/dev/xvd${String.fromCharCode(97 + position)}`;
    if (!/^\/dev\/(xv|v|s)d[a-z]$/.test(device)) {
      throw new EcsError('InvalidParameter.Malformed', {
        name: `${label}.Device`,
        reason: 'a device name such as /dev/xvda',
      });
    }
    const format = d.format?.toLowerCase() as DiskFormat | undefined;
    return {
      position,
      type,
      device,
      bucket: d.bucket,
      object: d.object,
      declaredFormat: format,
      sizeGib: d.sizeGib,
      etag: '',
      objectSize: 0,
    };
  });

  // OS, platform, architecture, boot mode and licence must describe one possible machine.
  const platformOs = req.platform ? osTypeOf(req.platform) : undefined;
  if (req.osType && platformOs && req.osType !== platformOs) {
    throw new EcsError('InvalidPlatform.Malformed', {
      platform: req.platform,
      reason: `a ${platformOs} platform, but OSType is ${req.osType}`,
    });
  }
  const osType = req.osType ?? platformOs ?? 'linux';
  const architecture = req.architecture ?? 'x86_64';
  if (architecture === 'arm64' && req.bootMode === 'BIOS') {
    throw new EcsError('InvalidBootMode.NotSupport', {
      bootMode: 'BIOS',
      reason: 'arm64 images boot with UEFI',
    });
  }
  if (architecture === 'arm64' && osType === 'windows') {
    throw new EcsError('InvalidArchitecture.PlatformUnsupported', {
      platform: req.platform ?? 'Windows',
      architecture,
    });
  }
  if (osType === 'windows' && req.licenseType === 'Aliyun') {
    const platform = req.platform ?? 'Other Windows';
    if (!WINDOWS_SERVER.test(platform)) {
      throw new EcsError('InvalidLicenseType.BYOLOnly', { platform });
    }
  }
  const keys = new Set<string>();
  for (const tag of req.tags ?? []) {
    if (keys.has(tag.key)) throw new EcsError('TagKey.Duplication', { key: tag.key });
    keys.add(tag.key);
  }

  const name = req.name ?? `import-${crypto.randomBytes(6).toString('hex')}`;
  if (await deps.store.images.nameTaken(req.regionId, req.accountId, name)) {
    throw new EcsError('InvalidImageName.Duplicated', { imageName: name });
  }

  await deps.roles.requireAuthorized(req.accountId, req.roleName ?? IMPORT_DEFAULT_ROLE);

  for (const disk of disks) {
    await requireBucketForImage(deps, req.accountId, disk.bucket, req.regionId);
    const info = await deps.buckets.requireObjectForImage(
      req.accountId,
      disk.bucket,
      disk.object,
      req.regionId,
    );
    disk.etag = info.etag;
    disk.objectSize = info.size;
  }
  return { disks, name, osType, platform: req.platform };
}

/**
 * Checks, then creates the image (Creating) and its ImportImage task in one transaction.
 *
 * @example
 *   const { imageId, taskId } = await startImport(services, { accountId, regionId: 'cn-hangzhou',
 *     disks: [{ bucket: 'images', object: 'web.qcow2', sizeGib: 40 }], name: 'web' });
 */
export async function startImport(
  deps: ImportExportDeps,
  req: ImportRequest,
): Promise<{ imageId: string; taskId: string }> {
  const plan = await checkImport(deps, req);
  let taskId = '';

  const image = await deps.images.createImage(
    {
      accountId: req.accountId,
      regionId: req.regionId,
      name: plan.name,
      origin: 'import',
      description: req.description,
      osType: plan.osType,
      platform: plan.platform,
      architecture: req.architecture,
      bootMode: req.bootMode,
      licenseType: req.licenseType,
      imdsSupport: req.imdsSupport,
      nvmeSupport: req.nvmeSupport,
      mappings: plan.disks.map((d) => ({
        device: d.device,
        type: d.type,
        sizeGib: d.sizeGib,
        format: d.declaredFormat,
        importOssBucket: d.bucket,
        importOssObject: d.object,
      })),
      tags: req.tags,
    },
    {
      inTransaction: async (tx, row) => {
        const params: ImportJobParams = {
          imageId: row.id,
          regionId: req.regionId,
          accountId: req.accountId,
          disks: plan.disks,
        };
        taskId = await deps.jobs.enqueue(IMPORT_TASK_ACTION, params, {
          accountId: req.accountId,
          regionId: req.regionId,
          resourceId: row.id,
          supportCancel: true,
          store: tx,
        });
      },
    },
  );
  deps.log.info(
    { imageId: image.id, taskId, disks: plan.disks.length },
    `[import] ${image.id} queued as ${taskId}`,
  );
  return { imageId: image.id, taskId };
}

// ---------------------------------------------------------------------------------- the job

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
