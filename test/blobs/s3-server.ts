/**
 * A real S3-protocol server for tests: s3rver (in-process, on a random loopback port, files in a
 * temporary folder). The S3 backends are tested against it, not against mocks.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
// s3rver ships no types; its constructor and run/close are all we use.
// @ts-expect-error no declaration file
import S3rver from 's3rver';
import type { S3Config } from '../../src/config/index.js';

export interface TestS3 {
  config: S3Config;
  /** The ECSIMG_S3_* variables pointing a server at this store. */
  env: Record<string, string>;
  close(): Promise<void>;
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
    close: async () => {
      await server.close();
      fs.rmSync(directory, { recursive: true, force: true });
    },
  };
}
