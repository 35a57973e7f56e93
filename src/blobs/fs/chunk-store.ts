/**
 * Chunks as files: `<root>/ab/cd/<address>` (two levels of fan-out keep folders small: 65 536
 * leaf folders hold 16 TiB of 4 MiB chunks at about 64 files each).
 *
 * A chunk is written to `<root>/.tmp/<random>`, flushed, then renamed into place, so a reader never
 * sees half a chunk and a crash leaves only a temporary file, which `cleanupTemporary` removes.
 */
import crypto from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import {
  ChunkNotFoundError,
  chunkAddress,
  checkAddress,
  type ChunkInfo,
  type ChunkStore,
  type PutChunkResult,
} from '../chunk-store.js';

export interface FsChunkStoreOptions {
  /** fsync each chunk before it becomes visible (default true): a power loss cannot leave a
   *  renamed but empty chunk behind. */
  durable?: boolean;
  /**
   * Write whole-page chunks with O_DIRECT when the file system takes it (default true); see
   * `writeDirect`. Off, every chunk goes through the page cache.
   */
  directIo?: boolean;
}

/** O_DIRECT wants lengths (and memory) aligned to the device's blocks; a page is always enough. */
const DIRECT_ALIGN_BYTES = 4096;
const { O_CREAT, O_DIRECT, O_EXCL, O_RDONLY, O_WRONLY } = fsConstants;

const TMP_DIR = '.tmp';
const TRASH_DIR = '.trash';

export class FsChunkStore implements ChunkStore {
  readonly kind = 'fs' as const;
  private readonly durable: boolean;
  private readonly tmp: string;
  /** Cleared when the file system refuses O_DIRECT itself (tmpfs on older kernels, some FUSE). */
  private directIo: boolean;
  /** Chunks written with O_DIRECT and through the page cache (diagnostics and tests). */
  readonly writes = { direct: 0, buffered: 0 };

  constructor(
    readonly root: string,
    options: FsChunkStoreOptions = {},
  ) {
    this.durable = options.durable ?? true;
    this.directIo = (options.directIo ?? true) && O_DIRECT !== undefined;
    this.tmp = path.join(root, TMP_DIR);
  }

  /** Folders holding chunks renamed or reused since the last `sync`. */
  private readonly unsynced = new Set<string>();

  /** Folders known to exist: a mkdir per chunk was a measurable part of an import. */
  private readonly madeDirs = new Set<string>();

  private async ensureDir(dir: string): Promise<void> {
    if (this.madeDirs.has(dir)) return;
    await fs.mkdir(dir, { recursive: true });
    // Bounded: 65 536 fan-out folders at most, plus the temporary folder.
    this.madeDirs.add(dir);
    // A fan-out folder made now is an entry of its parent, which is one of the root's: the next
    // sync flushes those too, or a power loss could drop the folder with the chunks in it.
    if (this.durable && dir !== this.tmp) {
      const first = path.dirname(dir); // <root>/ab of <root>/ab/cd
      this.unsynced.add(first);
      this.unsynced.add(path.dirname(first));
    }
  }

  pathOf(address: string): string {
    checkAddress(address);
    return path.join(this.root, address.slice(0, 2), address.slice(2, 4), address);
  }

  async put(data: Buffer, options: { address?: string } = {}): Promise<PutChunkResult> {
    const address = options.address ?? chunkAddress(data);
    const final = this.pathOf(address);

    // Identical content is stored once; touching it restarts its grace period (see gc.ts). Its
    // folder is flushed by the next sync too: the writer that renamed it may not have got there.
    if (await touch(final)) {
      this.unsynced.add(path.dirname(final));
      return { address, written: false };
    }

    try {
      return await this.putNew(address, final, data);
    } catch (err) {
      // A folder we remembered was removed behind our back: forget them all and try once more.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      this.madeDirs.clear();
      return this.putNew(address, final, data);
    }
  }

