/**
 * The blob layer: the chunk store (disk content as content-addressed 4 MiB chunks, manifests,
 * garbage collection) and the object store behind OSS buckets. Both live in a folder under the
 * data directory by default (`chunks/`, `buckets/`) or in one S3-compatible bucket
 * (`ECSIMG_CHUNK_STORE=s3`, keys `<prefix>chunks/…` and `<prefix>buckets/<bucket>/…`).
 */
import path from 'node:path';
import type { Config } from '../config/index.js';
import { FsObjectStore } from './buckets/fs.js';
import type { ObjectStore } from './buckets/object-store.js';
import { S3ObjectStore } from './buckets/s3.js';
import type { ChunkStore } from './chunk-store.js';
import { FsChunkStore } from './fs/chunk-store.js';
import { S3ChunkStore } from './s3/chunk-store.js';
import { createS3Client } from './s3/client.js';

export * from './chunk-store.js';
export * from './manifest.js';
export * from './gc.js';
export * from './buckets/object-store.js';
export { FsChunkStore } from './fs/chunk-store.js';
export { S3ChunkStore } from './s3/chunk-store.js';
export { FsObjectStore } from './buckets/fs.js';
export { S3ObjectStore } from './buckets/s3.js';
export { createS3Client } from './s3/client.js';

export interface BlobStores {
  chunks: ChunkStore;
  objects: ObjectStore;
  close(): Promise<void>;
}

/**
 * @example
 *   const { chunks, objects } = openBlobStores(loadConfig());
 */
export function openBlobStores(config: Config): BlobStores {
  if (config.chunkStore === 's3') {
    const client = createS3Client(config.s3!);
    return {
      chunks: new S3ChunkStore(client, config.s3!),
      objects: new S3ObjectStore(client, config.s3!),
      close: async () => client.destroy(),
    };
  }
  return {
    chunks: new FsChunkStore(path.join(config.dataDir, 'chunks'), { directIo: config.directIo }),
    objects: new FsObjectStore(path.join(config.dataDir, 'buckets')),
    close: async () => undefined,
  };
}
