/**
 * What both halves of the folder backend use: `fs.ts` (objects) and `fs-multipart.ts`
 * (resumable multipart uploads) — an object's facts read from its file, the test for a file that
 * is not there, and the durable rename of a finished file into its bucket.
 */
import crypto from 'node:crypto';
import type fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { ObjectInfo } from './object-store.js';

function etagOf(st: fs.Stats): string {
  const tag = crypto
    .createHash('sha1')
    .update(`${st.ino}:${st.size}:${st.mtimeMs}`)
    .digest('hex')
    .slice(0, 32);
  return `"${tag}"`;
}

export function infoOf(key: string, st: fs.Stats): ObjectInfo {
  return { key, size: st.size, lastModifiedMs: Math.floor(st.mtimeMs), etag: etagOf(st) };
}

export function isMissing(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Gives the finished `file` (its bytes flushed) its name `final` in the bucket folder
 * `bucketDir`, durably. The bucket may have been deleted meanwhile: then the object has nowhere
 * to go, and the rename is refused (ENOENT).
 */
export async function renameIntoBucket(
  file: string,
  final: string,
  bucketDir: string,
): Promise<void> {
  await fsp.access(bucketDir);
  await fsp.mkdir(path.dirname(final), { recursive: true });
  await fsp.rename(file, final);
  await syncFolders(path.dirname(final), bucketDir);
}

/**
 * Flushes `dir` and each folder above it up to `top` (the bucket's): the object's bytes were
 * flushed before its rename, but the rename, and folders `mkdir` made for a key's slashes, are
 * only durable once the folders holding them are. A folder an earlier object left durable costs
 * little to flush again.
 */
async function syncFolders(dir: string, top: string): Promise<void> {
  for (let at = dir; ; at = path.dirname(at)) {
    const handle = await fsp.open(at, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (at === top || path.dirname(at) === at || !at.startsWith(top)) return;
  }
}
