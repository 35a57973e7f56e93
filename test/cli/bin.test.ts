/**
 * Black-box: the built `bin/ecsimg` as users run it — one process serving, another calling an
 * action and explaining an error. Builds dist/ first when any source file is newer than it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, '../..');
const BIN = path.join(ROOT, 'bin', 'ecsimg');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts')) continue;
    newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

async function ensureBuilt(): Promise<void> {
  const main = path.join(ROOT, 'dist', 'cli', 'main.js');
  const built = fs.existsSync(main) ? fs.statSync(main).mtimeMs : 0;
  if (built >= newestMtime(path.join(ROOT, 'src'))) return;
  // tsc emits even when another area's work in progress has type errors; what matters here is
  // that the CLI's files are emitted, which the check below makes sure of.
  await run('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: ROOT }).catch(() => undefined);
  if (!fs.existsSync(path.join(ROOT, 'dist', 'cli', 'client', 'action-command.js'))) {
    throw new Error('npm run build did not produce dist/cli/client/action-command.js');
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

let server: ChildProcess;
let dataDir: string;
let endpoint: string;

beforeAll(async () => {
  await ensureBuilt();
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ecsimg-bin-'));
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  server = spawn(BIN, ['serve', '--port', String(port), '--data-dir', dataDir], {
    env: { ...process.env, ECSIMG_EMBEDDED_WORKER: 'false', ECSIMG_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });

  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${endpoint}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('bin/ecsimg serve did not start within 30 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}, 180_000);

afterAll(async () => {
  if (server && server.exitCode === null) {
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGTERM');
    await exited;
  }
  if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('bin/ecsimg as a separate process', () => {
  it('calls DescribeRegions with the administrator credentials of the data directory', async () => {
    const { stdout } = await run(BIN, ['DescribeRegions', '--data-dir', dataDir], {
      env: { ...process.env, ECSIMG_ENDPOINT: endpoint },
    });
    expect(JSON.parse(stdout).Regions.Region).toHaveLength(7);
  });

  it('exits non-zero with the code and the fix when the server refuses', async () => {
    const failure = await run(
      BIN,
      ['DescribeRegions', '--data-dir', dataDir, '--endpoint', endpoint, '--ResourceType', 'x'],
      { env: process.env },
    ).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.code).toBe(3);
    expect(failure?.stderr).toContain('InvalidParameter (HTTP 400)');
    expect(failure?.stderr).toContain('fix: ');
  });

  it('explains a code and exits 1 for an unknown one', async () => {
    const { stdout } = await run(BIN, ['explain', 'signaturenonceused', '--lang', 'en']);
    expect(stdout.startsWith('SignatureNonceUsed\n')).toBe(true);
    const unknown = await run(BIN, ['explain', 'NoSuchCode']).catch((e) => e);
    expect(unknown.code).toBe(1);
  });
});
