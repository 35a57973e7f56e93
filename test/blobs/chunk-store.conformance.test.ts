/**
 * One suite, every chunk-store backend: the filesystem folder and S3 (against s3rver, a real
 * S3-protocol server started here on a random loopback port).
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ChunkNotFoundError,
  FsChunkStore,
  S3ChunkStore,
  createS3Client,
  type ChunkStore,
} from '../../src/blobs/index.js';
import { startS3, type TestS3 } from './s3-server.js';

interface Backend {
  name: string;
  open(): Promise<{ store: ChunkStore; close(): Promise<void> }>;
}

let s3: TestS3;
beforeAll(async () => {
  s3 = await startS3();
});
afterAll(async () => {
  await s3?.close();
});

const BACKENDS: Backend[] = [
  {
    name: 'fs',
    open: async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecsimg-chunks-'));
      return {
        store: new FsChunkStore(dir),
        close: async () => fs.rmSync(dir, { recursive: true, force: true }),
      };
    },
  },
  {
    name: 's3',
    open: async () => {
      // A fresh prefix per test keeps the tests independent on one s3rver bucket.
      const prefix = `t${crypto.randomBytes(4).toString('hex')}/`;
      const client = createS3Client(s3.config);
      return {
        store: new S3ChunkStore(client, { ...s3.config, prefix }),
        close: async () => client.destroy(),
      };
    },
  },
];

async function listAll(store: ChunkStore) {
  const out = [];
  for await (const c of store.list()) out.push(c);
  return out;
}

const sha256 = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

describe.each(BACKENDS)('chunk store: $name', (backend) => {
  const withStore = (fn: (store: ChunkStore) => Promise<void>) => async () => {
    const { store, close } = await backend.open();
    try {
      await fn(store);
    } finally {
      await close();
    }
  };

  it(
    'addresses a chunk by the SHA-256 of its bytes and returns the same bytes',
    withStore(async (store) => {
      const data = crypto.randomBytes(4 * 1024 * 1024);
      const { address, written } = await store.put(data);
      expect(address).toBe(sha256(data));
      expect(written).toBe(true);
      expect(await store.has(address)).toBe(true);
      expect((await store.get(address)).equals(data)).toBe(true);
    }),
  );

  it(
    'stores identical chunks once, even when written concurrently',
    withStore(async (store) => {
      const data = crypto.randomBytes(100_000);
      const results = await Promise.all([store.put(data), store.put(data), store.put(data)]);
      expect(new Set(results.map((r) => r.address)).size).toBe(1);
      expect(await store.put(data)).toEqual({ address: sha256(data), written: false });
      const listed = await listAll(store);
      expect(listed.map((c) => c.address)).toEqual([sha256(data)]);
      expect(listed[0].size).toBe(100_000);
    }),
  );

  it(
    'lists every chunk with its size and age',
    withStore(async (store) => {
      const before = Date.now();
      const chunks = Array.from({ length: 12 }, (_, i) => crypto.randomBytes(1000 + i));
      for (const c of chunks) await store.put(c);
      const listed = await listAll(store);
      expect(listed.map((c) => c.address).sort()).toEqual(chunks.map(sha256).sort());
      for (const c of listed) {
        // S3 reports whole seconds.
        expect(c.modifiedMs).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
        expect(c.modifiedMs).toBeLessThanOrEqual(Date.now() + 1000);
      }
    }),
  );

  // On S3 a touch is a self-copy; s3rver keeps LastModified on it (AWS S3 and MinIO renew it),
  // so this also proves the store's fallback of putting the bytes again. The collector's safety
  // does not rest on touches alone: quarantine and re-mark protect reused chunks (see gc.ts).
  it(
    'touches a chunk that is stored again, restarting its grace period',
    withStore(async (store) => {
      const data = crypto.randomBytes(10_000);
      await store.put(data);
      const [first] = await listAll(store);
      await new Promise((r) => setTimeout(r, 1100));
      await store.put(data);
      const [second] = await listAll(store);
      expect(second.modifiedMs).toBeGreaterThan(first.modifiedMs);
    }),
  );

  it(
    'deletes a chunk once and reports a missing one as such',
    withStore(async (store) => {
      const { address } = await store.put(crypto.randomBytes(5000));
      expect(await store.delete(address)).toBe(true);
      expect(await store.delete(address)).toBe(false);
      expect(await store.has(address)).toBe(false);
      await expect(store.get(address)).rejects.toBeInstanceOf(ChunkNotFoundError);
      expect(await listAll(store)).toEqual([]);
    }),
  );

  it(
    'quarantines a chunk out of sight, then restores or purges it',
    withStore(async (store) => {
      const a = (await store.put(crypto.randomBytes(3000))).address;
      const b = (await store.put(crypto.randomBytes(3000))).address;
      expect(await store.quarantine(a)).toBe(true);
      expect(await store.quarantine(b)).toBe(true);
      expect(await store.quarantine(sha256(Buffer.from('absent')))).toBe(false);
      expect(await store.has(a)).toBe(false);
      expect(await listAll(store)).toEqual([]);

      const quarantined = [];
      for await (const q of store.listQuarantined()) quarantined.push(q);
      expect(quarantined.sort()).toEqual([a, b].sort());

      await store.restore(a);
      await store.purge(b);
      expect(await store.has(a)).toBe(true);
      expect(await store.has(b)).toBe(false);
      const left = [];
      for await (const q of store.listQuarantined()) left.push(q);
      expect(left).toEqual([]);
    }),
  );

  it(
    'refuses addresses that could escape the store',
    withStore(async (store) => {
      await expect(store.get('../../etc/passwd')).rejects.toThrow(/invalid chunk address/);
      await expect(store.put(Buffer.from('x'), { address: 'a/b' })).rejects.toThrow(
        /invalid chunk address/,
      );
    }),
  );
});

describe('chunk store: fs specifics', () => {
  it('never shows a half-written chunk and cleans up what a crashed writer left', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecsimg-chunks-'));
    try {
      const store = new FsChunkStore(dir);
      const data = crypto.randomBytes(50_000);
      // What a writer killed mid-write leaves: a partial temporary file.
      fs.mkdirSync(path.join(dir, '.tmp'), { recursive: true });
      const temp = path.join(dir, '.tmp', `${sha256(data)}.dead`);
      fs.writeFileSync(temp, data.subarray(0, 1000));

      expect(await store.has(sha256(data))).toBe(false);
      expect(await listAll(store)).toEqual([]);
      expect(await store.cleanupTemporary(60_000, Date.now() + 120_000)).toBe(1);
      expect(fs.existsSync(temp)).toBe(false);

      await store.put(data);
      expect(fs.existsSync(store.pathOf(sha256(data)))).toBe(true);
      expect(store.pathOf(sha256(data))).toContain(
        path.join(sha256(data).slice(0, 2), sha256(data).slice(2, 4)),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('flushes the folders chunks were renamed into and the ones it made', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecsimg-chunks-'));
    try {
      const store = new FsChunkStore(dir);
      const data = crypto.randomBytes(10_000);
      const leaf = path.dirname(store.pathOf(sha256(data)));
      await store.put(data);
      // The leaf folder holds the rename; it and its parent are new entries of their parents.
      expect(store.awaitingSync).toEqual([dir, path.dirname(leaf), leaf].sort());
      await store.sync();
      expect(store.awaitingSync).toEqual([]);

      // Reusing a stored chunk flushes its folder again: its first writer may have died before
      // its own sync.
      await store.put(data);
      expect(store.awaitingSync).toEqual([leaf]);
      // A folder removed meanwhile (the collector emptied it) is nothing to flush, not an error.
      fs.rmSync(path.dirname(leaf), { recursive: true });
      await expect(store.sync()).resolves.toBeUndefined();

      // Without durability nothing waits.
      const fast = new FsChunkStore(dir, { durable: false });
      await fast.put(crypto.randomBytes(1000));
      expect(fast.awaitingSync).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('chunk store: s3 specifics', () => {
  /** A store on a fresh prefix whose client records the command of every request it sends. */
  function openSpied() {
    const client = createS3Client(s3.config);
    const sent: string[] = [];
    const send = client.send.bind(client);
    let beforeCopy: (() => Promise<void>) | undefined;
    client.send = (async (command: { constructor: { name: string } }) => {
      const name = command.constructor.name;
      sent.push(name);
      if (name === 'CopyObjectCommand' && beforeCopy) await beforeCopy();
      return send(command as Parameters<typeof send>[0]);
    }) as typeof client.send;
    const prefix = `t${crypto.randomBytes(4).toString('hex')}/`;
    const store = new S3ChunkStore(client, { ...s3.config, prefix });
    return {
      store,
      sent,
      onCopy: (fn: () => Promise<void>) => (beforeCopy = fn),
      close: async () => client.destroy(),
    };
  }

  it('reuses a chunk within its first second with a copy alone, not a second upload', async () => {
    const { store, sent, close } = openSpied();
    try {
      const data = crypto.randomBytes(10_000);
      await store.put(data);
      // Retry until a put falls wholly in the second of the chunk's stamp (almost always the
      // first); a put a second later rightly uploads again on s3rver.
      const second = (ms: number) => Math.floor(ms / 1000);
      for (let i = 0; i < 5; i++) {
        const [before] = await listAll(store);
        sent.length = 0;
        const started = Date.now();
        expect(await store.put(data)).toEqual({ address: sha256(data), written: false });
        const ended = Date.now();
        const commands = [...sent];
        const stamp = second(before.modifiedMs);
        if (second(started) !== stamp || second(ended) !== stamp) continue;
        expect(commands).toEqual(['HeadObjectCommand', 'CopyObjectCommand']);
        return;
      }
      throw new Error('no put fell in the second of its chunk');
    } finally {
      await close();
    }
  });

  it('puts a chunk again when it vanishes between the check and the touch', async () => {
    const { store, sent, onCopy, close } = openSpied();
    try {
      const data = crypto.randomBytes(10_000);
      const { address } = await store.put(data);
      // A collection deletes the chunk just before the writer's self-copy reaches the store.
      onCopy(async () => {
        onCopy(async () => undefined);
        await store.delete(address);
      });
      sent.length = 0;
      expect(await store.put(data)).toEqual({ address, written: false });
      expect(sent).toContain('PutObjectCommand');
      expect((await store.get(address)).equals(data)).toBe(true);
    } finally {
      await close();
    }
  });
});
