/**
 * ImportImage and ExportImage against `qemu-img convert` of the same file, in one session (write
 * timings swing between sessions on this VM, so only same-session ratios mean anything).
 *
 *   node --import tsx bench/import-export.ts [--runs 3] [--dir /var/tmp/ecsimg-bench-ie] [--keep]
 *     [--sizes 1,4] [--cases import,qcow2,vhd] [--profile DIR] [--source] [--cold]
 *
 * `--cold` (root only) drops the page cache before every measurement, so both sides read their
 * input from the disk, as a service mostly does; without it qemu-img reads a cached source while
 * our chunks, written and read with O_DIRECT, always come from the disk.
 * Our side runs the compiled build (`tsc -p tsconfig.build.json` into dist/ first, as `npm
 * start` runs it); `--source` runs the TypeScript sources through tsx instead.
 *
 * `--profile DIR` runs each of our children under `--cpu-prof` (profiles in DIR; summarise them
 * with bench/cpu-profile-summary.ts). Wall time swings with the machine's load (2 cores shared
 * with other work), so each row reports CPU time (user+sys) of both sides too.
 *
 * Sources: a sparse raw disk with seeded random data in 4 MiB runs at seeded 4 MiB-aligned
 * places — 4 GiB virtual / 1 GiB data, and 1 GiB / 256 MiB to show that memory stays flat —
 * converted to qcow2 by qemu-img (untimed). Each measurement runs in a child process that builds
 * the services on a fresh data directory (SQLite, filesystem chunk store), links the qcow2 into a
 * bucket, and times the task from ImportImage (or ExportImage) to Finished; the child reports its
 * own peak RSS. Baselines under /usr/bin/time: qemu-img convert qcow2→raw (import: decode and
 * store the disk), qcow2→qcow2 and qcow2→vpc (export). Cases alternate ours / qemu-img.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const GIB = 2 ** 30;
const MIB = 2 ** 20;
const SEED = 20240702;
const BUCKET = 'bench';
const KEY = 'disk.qcow2';
const SELF = fileURLToPath(import.meta.url);
const ROOT = path.resolve(path.dirname(SELF), '..');

interface Measure {
  ms: number;
  /** user + system CPU of the process (all its threads) during the measured part. */
  cpuMs: number;
  sysMs: number;
  rssMiB: number;
}

// ------------------------------------------------------------------------------- child side

/**
 * Where our side's modules come from: the compiled build (`dist/`, what `npm start` runs; made
 * by the parent before the first measurement), or with `--source` the TypeScript sources through
 * tsx, whose worker threads also load tsx (~0.5 s of CPU per import in their start-up alone).
 */
type Modules = [
  typeof import('../src/config/index.js'),
  typeof import('../src/log/index.js'),
  typeof import('../src/start/services.js'),
  typeof import('../src/start/worker.js'),
  typeof import('../src/domain/import-export/index.js'),
];
async function load(fromSource: boolean): Promise<Modules> {
  const root = fromSource ? '../src' : '../dist';
  const paths = [
    'config/index.js',
    'log/index.js',
    'start/services.js',
    'start/worker.js',
    'domain/import-export/index.js',
  ];
  return (await Promise.all(paths.map((p) => import(`${root}/${p}`)))) as Modules;
}

