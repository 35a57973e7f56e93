/**
 * `ecsimg image inspect|convert`: the disk-formats library on the command line, with the habits
 * of qemu-img (`-f` asserts the input format, `-O` names the output, `-o subformat=…`), but the
 * input is always inspected first and never probed blindly.
 *
 * Exit codes (io.ts): 0 ok, 2 usage, 3 input refused (unsafe, or not the declared format),
 * 4 reading or writing failed.
 */
import { realpath, rm } from 'node:fs/promises';
import { Command, InvalidArgumentError, Option } from 'commander';
import {
  FormatError,
  COMPRESSIBLE_FORMATS,
  OUTPUT_FORMATS,
  UnsafeImageError,
  convert,
  inspect,
  openFileSource,
  type DiskFormat,
  type InspectResult,
  type OutputFormat,
} from '../formats/index.js';
import { CliError, EXIT, type CliIo } from './io.js';

type ImageIo = Pick<CliIo, 'stdout' | 'stderr'>;

const INPUT_FORMATS: DiskFormat[] = ['raw', 'qcow2', 'vhd', 'vhdx', 'vmdk', 'vdi', 'iso'];

/** A format option; qemu-img calls VHD `vpc`, so that name is accepted too. */
function formatOption(flags: string, description: string, allowed: readonly string[]): Option {
  return new Option(flags, `${description} (${allowed.join(', ')})`).argParser((value: string) => {
    const name = value === 'vpc' ? 'vhd' : value;
    if (!allowed.includes(name)) {
      throw new InvalidArgumentError(`unknown format "${value}"; use one of ${allowed.join(', ')}`);
    }
    return name;
  });
}

export function registerImageCommands(program: Command, io: ImageIo): void {
  const image = program.command('image').description('Inspect and convert virtual disk images');

  image
    .command('inspect')
    .description('Inspect a disk image: format, sizes, and whether it is safe to use')
    .argument('<file>', 'image file')
    .option('--json', 'print one JSON object')
    .addOption(formatOption('-f, --format <format>', 'refuse the file unless it is', INPUT_FORMATS))
    .action(async (file: string, opts: { json?: boolean; format?: DiskFormat }) => {
      const result = await withIoErrors(file, async () => {
        const source = await openFileSource(file);
        try {
          return await inspect(source, { declaredFormat: opts.format });
        } finally {
          await source.close();
        }
      });
      io.stdout.write(opts.json ? `${JSON.stringify(toJson(result))}\n` : describe(file, result));
      if (!result.safe) {
        throw new CliError(
          `${file} is refused: ${result.reasons.map((r) => r.code).join(', ')}`,
          EXIT.refused,
        );
      }
    });

  image
    .command('convert')
    .description('Convert a disk image to another format (the input is inspected first)')
    .argument('<input>', 'input image')
    .argument('<output>', 'output image (overwritten)')
    .addOption(
      formatOption(
        '-O, --output-format <format>',
        'output format',
        OUTPUT_FORMATS,
      ).makeOptionMandatory(),
    )
    .addOption(
      formatOption('-f, --format <format>', 'refuse the input unless it is', INPUT_FORMATS),
    )
    .option('-o, --options <list>', 'output options, e.g. subformat=fixed (vhd)')
    .option('-c, --compress', 'compress the output (qcow2; vmdk streamOptimized always is)')
    .option('-p, --progress', 'show a progress bar on stderr')
    .action(
      async (
        input: string,
        output: string,
        opts: {
          outputFormat: OutputFormat;
          format?: DiskFormat;
          options?: string;
          compress?: boolean;
          progress?: boolean;
        },
      ) => {
        const outputOptions = parseOutputOptions(opts.options);
        if (opts.compress && !COMPRESSIBLE_FORMATS.includes(opts.outputFormat)) {
          throw new CliError(
            `${opts.outputFormat} images cannot be compressed`,
            EXIT.usage,
            `-c applies to ${COMPRESSIBLE_FORMATS.join(' and ')}`,
          );
        }
        // Writing over the input would destroy it before it is read.
        const same = await Promise.all([realpath(input), realpath(output)]).then(
          ([a, b]) => a === b,
          () => false,
        );
        if (same)
          throw new CliError('the output is the input file', EXIT.usage, 'pick another OUT');
        const bar = opts.progress ? progressBar(io.stderr) : undefined;
        try {
          await withIoErrors(input, () =>
            convert(input, output, {
              outputFormat: opts.outputFormat,
              declaredFormat: opts.format,
              subformat: outputOptions.subformat,
              compress: opts.compress,
              onProgress: bar?.update,
            }),
          );
          bar?.done();
        } catch (err) {
          bar?.abandon();
          await rm(output, { force: true }).catch(() => {});
          throw err;
        }
      },
    );
}

