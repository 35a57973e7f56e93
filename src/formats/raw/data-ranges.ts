import { spawn } from 'node:child_process';

/**
 * Where a local file holds data, via lseek(SEEK_DATA/SEEK_HOLE) — what qemu-img uses to skip
 * the holes of a sparse raw disk. Node has no lseek, so a one-line Perl program (perl-base is an
 * essential package on Debian/Ubuntu) walks the file and prints its data segments. Anything
 * unusual (no perl, an error, too many segments, a timeout) returns undefined and the reader
 * falls back to scanning every byte, which is always correct; holes are zeros by definition.
 *
 * Why keep it (measured 2026-12 on the 4 GiB virtual / 1 GiB data bench image, 2 vCPU, loaded
 * machine, same session, alternating): raw→qcow2 0.8–2.5 s with the helper vs 2.9–7.9 s without
 * (CPU 0.9–1.9 s vs 2.5–6.7 s), raw→vhd 0.9–1.0 s vs 1.8–2.1 s. Without it the reader must read
 * and compare the 3 GiB of holes; the walk itself costs one perl start (~10 ms) and a few
 * syscalls per data segment. It is never required: every failure mode above only loses speed.
 *
 * TODO(formats-lseek): replace the Perl helper if Node ever exposes SEEK_DATA (or we accept a
 * native addon); it is an optimisation only.
 */

const MAX_RANGES = 100_000;
const TIMEOUT_MS = 10_000;

const SCRIPT = `
open(my $f, '<', $ARGV[0]) or exit 2;
my $size = -s $f; my $pos = 0; my $n = 0; my $max = $ARGV[1];
while ($pos < $size) {
  my $d = sysseek($f, $pos, 3);
  if (!defined $d) { exit($!{ENXIO} ? 0 : 4); }
  my $h = sysseek($f, $d, 4);
  if (!defined $h) { exit 4; }
  print $d + 0, " ", $h + 0, "\\n";
  exit 3 if ++$n > $max;
  $pos = $h;
}
`;

export function findDataRanges(
  path: string,
  size: number,
  options: { perl?: string } = {},
): Promise<Array<[number, number]> | undefined> {
  return new Promise((resolve) => {
    let out = '';
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(options.perl ?? 'perl', ['-e', SCRIPT, path, String(MAX_RANGES)], {
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      resolve(undefined);
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.stdout!.setEncoding('utf8');
    child.stdout!.on('data', (d: string) => (out += d));
    child.on('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      if (code !== 0) return resolve(undefined);
      const ranges: Array<[number, number]> = [];
      for (const line of out.split('\n')) {
        if (!line) continue;
        const [s, e] = line.split(' ').map(Number);
        const last = ranges[ranges.length - 1];
        // Distrust anything that is not ascending, in bounds and non-overlapping.
        if (!Number.isSafeInteger(s) || !Number.isSafeInteger(e) || s < 0 || e <= s || e > size) {
          return resolve(undefined);
        }
        if (last && s < last[1]) return resolve(undefined);
        ranges.push([s, e]);
      }
      resolve(ranges);
    });
  });
}
