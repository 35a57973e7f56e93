/**
 * The bucket an image is imported from or exported to. The buckets area answers
 * InvalidOSSBucket.NotFound for a bucket that is missing, another account's, or in another
 * region; here a bucket the caller owns in another region answers InvalidOSSBucket.NotMatched
 * (the cloud's code for that case), which tells the caller what to change.
 */
import { EcsError } from '../errors/index.js';
import type { Bucket } from '../buckets/index.js';
import type { ImportExportDeps } from './deps.js';

export async function requireBucketForImage(
  deps: Pick<ImportExportDeps, 'buckets'>,
  accountId: string,
  name: string,
  regionId: string,
): Promise<Bucket> {
  const own = (await deps.buckets.list(accountId)).find((b) => b.name === name);
  if (own && own.regionId !== regionId) {
    throw new EcsError('InvalidOSSBucket.NotMatched', {
      bucket: name,
      bucketRegion: own.regionId,
      regionId,
    });
  }
  return deps.buckets.requireForImage(accountId, name, regionId);
}