/** `-o key=value,…`: only keys our writers understand; anything else is a usage error. */
function parseOutputOptions(list: string | undefined): { subformat?: string } {
  const out: { subformat?: string } = {};
  for (const item of (list ?? '').split(',').filter(Boolean)) {
    const [key, value] = item.split('=', 2);
    if (key !== 'subformat' || !value) {
      throw new CliError(
        `unknown output option "${item}"`,
        EXIT.usage,
        'supported: subformat=fixed|dynamic (vhd)',
      );
    }
    out.subformat = value;
  }
  return out;
}

/** Maps library failures to exit codes: refusals are 3, everything else about files is 4. */
async function withIoErrors<T>(file: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof CliError) throw err;
    if (err instanceof UnsafeImageError) {
      const codes = err.reasons.map((r) => r.code).join(', ');
      throw new CliError(
        `${file} is refused: ${codes}`,
        EXIT.refused,
        err.reasons.map((r) => `${r.code}: ${r.message}`).join('; '),
      );
    }
    if (err instanceof FormatError) {
      const fix =
        err.code === 'UNSUPPORTED_SUBFORMAT' ? 'use -o subformat=fixed or dynamic' : undefined;
      const exit = err.code === 'UNSUPPORTED_SUBFORMAT' ? EXIT.usage : EXIT.refused;
      throw new CliError(`${file}: ${err.code}: ${err.message}`, exit, fix);
    }
    const e = err as NodeJS.ErrnoException;
    throw new CliError(
      `${e.code ?? 'I/O error'}: ${e.message}`,
      EXIT.io,
      'check the paths and free space',
    );
  }
}

function toJson(r: InspectResult) {
  return {
    format: r.format,
    subformat: r.subformat,
    virtualSize: r.virtualSize,
    actualSize: r.actualSize,
    allocatedSize: r.allocatedSize,
    clusterSize: r.clusterSize,
    features: r.features,
    partitionTable: r.partitionTable,
    safe: r.safe,
    reasons: r.reasons.map((x) => x.code),
    details: r.reasons,
  };
}

function describe(file: string, r: InspectResult): string {
  const lines = [
    `image: ${file}`,
    `format: ${r.format}${r.subformat ? ` (${r.subformat})` : ''}`,
    `virtual size: ${human(r.virtualSize)} (${r.virtualSize} bytes)`,
    `file size: ${human(r.actualSize)} (${r.actualSize} bytes)`,
  ];
  if (r.allocatedSize !== undefined) lines.push(`allocated: ${human(r.allocatedSize)}`);
  if (r.clusterSize) lines.push(`cluster size: ${r.clusterSize}`);
  if (r.features.length) lines.push(`features: ${r.features.join(', ')}`);
  if (r.partitionTable) lines.push(`partition table: ${r.partitionTable}`);
  lines.push(`safe: ${r.safe ? 'yes' : 'no'}`);
  for (const x of r.reasons) lines.push(`  refused: ${x.code}: ${x.message}`);
  return `${lines.join('\n')}\n`;
}

function human(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${u === 0 ? v : v.toFixed(1)} ${units[u]}`;
}

/** A one-line bar redrawn at most ten times a second. */
function progressBar(out: NodeJS.WritableStream) {
  const WIDTH = 30;
  let last = 0;
  let shown = false;
  const draw = (done: number, total: number) => {
    const frac = total > 0 ? Math.min(1, done / total) : 1;
    const fill = Math.round(frac * WIDTH);
    out.write(
      `\r[${'#'.repeat(fill)}${'.'.repeat(WIDTH - fill)}] ${(frac * 100).toFixed(0).padStart(3)}%` +
        ` ${human(done)} / ${human(total)}`,
    );
    shown = true;
  };
  let lastTotal = 0;
  return {
    update: (done: number, total: number) => {
      lastTotal = total;
      const now = Date.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw(done, total);
    },
    done: () => {
      draw(lastTotal, lastTotal);
      out.write('\n');
    },
    abandon: () => {
      if (shown) out.write('\n');
    },
  };
}
