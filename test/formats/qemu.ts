/**
 * qemu-img as a test oracle for the formats library.
 *
 * Every call pins the format with `-f`/`-F` (never lets qemu probe) and runs under prlimit and
 * timeout, as FORMATS.md §2.5 asks, because some of the files we hand it are hostile on purpose.
 * Shared by every format's tests (qcow2, vhd, vmdk, vdi, vhdx); keep it format-neutral.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, openSync, closeSync, writeSync, ftruncateSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** qemu-img's format names differ from ours for VHD (`vpc`). */
export type QemuFormat = 'raw' | 'qcow2' | 'vpc' | 'vhdx' | 'vmdk' | 'vdi';

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

const QEMU_IMG = 'qemu-img';

/** True when qemu-img can be run here (tests skip with a reason otherwise). */
export function qemuAvailable(): boolean {
  return spawnSync(QEMU_IMG, ['--version'], { stdio: 'ignore' }).status === 0;
}

/**
 * Runs `qemu-img ARGS` under a 4 GiB address-space limit (qemu -c needs room for thread stacks)
 * and a 60 s CPU limit. Never throws.
 */
export function qemuImg(args: string[], timeoutSeconds = 120): RunResult {
  const r = spawnSync(
    'prlimit',
    ['--as=4294967296', '--cpu=60', 'timeout', String(timeoutSeconds), QEMU_IMG, ...args],
    { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

function mustRun(args: string[]): RunResult {
  const r = qemuImg(args);
  if (r.status !== 0) {
    throw new Error(`qemu-img ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  }
  return r;
}

/** `qemu-img create -f FMT [-o OPTS] PATH SIZE`. */
export function qemuCreate(path: string, format: QemuFormat, size: number, opts?: string): void {
  mustRun(['create', '-q', '-f', format, ...(opts ? ['-o', opts] : []), path, String(size)]);
}

export interface ConvertOptions {
  from: QemuFormat;
  to: QemuFormat;
  /** `-o` options, e.g. `subformat=fixed`. */
  opts?: string;
  /** `-c`: compressed clusters (qcow2) / grains. */
  compress?: boolean;
}

/** `qemu-img convert -f FROM -O TO SRC DST`. */
export function qemuConvert(src: string, dst: string, o: ConvertOptions): void {
  mustRun([
    'convert',
    '-f',
    o.from,
    '-O',
    o.to,
    ...(o.compress ? ['-c'] : []),
    ...(o.opts ? ['-o', o.opts] : []),
    src,
    dst,
  ]);
}

/** `qemu-img info --output=json`; throws when qemu refuses the file. */
export function qemuInfo(
  path: string,
  format: QemuFormat,
): Record<string, unknown> & {
  format: string;
  'virtual-size': number;
} {
  return JSON.parse(mustRun(['info', '--output=json', '-f', format, path]).stdout);
}

export interface CheckResult {
  ok: boolean;
  /** qemu-img check's JSON (check-errors, leaks, corruptions …), when it printed one. */
  json?: Record<string, unknown>;
  raw: RunResult;
}

/**
 * `qemu-img check --output=json`: ok only when the exit code is 0 and there are no errors,
 * corruptions or leaks (leaks exit 3 in qemu, which we also count as a failure).
 */
export function qemuCheck(path: string, format: QemuFormat): CheckResult {
  const raw = qemuImg(['check', '--output=json', '-f', format, path]);
  let json: Record<string, unknown> | undefined;
  try {
    json = JSON.parse(raw.stdout);
  } catch {
    json = undefined;
  }
  const bad = (k: string) => typeof json?.[k] === 'number' && (json[k] as number) > 0;
  const ok =
    raw.status === 0 && !!json && !bad('check-errors') && !bad('leaks') && !bad('corruptions');
  return { ok, json, raw };
}

/**
 * `qemu-img compare`: identical only when the contents match and (unless `allowSizeMismatch`)
 * the virtual sizes match too. qemu's strict mode (-s) is not used: it also compares
 * allocation status, which differs legitimately between a sparse raw file and an image.
 */
export function qemuCompare(
  a: string,
  aFormat: QemuFormat,
  b: string,
  bFormat: QemuFormat,
  allowSizeMismatch = false,
): { identical: boolean; raw: RunResult } {
  const raw = qemuImg(['compare', '-f', aFormat, '-F', bFormat, a, b]);
  const sizeMismatch = /size mismatch/i.test(raw.stdout + raw.stderr);
  return { identical: raw.status === 0 && (allowSizeMismatch || !sizeMismatch), raw };
}

/** Converts any image to raw with qemu-img and returns the sha256 of the raw bytes. */
export function qemuRawSha256(path: string, format: QemuFormat, workDir: string): string {
  const out = join(workDir, `oracle-${Date.now()}-${Math.random().toString(16).slice(2)}.raw`);
  try {
    qemuConvert(path, out, { from: format, to: 'raw' });
    return sha256File(out);
  } finally {
    rmSync(out, { force: true });
  }
}

export function sha256File(path: string): string {
  const r = spawnSync('sha256sum', [path], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sha256sum ${path}: ${r.stderr}`);
  return r.stdout.split(' ')[0];
}

export function sha256(buf: Buffer): string {
  return createHash('sha256').update(buf).digest('hex');
}

/** A fresh temporary directory; remove it with `rmSync(dir, {recursive: true})` in afterAll. */
export function makeWorkDir(prefix = 'ecsimg-formats-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Deterministic pseudo-random bytes (xorshift32), so fixtures are the same on every run. */
export function seededBytes(length: number, seed: number): Buffer {
  const buf = Buffer.allocUnsafe(length);
  let x = seed >>> 0 || 0x9e3779b9;
  let i = 0;
  for (; i + 4 <= length; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf.writeUInt32LE(x >>> 0, i);
  }
  for (; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    buf[i] = x & 0xff;
  }
  return buf;
}

export interface DataRun {
  offset: number;
  length: number;
  /** Fill byte; random (seeded) bytes when omitted. */
  fill?: number;
}

/**
 * Writes a sparse raw file of `size` bytes with the given runs of data (holes elsewhere).
 * Runs are written with positioned writes, so a 500 GiB virtual file costs only its data.
 */
export function makeSparseRaw(path: string, size: number, runs: DataRun[], seed = 1): void {
  const fd = openSync(path, 'w');
  try {
    ftruncateSync(fd, size);
    runs.forEach((run, i) => {
      const data =
        run.fill === undefined
          ? seededBytes(run.length, seed + i * 7919)
          : Buffer.alloc(run.length, run.fill);
      writeSync(fd, data, 0, data.length, run.offset);
    });
  } finally {
    closeSync(fd);
  }
}
