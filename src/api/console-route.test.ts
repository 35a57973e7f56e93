import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleRoute, resolveInside } from './console-route.js';

describe('console route', () => {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'ecsimg-console-route-'));
  const root = path.join(base, 'dist');
  const app = Fastify();

  beforeAll(async () => {
    fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
    fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>app</title>');
    fs.writeFileSync(path.join(root, 'assets', 'app-1234.js'), 'console.info(1)');
    fs.writeFileSync(path.join(base, 'secret.txt'), 'outside');
    fs.symlinkSync(path.join(base, 'secret.txt'), path.join(root, 'link.txt'));
    consoleRoute({ root })(app);
    await app.ready();
  });

  afterAll(async () => {
    await app.close();
    fs.rmSync(base, { recursive: true, force: true });
  });

  it('serves index.html uncached and hashed assets cached for a year', async () => {
    const index = await app.inject('/console/');
    expect(index.statusCode).toBe(200);
    expect(index.headers['content-type']).toContain('text/html');
    expect(index.headers['cache-control']).toBe('no-cache');

    const asset = await app.inject('/console/assets/app-1234.js');
    expect(asset.body).toBe('console.info(1)');
    expect(asset.headers['content-type']).toContain('text/javascript');
    expect(asset.headers['cache-control']).toContain('immutable');
  });

  it('answers the app for client routes and 404 for a missing file', async () => {
    expect((await app.inject('/console/images/m-123')).body).toContain('<title>app</title>');
    expect((await app.inject('/console/assets/gone-999.js')).statusCode).toBe(404);
    expect((await app.inject('/console')).headers.location).toBe('/console/');
  });

  it('never serves a file outside its folder', async () => {
    for (const url of [
      '/console/..%2fsecret.txt',
      '/console/%2e%2e/secret.txt',
      '/console/assets/..%2f..%2fsecret.txt',
      '/console/link.txt',
      '/console/..%5csecret.txt',
    ]) {
      const res = await app.inject(url);
      expect(res.body, url).not.toContain('outside');
    }
    expect(resolveInside(root, '../secret.txt')).toBe(path.join(root, 'secret.txt'));
    expect(resolveInside(root, '%00')).toBeUndefined();
  });

  it('says how to build the console when it was not built', async () => {
    const bare = Fastify();
    consoleRoute({ root: path.join(base, 'missing') })(bare);
    const res = await bare.inject('/console/');
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain('npm run build');
    await bare.close();
  });
});
