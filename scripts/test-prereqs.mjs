#!/usr/bin/env node
// Makes sure the system tools the tests use are present before the test runner starts.
// As root it installs what is missing with apt-get; otherwise it stops at once, naming the package.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const NEEDED = [
  { package: 'qemu-utils', present: () => which('qemu-img') },
  { package: 'chromium', present: () => existsSync('/usr/bin/chromium') },
];

function which(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

const missing = NEEDED.filter((n) => !n.present()).map((n) => n.package);
if (missing.length === 0) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot || !which('apt-get')) {
  console.error(
    `missing system package(s): ${missing.join(' ')} ` +
      `(install them, e.g. apt-get install -y ${missing.join(' ')})`,
  );
  process.exit(1);
}

console.log(`installing system package(s): ${missing.join(' ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', ...missing], { stdio: 'inherit', env });