async function child(mode: string, dataDir: string, arg: string): Promise<void> {
  const [{ loadConfig }, { silentLogger }, { buildServices }, { createWorker }, io] = await load(
    process.env.ECSIMG_BENCH_FROM_SOURCE === '1',
  );
  const { startImport, startExport } = io;

  const config = loadConfig(
    {
      ECSIMG_LOG_LEVEL: 'silent',
      ECSIMG_IMPORT_SYSTEM_DISK_MIN_GIB: '1',
      ECSIMG_WORKER_POLL_MS: '20',
      ECSIMG_GC_INTERVAL_MS: '0',
    },
    { dataDir },
  );
  const services = await buildServices(config, silentLogger());
  const creds = JSON.parse(fs.readFileSync(path.join(dataDir, 'credentials.json'), 'utf8'));
  const accountId: string = creds.accountId;
  const regionId = 'cn-hangzhou';

  if (mode === 'import') {
    await services.roles.authorize(accountId, 'AliyunECSImageImportDefaultRole');
    await services.roles.authorize(accountId, 'AliyunECSImageExportDefaultRole');
    await services.buckets.create(accountId, BUCKET, regionId);
    // Link, not copy: ours and qemu-img read the same (cached) inode.
    const objects = services.buckets.objects as unknown as { pathOf(b: string, k: string): string };
    const target = objects.pathOf(BUCKET, KEY);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.linkSync(arg, target);
  }

  const worker = createWorker(services);
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  let taskId: string;
  let imageId = '';
  if (mode === 'import') {
    ({ taskId, imageId } = await startImport(services, {
      accountId,
      regionId,
      disks: [{ bucket: BUCKET, object: KEY }],
      name: 'bench',
    }));
  } else {
    const [id, format] = arg.split(':');
    taskId = await startExport(services, {
      accountId,
      regionId,
      imageId: id,
      bucket: BUCKET,
      format: format as 'qcow2',
    });
  }
  worker.start();
  for (;;) {
    const task = await services.jobs.get(taskId);
    if (task && !['Waiting', 'Processing'].includes(task.status)) {
      if (task.status !== 'Finished')
        throw new Error(`task ${task.status}: ${task.error?.message}`);
      break;
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const sysMs = cpu.system / 1000;
  await worker.stop();
  await services.close();
  const rssMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(JSON.stringify({ ms, cpuMs, sysMs, rssMiB, imageId }) + '\n');
}

// ------------------------------------------------------------------------------ parent side

function rng(seed: number) {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

function buildSource(dir: string, virtual: number, dataRuns: number): string {
  const qcow2 = path.join(dir, `src-${virtual / GIB}g.qcow2`);
  if (fs.existsSync(qcow2)) return qcow2;
  const raw = path.join(dir, 'tmp.raw');
  const fd = fs.openSync(raw, 'w');
  fs.ftruncateSync(fd, virtual);
  const slots = virtual / (4 * MIB);
  const next = rng(SEED);
  const chosen = new Set<number>();
  while (chosen.size < dataRuns) chosen.add(Math.floor(next() * slots));
  const block = Buffer.alloc(4 * MIB);
  for (const slot of chosen) {
    for (let i = 0; i < block.length; i += 4) block.writeUInt32LE((next() * 2 ** 32) >>> 0, i);
    fs.writeSync(fd, block, 0, block.length, slot * 4 * MIB);
  }
  fs.closeSync(fd);
  run('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow2]);
  fs.rmSync(raw);
  return qcow2;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 16 * MIB });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

let profileDir: string | undefined;

/**
 * Writes back every dirty page before a measurement (untimed): otherwise whoever runs next pays
 * for the previous run's writeback (kernel dirty throttling), which swung qemu-img's own import
 * baseline between 0.8 and 6 s in one session.
 */
function settle(): void {
  spawnSync('sync');
  // --cold: nobody's input is in the page cache either (the chunks ours reads never are: the
  // store writes and reads them with O_DIRECT, while qemu-img's source stays cached otherwise).
  if (coldCache) fs.writeFileSync('/proc/sys/vm/drop_caches', '3');
}

let coldCache = false;

function ours(mode: string, dataDir: string, arg: string): Measure & { imageId: string } {
  settle();
  const prof = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];
  const out = run(process.execPath, [
    ...prof,
    '--import',
    'tsx',
    SELF,
    '--child',
    mode,
    dataDir,
    arg,
  ]);
  return JSON.parse(out.trim().split('\n').at(-1)!);
}

/**
 * `qemu-img ARGS` under /usr/bin/time. qemu-img convert writes its output without flushing it
 * (its output cache mode skips the final flush), whereas ours fdatasyncs what it wrote before
 * reporting success; with `flush`, `sync -d FILE` follows, so both sides pay for durability.
 */
function qemu(args: string[], flush?: string): Measure {
  const command = flush
    ? ['sh', '-c', 'qemu-img "$@" && sync -d "$0"', flush, ...args]
    : ['qemu-img', ...args];
  settle();
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M %U %S', ...command], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`qemu-img ${args.join(' ')}: ${r.stderr}`);
  const [secs, kib, user, sys] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { ms: secs * 1000, cpuMs: (user + sys) * 1000, sysMs: sys * 1000, rssMiB: kib / 1024 };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return child(args[1], args[2], args[3]);
  const opt = (name: string, dflt: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : dflt;
  };
  const runs = Number(opt('--runs', '3'));
  const dir = path.resolve(opt('--dir', '/var/tmp/ecsimg-bench-ie'));
  fs.mkdirSync(dir, { recursive: true });
  const sizes = opt('--sizes', '1,4').split(',').map(Number);
  const cases = new Set(opt('--cases', 'import,qcow2,vhd').split(','));
  const profile = opt('--profile', '');
  coldCache = args.includes('--cold');
  if (args.includes('--source')) process.env.ECSIMG_BENCH_FROM_SOURCE = '1';
  else {
    const built = spawnSync(
      path.join(ROOT, 'node_modules/.bin/tsc'),
      ['-p', 'tsconfig.build.json'],
      {
        cwd: ROOT,
        encoding: 'utf8',
      },
    );
    if (built.status !== 0) throw new Error(`tsc -p tsconfig.build.json: ${built.stdout}`);
  }
  if (profile) {
    profileDir = path.resolve(profile);
    fs.mkdirSync(profileDir, { recursive: true });
  }

  const rows: string[] = [];
  for (const [virtual, dataRuns] of [
    [1 * GIB, 64],
    [4 * GIB, 256],
  ].filter(([v]) => sizes.includes(v / GIB))) {
    const src = buildSource(dir, virtual, dataRuns);
    const label = `${virtual / GIB} GiB / ${(dataRuns * 4) / 1024} GiB data`;
    const samples: Record<string, { ours: Measure[]; qemu: Measure[]; flushed: Measure[] }> = {};
    const add = (name: string, o: Measure, q: Measure, qf: Measure) => {
      samples[name] ??= { ours: [], qemu: [], flushed: [] };
      samples[name].ours.push(o);
      samples[name].qemu.push(q);
      samples[name].flushed.push(qf);
    };

    for (let i = 0; i < runs; i++) {
      const dataDir = fs.mkdtempSync(path.join(dir, 'data-'));
      const imported = ours('import', dataDir, src);
      if (cases.has('import')) {
        const out = path.join(dir, 'q.raw');
        const q = qemu(['convert', '-f', 'qcow2', '-O', 'raw', src, out]);
        fs.rmSync(out, { force: true });
        const qf = qemu(['convert', '-f', 'qcow2', '-O', 'raw', src, out], out);
        fs.rmSync(out, { force: true });
        add('import qcow2 (vs convert -O raw)', imported, q, qf);
      }

      for (const [format, qfmt, opts] of [
        ['qcow2', 'qcow2', []],
        ['vhd', 'vpc', ['-o', 'subformat=dynamic']],
      ] as const) {
        if (!cases.has(format)) continue;
        const out = path.join(dir, 'q.out');
        const convert = ['convert', '-f', 'qcow2', '-O', qfmt, ...opts, src, out];
        const q = qemu(convert);
        fs.rmSync(out, { force: true });
        const o = ours('export', dataDir, `${imported.imageId}:${format}`);
        const qf = qemu(convert, out);
        fs.rmSync(out, { force: true });
        add(`export to ${format} (vs convert -O ${qfmt})`, o, q, qf);
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    }

    for (const [name, s] of Object.entries(samples)) {
      const med = (ms: Measure[], key: 'ms' | 'cpuMs' | 'sysMs') => median(ms.map((m) => m[key]));
      const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
      const [o, q, qf] = [s.ours, s.qemu, s.flushed].map((m) => med(m, 'ms'));
      const [oCpu, qCpu, qfCpu] = [s.ours, s.qemu, s.flushed].map((m) => med(m, 'cpuMs'));
      const oSys = med(s.ours, 'sysMs');
      const oRss = Math.max(...s.ours.map((m) => m.rssMiB));
      const qRss = Math.max(...s.qemu.map((m) => m.rssMiB));
      rows.push(
        `| ${label} | ${name} | ${secs(o)} | ${secs(q)} / ${secs(qf)} | ` +
          `${(o / q).toFixed(2)} / ${(o / qf).toFixed(2)} | ` +
          `${secs(oCpu)} (sys ${secs(oSys)}) | ${secs(qCpu)} / ${secs(qfCpu)} | ` +
          `${(oCpu / qCpu).toFixed(2)} / ${(oCpu / qfCpu).toFixed(2)} | ` +
          `${oRss.toFixed(0)} MiB | ${qRss.toFixed(0)} MiB |`,
      );
    }
  }

  console.log(
    `runs per case: ${runs} (median time, max RSS); ${process.version}, qemu-img ` +
      run('qemu-img', ['--version'])
        .split('\n')[0]
        .replace(/^qemu-img version /, ''),
  );
  console.log(
    '| image | case | ours wall | qemu-img wall (plain / +fdatasync) | wall ratio | ours CPU ' +
      '(user+sys) | qemu-img CPU (plain / +fdatasync) | CPU ratio | ours peak RSS | ' +
      'qemu-img peak RSS |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  if (!args.includes('--keep')) fs.rmSync(dir, { recursive: true, force: true });
}

await main();
