/**
 * The image catalogue's domain service: the one object the API, the jobs and the other areas
 * hold. Each group of operations lives in its own module and this class binds them to the store,
 * the clock and the instance-usage probe:
 * - `describe.ts`: visibility, DescribeImages, DescribeImageFromFamily,
 *   DescribeImageSupportInstanceTypes;
 * - `changes.ts`: ModifyImageAttribute (deprecate/restore), DeleteImage, the tag API's check;
 * - `lifecycle.ts`: create an image in Creating, mark it Available or CreateFailed, hold it;
 * - `seed.ts`: the system images.
 *
 * Faithfulness: visibility, statuses, refusals and their codes follow the cloud's documentation.
 * Where the documentation is silent the choice is written next to the code.
 */
import type { Store } from '../../store/index.js';
import type { ImageRow } from '../../store/repositories/images.js';
import type { InstanceType } from '../instance-types.js';
import { checkTaggable, deleteImage, modifyAttribute, type ImageChanges } from './changes.js';
import { NO_INSTANCES, type ImageContext, type InstanceUsageProbe } from './context.js';
import {
  describe,
  details,
  findVisible,
  fromFamily,
  getOwned,
  instanceTypesFor,
  type DescribeImagesQuery,
  type ImageDetail,
} from './describe.js';
import {
  beginOperation,
  createImage,
  endOperation,
  markAvailable,
  markCreating,
  markFailed,
  setProgress,
  type ImageOutcome,
  type NewImage,
} from './lifecycle.js';
import { seedSystemImages } from './seed.js';

export type { ImageChanges } from './changes.js';
export { NO_INSTANCES, type InstanceUsageProbe } from './context.js';
export type { DescribeImagesQuery, ImageDetail, OwnerAlias } from './describe.js';
export type { ImageOutcome, NewImage, NewImageMapping } from './lifecycle.js';

export class ImageService {
  private usage: InstanceUsageProbe = NO_INSTANCES;

  constructor(
    private readonly store: Store,
    private readonly now: () => number = Date.now,
  ) {}

  /** Built per call so that a probe installed after construction is the one used. */
  private get ctx(): ImageContext {
    return { store: this.store, now: this.now, usage: this.usage };
  }

  /** Installed by the instance area when it exists; tests install fakes. */
  setInstanceUsageProbe(probe: InstanceUsageProbe): void {
    this.usage = probe;
  }

  /** Do catalogue reads depend on nothing but the store (so its change clock covers them)? */
  get readsStoreOnly(): boolean {
    return this.usage.readsStoreOnly === true;
  }

  // ---------------------------------------------------------------- seeding

  /** Adds the system images missing in each region; safe to run on every start. */
  seedSystemImages(regionIds: string[]): Promise<number> {
    return seedSystemImages(this.ctx, regionIds);
  }

  // ---------------------------------------------------------------- lifecycle (other areas)

  /**
   * Registers a new custom image in Creating (or Waiting) with its planned disks and tags, after
   * the cloud's checks: name rule and duplicates, description, family rule and quotas.
   *
   * @example
   *   const image = await images.createImage({ accountId, regionId: 'cn-hangzhou',
   *     name: 'web-2024', origin: 'import', mappings: [{ type: 'system', format: 'qcow2',
   *     importOssBucket: 'b', importOssObject: 'disk.qcow2' }] });
   *   // image.id → 'm-bp…', image.status → 'Creating'
   */
  createImage(
    input: NewImage,
    options: {
      /**
       * Runs inside the transaction that inserts the image (e.g. enqueueing its task), so the
       * image exists exactly when what the caller writes beside it does.
       */
      inTransaction?: (tx: Store, row: ImageRow) => Promise<void>;
    } = {},
  ): Promise<ImageRow> {
    return createImage(this.ctx, input, options);
  }

