/**
 * Starts the real server in-process on a free port, on the chosen metadata backend, and hands out
 * clients the way users build them: the official ECS SDK (ACS3 or v2 signatures), pop-core, and
 * plain HTTP with a Bearer API key.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type * as EcsModule from '@alicloud/ecs20140526';
import type RPCClientType from '@alicloud/pop-core';
import { loadConfig } from '../../src/config/index.js';
import type { IssuedCredentials } from '../../src/domain/accounts/service.js';
import { silentLogger } from '../../src/log/index.js';
import { startServer, type RunningServer } from '../../src/start/serve.js';
import { createTestDatabase, type Backend, type TestDatabase } from './databases.js';

export interface TestServer {
  server: RunningServer;
  database: TestDatabase;
  url: string;
  /** host:port, as the ECS SDK's endpoint option wants it. */
  endpoint: string;
  admin: IssuedCredentials;
  close(): Promise<void>;
}

export async function startTestServer(
  backend: Backend = 'sqlite',
  env: Record<string, string> = {},
): Promise<TestServer> {
  const database = await createTestDatabase(backend);
  const config = loadConfig(
    {
      ECSIMG_DATABASE_URL: database.url,
      ECSIMG_EMBEDDED_WORKER: 'false',
      ...env,
    },
    { port: 0, dataDir: database.dataDir, host: '127.0.0.1' },
  );
  const server = await startServer(config, { log: silentLogger(), schema: database.schema });
  const admin = JSON.parse(
    fs.readFileSync(path.join(database.dataDir, 'credentials.json'), 'utf8'),
  ) as IssuedCredentials;

  return {
    server,
    database,
    url: server.url,
    endpoint: server.url.replace(/^http:\/\//, ''),
    admin,
    close: async () => {
      await server.close();
      await database.drop();
    },
  };
}

// The SDKs are CommonJS packages; load them the way their users' code does.
const require = createRequire(import.meta.url);
export const Ecs = require('@alicloud/ecs20140526') as typeof EcsModule;
const { $OpenApiUtil } = require('@alicloud/openapi-core');
const RPCClient = require('@alicloud/pop-core') as typeof RPCClientType;

// Under NodeNext, TypeScript sees the CommonJS `exports.default` one level down.
type EcsClient = InstanceType<typeof EcsModule.default.default>;

/** The official v7 client; `signatureAlgorithm: 'v2'` switches it to HMAC-SHA1 signature v1. */
export function ecsClient(
  t: TestServer,
  creds: { accessKeyId: string; accessKeySecret: string } = t.admin,
  signatureAlgorithm?: 'v2',
): EcsClient {
  const config = new $OpenApiUtil.Config({
    accessKeyId: creds.accessKeyId,
    accessKeySecret: creds.accessKeySecret,
    endpoint: t.endpoint,
    protocol: 'http',
    regionId: 'cn-hangzhou',
    ...(signatureAlgorithm ? { signatureAlgorithm } : {}),
  });
  const Client = Ecs.default as unknown as new (config: unknown) => EcsClient;
  return new Client(config);
}

export function popClient(
  t: TestServer,
  creds: { accessKeyId: string; accessKeySecret: string } = t.admin,
): RPCClientType {
  return new RPCClient({
    accessKeyId: creds.accessKeyId,
    accessKeySecret: creds.accessKeySecret,
    endpoint: t.url,
    apiVersion: '2014-05-26',
  });
}

/** Calls an action with `Authorization: Bearer`, parameters in the query; returns status and body. */
export async function bearerCall(
  t: TestServer,
  action: string,
  params: Record<string, string> = {},
  apiKey = t.admin.apiKey,
): Promise<{ status: number; body: Record<string, any> }> {
  const query = new URLSearchParams({ Action: action, Version: '2014-05-26', ...params });
  const res = await fetch(`${t.url}/?${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}` },
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}
