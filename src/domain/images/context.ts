/**
 * What the image modules share: the store, the clock and the probe that says which images
 * instances use. `ImageService` builds one per call so that a probe installed later is seen.
 */
import type { Store } from '../../store/index.js';

/**
 * Which images instances use. ecsimg has no instances yet, so the default answers "none"; the
 * instance area will provide a probe that queries its table, and every check here (Usage filter
 * and field, ImageUsingByInstance, the boot-mode refusal) already goes through it.
 */
export interface InstanceUsageProbe {
  /** Of `imageIds` (every image of the region when absent), those used by instances. */
  imagesInUse(regionId: string, imageIds?: string[]): Promise<Set<string>>;
  /**
   * true when the answers come from the metadata store alone, so its change clock covers them
   * and DescribeImages answers may be cached; a probe with any other source leaves it unset.
   */
  readsStoreOnly?: boolean;
}

export const NO_INSTANCES: InstanceUsageProbe = {
  imagesInUse: async () => new Set(),
  readsStoreOnly: true,
};

/** The dependencies of the image functions, e.g. `{ store, now: Date.now, usage: NO_INSTANCES }`. */
export interface ImageContext {
  store: Store;
  now: () => number;
  usage: InstanceUsageProbe;
}
