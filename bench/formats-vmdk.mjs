#!/usr/bin/env node
// Benchmark (not a test): qcow2 → VMDK streamOptimized, ours against qemu-img, on the same file
// in one run. The image is FORMATS.md §3's shape: 4 GiB virtual, 1 GiB of random data in 1 MiB
// slots plus 128 MiB of allocated zeros.
//
//   node --import tsx bench/formats-vmdk.mjs [workdir]        (default /tmp/ecsimg-bench-vmdk)
//
// Each convert runs in its own process under /usr/bin/time -v for wall time and peak RSS.
// Internally: `--convert IN OUT` runs our converter alone (that is what gets timed).
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  rmSync,
  writeSync,
  ftruncateSync,
} from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

if (process.argv[2] === '--convert') {
  await convert(process.argv[3], process.argv[4]);
  process.exit(0);
}

const dir = process.argv[2] ?? '/tmp/ecsimg-bench-vmdk';
mkdirSync(dir, { recursive: true });
const raw = join(dir, 'src.raw');
const qcow2 = join(dir, 'src.qcow2');
if (!existsSync(qcow2)) {
  makeSource(raw);
  run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
  rmSync(raw);
}

const qemuOut = join(dir, 'qemu.vmdk');
const oursOut = join(dir, 'ours.vmdk');
const self = fileURLToPath(import.meta.url);
const results = [
  timed(
    'qemu-img',
    'qemu-img',
    ['convert', '-f', 'qcow2', '-O', 'vmdk', '-o', 'subformat=streamOptimized', qcow2, qemuOut],
    qemuOut,
  ),
  timed(
    'ecsimg',
    process.execPath,
    ['--import', 'tsx', self, '--convert', qcow2, oursOut],
    oursOut,
  ),
];

const check = run('qemu-img', ['check', '-f', 'vmdk', oursOut]);
const compare = run('qemu-img', ['compare', '-f', 'qcow2', '-F', 'vmdk', qcow2, oursOut]);
console.log('case: qcow2 → vmdk streamOptimized, 4 GiB virtual / 1 GiB data');
for (const r of results) {
  console.log(
    `${r.name.padEnd(9)} wall ${r.wall.toFixed(2)} s  user ${r.user.toFixed(2)} s  ` +
      `peak RSS ${(r.rssKiB / 1024).toFixed(1)} MiB  output ${(r.bytes / MiB).toFixed(1)} MiB`,
  );
}
console.log(`ratio ecsimg/qemu-img: ${(results[1].wall / results[0].wall).toFixed(2)}`);
console.log(`qemu-img check ours: ${check.stdout.trim().split('\n')[0]}`);
console.log(`qemu-img compare: ${compare.stdout.trim()}`);

async function convert(input, output) {
  const { openFileSource, formatModule } = await import('../src/formats/index.ts');
  const { createWriteStream } = await import('node:fs');
  const { once } = await import('node:events');
  const limits = { maxVirtualSizeBytes: 16 * 2 ** 40, maxTableBytes: 256 * MiB };
  const source = await openFileSource(input);
  const qcow2Module = formatModule('qcow2');
  const inspected = await qcow2Module.inspect(source, limits);
  if (!inspected.safe) throw new Error(JSON.stringify(inspected.reasons));
  const reader = await qcow2Module.open(source, inspected);
  const out = createWriteStream(output);
  await formatModule('vmdk').write(reader, out, {});
  out.end();
  await once(out, 'finish');
  await reader.close();
}

function makeSource(path) {
  // 1,024 random + 128 zero-filled 1 MiB slots out of 4,096, the rest holes.
  const slots = [...Array(4096).keys()].sort(() => Math.random() - 0.5).slice(0, 1152);
  const fd = openSync(path, 'w');
  ftruncateSync(fd, 4 * GiB);
  slots.forEach((slot, i) => {
    const data = i < 1024 ? randomBytes(MiB) : Buffer.alloc(MiB);
    writeSync(fd, data, 0, MiB, slot * MiB);
  });
  closeSync(fd);
}

function timed(name, cmd, args, output) {
  rmSync(output, { force: true });
  spawnSync('sync');
  const stats = join(dir, `${name}.time`);
  run('/usr/bin/time', ['-v', '-o', stats, cmd, ...args]);
  const text = spawnSync('cat', [stats], { encoding: 'utf8' }).stdout;
  const field = (label) =>
    text
      .split('\n')
      .find((l) => l.includes(label))
      ?.split(': ')
      .pop() ?? '0';
  const [m, s] = field('Elapsed (wall clock)').split(':').slice(-2);
  const size = spawnSync('stat', ['-c', '%s', output], { encoding: 'utf8' }).stdout;
  return {
    name,
    wall: Number(m) * 60 + Number(s),
    user: Number(field('User time')),
    rssKiB: Number(field('Maximum resident set size')),
    bytes: Number(size),
  };
}

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 * MiB });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r;
}
