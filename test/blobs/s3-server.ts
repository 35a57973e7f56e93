/**
 * A real S3-protocol server for tests: s3rver (in-process, on a random loopback port, files in a
 * temporary folder). The S3 backends are tested against it, not against mocks. It records every
 * request it receives, and a test can hold chosen requests to stop a client at a known point.
 *
 * Known gaps of s3rver 3.7: it keeps LastModified on a self-copy, and it implements neither
 * AbortMultipartUpload (answered 405) nor ListMultipartUploads, so a test sees that an abort was
 * sent, not that the store dropped the parts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
// s3rver ships no types; its constructor and run/close are all we use.
// @ts-expect-error no declaration file
import S3rver from 's3rver';
import type { S3Config } from '../../src/config/index.js';

/** The part of Koa's context the recorder reads (s3rver is a Koa application). */
interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string>;
}

/** A request as s3rver received it: the S3 operation is in the method and the query. */
export interface S3Request {
  method: string;
  /** `/<bucket>/<key>`, decoded. */
  path: string;
  query: Record<string, string>;
}

export interface TestS3 {
  config: S3Config;
  /** The ECSIMG_S3_* variables pointing a server at this store. */
  env: Record<string, string>;
  /** Every request received so far, in arrival order. */
  requests: S3Request[];
  /**
   * Holds the requests `matches` picks before s3rver sees them, until `release()`; `held`
   * resolves when the first one arrives. One hold at a time.
   */
  hold(matches: (r: S3Request) => boolean): { held: Promise<void>; release(): void };
  close(): Promise<void>;
}

interface Hold {
  matches: (r: S3Request) => boolean;
  arrived: () => void;
  released: Promise<void>;
  release: () => void;
}

export async function startS3(bucket = 'ecsimg-test'): Promise<TestS3> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ecsimg-s3rver-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  const requests: S3Request[] = [];
  let current: Hold | undefined;
  // First in the chain (s3rver composes its middleware when it starts listening).
  server.middleware.unshift(async (ctx: KoaContext, next: () => Promise<void>) => {
    const request = { method: ctx.method, path: decodeURIComponent(ctx.path), query: ctx.query };
    requests.push(request);
    const hold = current;
    if (hold?.matches(request)) {
      hold.arrived();
      await hold.released;
    }
    await next();
  });
  const address = (await server.run()) as AddressInfo;
  const endpoint = `http://127.0.0.1:${address.port}`;
  // s3rver accepts this fixed pair (its documented defaults).
  const config: S3Config = {
    endpoint,
    region: 'us-east-1',
    bucket,
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    prefix: 'test/',
    forcePathStyle: true,
  };
  return {
    config,
    env: {
      ECSIMG_CHUNK_STORE: 's3',
      ECSIMG_S3_ENDPOINT: endpoint,
      ECSIMG_S3_BUCKET: bucket,
      ECSIMG_S3_ACCESS_KEY_ID: 'S3RVER',
      ECSIMG_S3_SECRET_ACCESS_KEY: 'S3RVER',
      ECSIMG_S3_PREFIX: 'test/',
    },
    requests,
    hold: (matches) => {
      let arrived!: () => void;
      let release!: () => void;
      const held = new Promise<void>((resolve) => (arrived = resolve));
      const released = new Promise<void>((resolve) => (release = resolve));
      current = { matches, arrived, released, release };
      return {
        held,
        release: () => {
          current = undefined;
          release();
        },
      };
    },
    close: async () => {
      current?.release();
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
