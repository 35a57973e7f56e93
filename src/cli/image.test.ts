import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Command, CommanderError } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerImageCommands } from './image.js';
import { CliError, EXIT } from './io.js';

/** Runs `ecsimg image ...` in-process; resolves to exit code and captured output. */
async function run(...argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d) => (out += d));
  stderr.on('data', (d) => (err += d));
  const program = new Command('ecsimg')
    .exitOverride()
    .configureOutput({ writeOut: (s) => stdout.write(s), writeErr: (s) => stderr.write(s) });
  registerImageCommands(program, { stdout, stderr });
  let code: number = EXIT.ok;
  try {
    await program.parseAsync(['image', ...argv], { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    else if (e instanceof CliError) {
      code = e.exitCode;
      err += `error: ${e.message}\n`;
    } else throw e;
  }
  return { code, out, err };
}

describe('ecsimg image', () => {
  let dir: string;
  let raw: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'ecsimg-cli-'));
    raw = join(dir, 'disk.raw');
    const buf = Buffer.alloc(3 * 1024 * 1024);
    buf.fill(0x61, 1024 * 1024, 1024 * 1024 + 70_000);
    writeFileSync(raw, buf);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('inspect --json prints format, sizes, safe and reason codes', async () => {
    const r = await run('inspect', raw, '--json');
    expect(r.code).toBe(EXIT.ok);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({
      format: 'raw',
      virtualSize: 3 * 1024 * 1024,
      actualSize: 3 * 1024 * 1024,
      safe: true,
      reasons: [],
    });
  });

  it('converts raw to qcow2 and back, with a progress bar on stderr', async () => {
    const q = join(dir, 'disk.qcow2');
    const r = await run('convert', raw, q, '-O', 'qcow2', '--progress');
    expect(r.code).toBe(EXIT.ok);
    expect(r.err).toContain('100%');
    const info = JSON.parse((await run('inspect', q, '--json', '-f', 'qcow2')).out);
    expect(info).toMatchObject({
      format: 'qcow2',
      subformat: 'v3',
      virtualSize: 3 * 1024 * 1024,
      safe: true,
    });
    const back = join(dir, 'back.raw');
    expect((await run('convert', q, back, '-O', 'raw', '-f', 'qcow2')).code).toBe(EXIT.ok);
    expect(readFileSync(back).equals(readFileSync(raw))).toBe(true);
  });

  it('accepts -O vpc and -o subformat=fixed like qemu-img', async () => {
    const v = join(dir, 'disk.vhd');
    expect((await run('convert', raw, v, '-O', 'vpc', '-o', 'subformat=fixed')).code).toBe(EXIT.ok);
    const j = JSON.parse((await run('inspect', v, '--json')).out);
    expect(j).toMatchObject({ format: 'vhd', subformat: 'fixed', safe: true });
  });

  it('compresses a qcow2 with -c, and refuses -c for a format without compression', async () => {
    const q = join(dir, 'disk.c.qcow2');
    expect((await run('convert', raw, q, '-O', 'qcow2', '-c')).code).toBe(EXIT.ok);
    const info = JSON.parse((await run('inspect', q, '--json')).out);
    expect(info.features).toContain('compressed-clusters');
    const back = join(dir, 'back.c.raw');
    expect((await run('convert', q, back, '-O', 'raw')).code).toBe(EXIT.ok);
    expect(readFileSync(back).equals(readFileSync(raw))).toBe(true);

    const v = await run('convert', raw, join(dir, 'c.vhd'), '-O', 'vhd', '-c');
    expect(v.code).toBe(EXIT.usage);
    expect(v.err).toContain('cannot be compressed');
  });

  it('exits 3 when the declared format disagrees, and prints the reason code', async () => {
    const r = await run('inspect', raw, '--json', '-f', 'qcow2');
    expect(r.code).toBe(EXIT.refused);
    expect(JSON.parse(r.out)).toMatchObject({ safe: false, reasons: ['FORMAT_MISMATCH'] });
    const c = await run('convert', raw, join(dir, 'x.vhd'), '-O', 'vhd', '-f', 'vmdk');
    expect(c.code).toBe(EXIT.refused);
    expect(c.err).toContain('FORMAT_MISMATCH');
  });

  it('exits 3 on an unsafe image (qcow2 with the external data file bit)', async () => {
    const q = join(dir, 'evil.qcow2');
    await run('convert', raw, q, '-O', 'qcow2');
    const b = readFileSync(q);
    b[79] |= 0x04;
    writeFileSync(q, b);
    const r = await run('convert', q, join(dir, 'evil.raw'), '-O', 'raw');
    expect(r.code).toBe(EXIT.refused);
    expect(r.err).toContain('QCOW2_DATA_FILE');
  });

  it('exits 2 on usage errors: unknown format, unknown -o key, missing -O', async () => {
    expect((await run('convert', raw, join(dir, 'y'), '-O', 'qed')).code).toBe(EXIT.usage);
    expect(
      (await run('convert', raw, join(dir, 'y'), '-O', 'vhd', '-o', 'cluster_size=4k')).code,
    ).toBe(EXIT.usage);
    expect((await run('convert', raw, join(dir, 'y'))).code).toBe(EXIT.usage);
    expect((await run('convert', raw, raw, '-O', 'raw')).code).toBe(EXIT.usage);
    expect(readFileSync(raw).length).toBe(3 * 1024 * 1024);
    expect(
      (await run('convert', raw, join(dir, 'y'), '-O', 'vhd', '-o', 'subformat=weird')).code,
    ).toBe(EXIT.usage);
  });

  it('exits 4 when the input cannot be read', async () => {
    const r = await run('inspect', join(dir, 'missing.img'));
    expect(r.code).toBe(EXIT.io);
    expect(r.err).toContain('ENOENT');
  });
});
