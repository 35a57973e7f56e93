#!/usr/bin/env node
// Times our converter against `qemu-img convert` on the same files, in one session (FORMATS.md §3:
// write-path timings swing run to run, so only same-session ratios mean anything).
//
//   node bench/formats-convert.mjs [--runs 3] [--only REGEX] [--dir /var/tmp/ecsimg-bench] [--keep]
//
// Builds a 4 GiB sparse raw image with 1 GiB of seeded random data in 4 MiB runs, compiles
// src/formats with tsc into the work dir (so our side runs as plain node, like dist/), then runs
// each case alternately ours / qemu-img under /usr/bin/time and prints median wall time, the
// ratio ours/qemu and peak RSS. Cases: raw→qcow2, qcow2→raw, raw→vhd, qcow2→X for every other
// writer registered in the library (vmdk streamOptimized, vdi …), and raw→qcow2 -c (compressed)
// on that image and on one of the same layout holding text-like data.
import { spawnSync } from 'node:child_process';
import { createCipheriv } from 'node:crypto';
import {
  closeSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const RUNS = Number(opt('--runs', '3'));
const DIR = resolve(opt('--dir', '/var/tmp/ecsimg-bench'));
const KEEP = args.includes('--keep');
const ONLY = new RegExp(opt('--only', '.'));

const GiB = 2 ** 30;
const MiB = 2 ** 20;
const VIRTUAL = 4 * GiB;
const RUN_BYTES = 4 * MiB;
const DATA_RUNS = 256; // 1 GiB
const SEED = 20240702;

mkdirSync(DIR, { recursive: true });

/** xorshift32: picks the data slots. */
function rng(seed) {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** The data slots: DATA_RUNS seeded 4 MiB-aligned places of the virtual disk, ascending. */
function dataSlots() {
  const slots = [...Array(VIRTUAL / RUN_BYTES).keys()];
  const rand = rng(SEED);
  for (let i = slots.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [slots[i], slots[j]] = [slots[j], slots[i]];
  }
  return slots.slice(0, DATA_RUNS).sort((a, b) => a - b);
}

/**
 * The same layout filled with seeded text-like bytes (words, numbers, paths), which deflate
 * shrinks to about a third like much of a real system disk: the compressed-output cases.
 */
function buildTextSource(path) {
  if (existsSync(path)) return;
  console.error(`building ${path} (4 GiB virtual, 1 GiB of text-like data)…`);
  const words = [
    'kernel ',
    'module ',
    '/usr/lib/x86_64-linux-gnu/',
    'config=',
    'systemd ',
    'alpha ',
    'beta ',
    '0x7f45 ',
    'ENOENT ',
    '\n',
    'libc.so.6 ',
    '127.0.0.1 ',
  ].map((w) => Buffer.from(w, 'latin1'));
  const rand = rng(SEED + 1);
  const run = Buffer.alloc(RUN_BYTES);
  const fd = openSync(path, 'w');
  ftruncateSync(fd, VIRTUAL);
  for (const slot of dataSlots()) {
    for (let at = 0; at < RUN_BYTES;) {
      const word = words[Math.floor(rand() * words.length)];
      at += word.copy(run, at);
      if (rand() < 0.3) at += run.write(String(Math.floor(rand() * 100000)), at, 'latin1');
    }
    writeSync(fd, run, 0, RUN_BYTES, slot * RUN_BYTES);
  }
  closeSync(fd);
}

function buildSource(path) {
  if (existsSync(path)) return;
  console.error(`building ${path} (4 GiB virtual, 1 GiB data)…`);
  // Seeded keystream (AES-128-CTR over zeros): deterministic, incompressible, fast.
  const key = Buffer.alloc(16);
  key.writeUInt32BE(SEED, 0);
  const cipher = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(RUN_BYTES);
  const fd = openSync(path, 'w');
  ftruncateSync(fd, VIRTUAL);
  for (const slot of dataSlots()) {
    writeSync(fd, cipher.update(zeros), 0, RUN_BYTES, slot * RUN_BYTES);
  }
  closeSync(fd);
}

function sh(cmd, argv, options = {}) {
  const r = spawnSync(cmd, argv, { encoding: 'utf8', ...options });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')}: ${r.stderr || r.stdout}`);
  return r.stdout;
}

/** Compiles src/formats alone (it imports nothing else of ecsimg) to plain JS. */
function buildLibrary() {
  const out = join(DIR, 'lib');
  rmSync(out, { recursive: true, force: true });
  const tsc = join(root, 'node_modules/.bin/tsc');
  sh(tsc, [
    '--outDir',
    out,
    '--rootDir',
    join(root, 'src'),
    '--module',
    'NodeNext',
    '--moduleResolution',
    'NodeNext',
    '--target',
    'ES2022',
    '--types',
    'node',
    '--skipLibCheck',
    '--strict',
    'false',
    '--noCheck',
    // Worker entries are loaded by path, not imported: compile every file of the folder.
    ...readdirSync(join(root, 'src/formats'), { recursive: true })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .map((f) => join(root, 'src/formats', f)),
  ]);
  const child = join(out, 'bench-child.mjs');
  writeFileSync(
    child,
    `import { convert } from './formats/index.js';
const [input, output, outputFormat, subformat, compress] = process.argv.slice(2);
await convert(input, output, {
  outputFormat,
  subformat: subformat || undefined,
  compress: compress === '-c',
});
`,
  );
  return { child, index: join(out, 'formats/index.js') };
}

function timed(cmd, argv) {
  const stats = join(DIR, 'time.txt');
  sh('sync', []);
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', '-o', stats, cmd, ...argv], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`${cmd} ${argv.join(' ')}: ${r.stderr}`);
  const [wall, rssKiB, user, sys] = readFileSync(stats, 'utf8')
    .trim()
    .split('\n')
    .pop()
    .split(' ')
    .map(Number);
  // CPU time (user + sys) is far less sensitive to noisy neighbours than wall time.
  return { wall, rssMiB: rssKiB / 1024, cpu: user + sys };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main() {
  const src = join(DIR, 'src.raw');
  buildSource(src);
  const lib = buildLibrary();
  const { writableFormats } = await import(lib.index);
  const ref = join(DIR, 'ref.qcow2');
  if (!existsSync(ref)) sh('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', src, ref]);

  const qemuName = { raw: 'raw', qcow2: 'qcow2', vhd: 'vpc', vmdk: 'vmdk', vdi: 'vdi' };
  const qemuOpts = { vhd: ['-o', 'subformat=dynamic'], vmdk: ['-o', 'subformat=streamOptimized'] };
  const cases = [
    { name: 'raw → qcow2', input: src, from: 'raw', to: 'qcow2' },
    { name: 'qcow2 → raw', input: ref, from: 'qcow2', to: 'raw' },
    { name: 'raw → vhd (dynamic)', input: src, from: 'raw', to: 'vhd' },
  ];
  // Compressed qcow2 (-c): random data (which neither side can shrink) and text-like data.
  const text = join(DIR, 'text.raw');
  if (ONLY.test('raw → qcow2 -c (text data)')) buildTextSource(text);
  cases.push(
    { name: 'raw → qcow2 -c (random data)', input: src, from: 'raw', to: 'qcow2', compress: true },
    { name: 'raw → qcow2 -c (text data)', input: text, from: 'raw', to: 'qcow2', compress: true },
  );
  for (const f of writableFormats()) {
    if (!['raw', 'qcow2', 'vhd'].includes(f)) {
      cases.push({
        name: `qcow2 → ${f}${f === 'vmdk' ? ' (streamOptimized)' : ''}`,
        input: ref,
        from: 'qcow2',
        to: f,
      });
    }
  }

  const rows = [];
  for (const c of cases) {
    const out = join(DIR, `out.${c.to}`);
    if (!ONLY.test(c.name)) continue;
    const ours = [];
    const qemu = [];
    for (let i = 0; i < RUNS; i++) {
      // Alternate who goes first, so a noisy neighbour or writeback burst hits both sides alike.
      const runOurs = () => {
        rmSync(out, { force: true });
        ours.push(
          timed(process.execPath, [lib.child, c.input, out, c.to, '', c.compress ? '-c' : '']),
        );
      };
      const runQemu = () => {
        rmSync(out, { force: true });
        qemu.push(
          timed('qemu-img', [
            'convert',
            '-f',
            c.from,
            '-O',
            qemuName[c.to],
            ...(qemuOpts[c.to] ?? []),
            ...(c.compress ? ['-c'] : []),
            c.input,
            out,
          ]),
        );
      };
      if (i % 2 === 0) {
        runOurs();
        runQemu();
      } else {
        runQemu();
        runOurs();
      }
      console.error(
        `${c.name} run ${i + 1}: ours ${ours[i].wall}s (cpu ${ours[i].cpu.toFixed(2)}s, ` +
          `${ours[i].rssMiB.toFixed(0)} MiB), qemu-img ${qemu[i].wall}s ` +
          `(cpu ${qemu[i].cpu.toFixed(2)}s)`,
      );
    }
    rmSync(out, { force: true });
    const o = median(ours.map((r) => r.wall));
    const q = median(qemu.map((r) => r.wall));
    const best = Math.min(...ours.map((r) => r.wall)) / Math.min(...qemu.map((r) => r.wall));
    const oursCpu = median(ours.map((r) => r.cpu));
    const qemuCpu = median(qemu.map((r) => r.cpu));
    rows.push({
      case: c.name,
      ours: o,
      qemu: q,
      ratio: q > 0 ? o / q : NaN,
      best,
      oursCpu,
      qemuCpu,
      oursRss: Math.max(...ours.map((r) => r.rssMiB)),
      qemuRss: Math.max(...qemu.map((r) => r.rssMiB)),
      oursRuns: ours.map((r) => r.wall).join('/'),
      qemuRuns: qemu.map((r) => r.wall).join('/'),
    });
  }

  console.log(
    `\n${RUNS} runs each, median wall seconds (4 GiB virtual, 1 GiB data, warm cache);\n` +
      `'best runs' = fastest ours / fastest qemu-img; CPU = median user+sys seconds\n`,
  );
  console.log(
    '| case | ours (s) | qemu-img (s) | ours/qemu (median) | ours/qemu (best runs) | ' +
      'CPU ours (s) | CPU qemu-img (s) | ours peak RSS | qemu-img peak RSS | runs ours | runs qemu |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(
      `| ${r.case} | ${r.ours.toFixed(2)} | ${r.qemu.toFixed(2)} | ${r.ratio.toFixed(2)} | ` +
        `${r.best.toFixed(2)} | ${r.oursCpu.toFixed(2)} | ${r.qemuCpu.toFixed(2)} | ` +
        `${r.oursRss.toFixed(0)} MiB | ${r.qemuRss.toFixed(0)} MiB | ${r.oursRuns} | ${r.qemuRuns} |`,
    );
  }
  if (!KEEP) rmSync(DIR, { recursive: true, force: true });
}

await main();