  /** Progress of a creating image, 0–100 (shown as Progress "42%"). */
  setProgress(regionId: string, imageId: string, percent: number): Promise<void> {
    return setProgress(this.ctx, regionId, imageId, percent);
  }

  /** A queued (Waiting) image whose task starts now. */
  markCreating(regionId: string, imageId: string): Promise<void> {
    return markCreating(this.ctx, regionId, imageId);
  }

  /** The content is in place: the image becomes Available with its final size and disks. */
  markAvailable(regionId: string, imageId: string, outcome: ImageOutcome): Promise<void> {
    return markAvailable(this.ctx, regionId, imageId, outcome);
  }

  /** Creation failed: the image stays listed as CreateFailed with the reason kept for support. */
  markFailed(regionId: string, imageId: string, reason: string): Promise<void> {
    return markFailed(this.ctx, regionId, imageId, reason);
  }

  /**
   * Holds the image for a long operation (`export`, `copy-source`); DeleteImage refuses while
   * held. False when another operation holds it.
   */
  beginOperation(regionId: string, imageId: string, operation: string): Promise<boolean> {
    return beginOperation(this.ctx, regionId, imageId, operation);
  }

  endOperation(regionId: string, imageId: string, operation: string): Promise<void> {
    return endOperation(this.ctx, regionId, imageId, operation);
  }

  // ---------------------------------------------------------------- reading

  /** The image if the account may see it: system, its own, shared with it, or community. */
  findVisible(accountId: string, regionId: string, imageId: string) {
    return findVisible(this.ctx, accountId, regionId, imageId);
  }

  /** The account's own custom image, or InvalidImageId.NotFound — also for others' images. */
  getOwned(accountId: string, regionId: string, imageId: string): Promise<ImageRow> {
    return getOwned(this.ctx, accountId, regionId, imageId);
  }

  /** Loads disks, tags, sharing and usage for a page of rows in four batched queries. */
  details(accountId: string, regionId: string, rows: ImageRow[]): Promise<ImageDetail[]> {
    return details(this.ctx, accountId, regionId, rows);
  }

  /** DescribeImages: validates the query the cloud's way, then one page and the total. */
  describe(accountId: string, query: DescribeImagesQuery) {
    return describe(this.ctx, accountId, query);
  }

  /** The newest Available image of the family, or undefined (an empty answer, not an error). */
  fromFamily(accountId: string, regionId: string, family: string) {
    return fromFamily(this.ctx, accountId, regionId, family);
  }

  /**
   * The instance types an image boots on. Without an image: the whole catalogue. The image must
   * be visible and Available (the cloud's NotFound message says so).
   */
  supportedInstanceTypes(
    accountId: string,
    regionId: string,
    imageId: string | undefined,
  ): Promise<InstanceType[]> {
    return instanceTypesFor(this.ctx, accountId, regionId, imageId);
  }

  // ---------------------------------------------------------------- changing

  /**
   * ModifyImageAttribute: unset fields keep their value. `dryRun` runs every check and writes
   * nothing.
   */
  modifyAttribute(
    accountId: string,
    regionId: string,
    imageId: string,
    changes: ImageChanges,
    dryRun = false,
  ): Promise<void> {
    return modifyAttribute(this.ctx, accountId, regionId, imageId, changes, dryRun);
  }

  /**
   * DeleteImage, with the cloud's refusals in the order it documents them. Force only overrides
   * "used by instances". `dryRun` checks and keeps the image.
   */
  deleteImage(
    accountId: string,
    regionId: string,
    imageId: string,
    options: { force?: boolean; dryRun?: boolean } = {},
  ): Promise<void> {
    return deleteImage(this.ctx, accountId, regionId, imageId, options);
  }

  /** For the tag API: the account may tag only its own custom images. */
  checkTaggable(accountId: string, regionId: string, imageIds: string[]): Promise<void> {
    return checkTaggable(this.ctx, accountId, regionId, imageIds);
  }
}