  private async putNew(address: string, final: string, data: Buffer): Promise<PutChunkResult> {
    await this.ensureDir(this.tmp);
    const temp = path.join(this.tmp, `${address}.${crypto.randomBytes(6).toString('hex')}`);
    try {
      if (!(await this.writeDirect(temp, data))) await this.writeBuffered(temp, data);
      await this.ensureDir(path.dirname(final));
      // Two writers of the same chunk both rename; the second replaces identical bytes atomically.
      await fs.rename(temp, final);
      if (this.durable) this.unsynced.add(path.dirname(final));
    } catch (err) {
      await fs.rm(temp, { force: true });
      throw err;
    }
    return { address, written: true };
  }

  /**
   * Writes the chunk with O_DIRECT: from the caller's memory straight to the device, without
   * copying it into the page cache and writing it back later. An import writes every chunk once
   * and flushes it at once, so the cache copy bought nothing and cost most of the import's system
   * time: 1 GiB of 4 MiB chunks written and flushed took 1.1–1.4 s of CPU buffered against
   * 0.13–0.16 s direct, and 0.93–1.08 s against 0.44–0.67 s of wall time (bench/README.md).
   *
   * Returns false, having left no file behind, when the chunk cannot go that way: a length that
   * is not whole pages (the last block of an odd-sized disk), memory that is not page-aligned
   * (EINVAL at the write: blocks from `sharedBlock` are aligned, other callers' buffers may not
   * be), or a file system without O_DIRECT (EINVAL at the open: direct writes stop for good).
   */
  private async writeDirect(temp: string, data: Buffer): Promise<boolean> {
    if (!this.directIo || data.length === 0 || data.length % DIRECT_ALIGN_BYTES !== 0) {
      return false;
    }
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(temp, O_WRONLY | O_CREAT | O_EXCL | O_DIRECT!, 0o644);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
      this.directIo = false;
      await fs.rm(temp, { force: true });
      return false;
    }
    try {
      await writeAll(handle, data);
      // Still needed: the file's size and extents are metadata, and the device may cache.
      if (this.durable) await handle.datasync();
    } catch (err) {
      await handle.close();
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
      await fs.rm(temp, { force: true });
      return false;
    }
    await handle.close();
    this.writes.direct++;
    return true;
  }

  private async writeBuffered(temp: string, data: Buffer): Promise<void> {
    const handle = await fs.open(temp, 'wx');
    try {
      await writeAll(handle, data);
      if (this.durable) await handle.datasync();
    } finally {
      await handle.close();
    }
    this.writes.buffered++;
  }

  /**
   * Flushes the folders chunks were renamed into (or reused from) since the last sync: the
   * chunk's bytes were flushed before its rename, but until its folder is, a power loss can undo
   * the rename itself. The first flush commits the file system's journal; the others then find
   * little left to write.
   */
  /** The folders the next `sync` flushes (diagnostics and tests). */
  get awaitingSync(): string[] {
    return [...this.unsynced].sort();
  }

  async sync(): Promise<void> {
    if (!this.durable || this.unsynced.size === 0) return;
    const dirs = [...this.unsynced];
    this.unsynced.clear();
    let next = 0;
    const flushOne = async () => {
      while (next < dirs.length) {
        const dir = dirs[next++];
        let handle: fs.FileHandle;
        try {
          handle = await fs.open(dir, 'r');
        } catch (err) {
          // Removed since (the collector emptied it): nothing of ours is left there.
          if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue;
          throw err;
        }
        try {
          await handle.sync();
        } finally {
          await handle.close();
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(4, dirs.length) }, flushOne));
  }

  async get(address: string, options: { into?: Buffer } = {}): Promise<Buffer> {
    const file = this.pathOf(address);
    if (options.into && this.directIo) {
      const direct = await this.readDirect(file, options.into).catch((err) => {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ChunkNotFoundError(address);
        throw err;
      });
      if (direct) return direct;
    }

    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, 'r');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new ChunkNotFoundError(address);
      throw err;
    }
    try {
      // One read of the whole chunk: `readFile` reads in 512 KiB pieces, each a thread-pool
      // round trip, which made chunk reads the largest cost of an export (bench/README.md).
      const { size } = await handle.stat();
      const into = options.into;
      const data =
        into && into.length >= size ? into.subarray(0, size) : Buffer.allocUnsafeSlow(size);
      return data.subarray(0, await readAll(handle, data, size));
    } finally {
      await handle.close();
    }
  }

  /**
   * Reads a chunk with O_DIRECT into `into` (a bulk reader's page-aligned buffer): chunks are
   * written past the page cache (`writeDirect`), so a read through it would copy every byte into
   * the cache first, for a chunk an export reads once. Undefined when the chunk cannot be read
   * that way (memory not aligned, a file system without O_DIRECT, a buffer too small).
   */
  private async readDirect(file: string, into: Buffer): Promise<Buffer | undefined> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, O_RDONLY | O_DIRECT!);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err;
      this.directIo = false;
      return undefined;
    }
    try {
      const { size } = await handle.stat();
      // Whole sectors are read; the kernel stops at the end of the file.
      const wanted = Math.ceil(size / DIRECT_ALIGN_BYTES) * DIRECT_ALIGN_BYTES;
      if (into.length < wanted) return undefined;
      const got = await readAll(handle, into.subarray(0, wanted), size);
      return into.subarray(0, Math.min(got, size));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EINVAL') return undefined;
      throw err;
    } finally {
      await handle.close();
    }
  }

  async has(address: string): Promise<boolean> {
    try {
      await fs.access(this.pathOf(address));
      return true;
    } catch {
      return false;
    }
  }

  async delete(address: string): Promise<boolean> {
    try {
      await fs.unlink(this.pathOf(address));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async *list(): AsyncIterable<ChunkInfo> {
    for (const a of await readdirOrEmpty(this.root)) {
      if (a.length !== 2) continue;
      for (const b of await readdirOrEmpty(path.join(this.root, a))) {
        const dir = path.join(this.root, a, b);
        for (const name of await readdirOrEmpty(dir)) {
          try {
            const st = await fs.stat(path.join(dir, name));
            yield { address: name, size: st.size, modifiedMs: st.mtimeMs };
          } catch (err) {
            // Deleted between readdir and stat (another collector): nothing to report.
            if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          }
        }
      }
    }
  }

  async quarantine(address: string): Promise<boolean> {
    await fs.mkdir(path.join(this.root, TRASH_DIR), { recursive: true });
    try {
      await fs.rename(this.pathOf(address), this.trashOf(address));
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
  }

  async restore(address: string): Promise<void> {
    const final = this.pathOf(address);
    await fs.mkdir(path.dirname(final), { recursive: true });
    // A writer may have stored the chunk again meanwhile: renaming over it replaces equal bytes.
    await fs.rename(this.trashOf(address), final);
  }

  async purge(address: string): Promise<void> {
    await fs.rm(this.trashOf(address), { force: true });
  }

  async *listQuarantined(): AsyncIterable<string> {
    yield* await readdirOrEmpty(path.join(this.root, TRASH_DIR));
  }

  private trashOf(address: string): string {
    return path.join(this.root, TRASH_DIR, checkAddress(address));
  }

  /** Removes temporary files a crashed writer left behind; returns how many. */
  async cleanupTemporary(olderThanMs: number, now = Date.now()): Promise<number> {
    let removed = 0;
    for (const name of await readdirOrEmpty(this.tmp)) {
      const file = path.join(this.tmp, name);
      const st = await fs.stat(file).catch(() => undefined);
      if (st && now - st.mtimeMs >= olderThanMs) {
        await fs.rm(file, { force: true });
        removed++;
      }
    }
    return removed;
  }

  async close(): Promise<void> {}
}

/**
 * Reads from the start of the file into `data` until `size` bytes arrived or the file ended;
 * returns the bytes read.
 */
async function readAll(handle: fs.FileHandle, data: Buffer, size: number): Promise<number> {
  let got = 0;
  while (got < size) {
    const { bytesRead } = await handle.read(data, got, data.length - got, got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

/** Positioned writes of the whole chunk (`writeFile` would write it in 512 KiB pieces). */
async function writeAll(handle: fs.FileHandle, data: Buffer): Promise<void> {
  for (let done = 0; done < data.length;) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, done);
    done += bytesWritten;
  }
}

async function touch(file: string): Promise<boolean> {
  const now = new Date();
  try {
    await fs.utimes(file, now, now);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

async function readdirOrEmpty(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
