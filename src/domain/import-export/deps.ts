/**
 * What import and export need of the process: the slice of `Services` they use, declared here so
 * the domain does not import the API layer. `start/` passes its Services, which has all of it.
 */
import type { Config } from '../../config/index.js';
import type { JobQueue } from '../../jobs/index.js';
import type { Logger } from '../../log/index.js';
import type { Store } from '../../store/index.js';
import type { DiskContentService } from '../blobs/index.js';
import type { BucketService } from '../buckets/index.js';
import type { ImageService } from '../images/index.js';
import type { RoleService } from '../roles/index.js';

export interface ImportExportDeps {
  config: Config;
  store: Store;
  images: ImageService;
  jobs: JobQueue;
  disks: DiskContentService;
  buckets: BucketService;
  roles: RoleService;
  log: Logger;
}

export const GIB = 1024 ** 3;
