/**
 * Self time by function of V8 CPU profiles (`node --cpu-prof`), summed over every profile given
 * (a process's main thread and its worker threads each write one).
 *
 *   node --import tsx bench/cpu-profile-summary.ts DIR_OR_FILE... [--top 30]
 *
 * Prints the share of sampled time per function (`name file:line`) and per file, which is what
 * the import/export notes in bench/README.md quote.
 */
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

function profilesIn(target: string): string[] {
  if (!fs.statSync(target).isDirectory()) return [target];
  return fs
    .readdirSync(target)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => path.join(target, f));
}

function shortUrl(url: string): string {
  const i = url.indexOf('/src/');
  if (i >= 0) return url.slice(i + 1);
  const n = url.lastIndexOf('node_modules/');
  if (n >= 0) return url.slice(n);
  return url.replace(/^file:\/\//, '') || '(native)';
}

function main(): void {
  const args = process.argv.slice(2);
  const topAt = args.indexOf('--top');
  const top = topAt >= 0 ? Number(args[topAt + 1]) : 30;
  const targets = args.filter((a, i) => !a.startsWith('--') && i !== topAt + 1);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  let total = 0;

  for (const file of targets.flatMap(profilesIn)) {
    const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;
    const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
    profile.samples.forEach((id, i) => {
      const us = profile.timeDeltas[i] ?? 0;
      const frame = nodes.get(id)!.callFrame;
      if (frame.functionName === '(idle)' || frame.functionName === '(program)') return;
      const where = shortUrl(frame.url);
      const fn = `${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`;
      byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
      byFile.set(where, (byFile.get(where) ?? 0) + us);
      total += us;
    });
  }

  const print = (title: string, map: Map<string, number>) => {
    console.log(`\n${title} (busy samples ${(total / 1e6).toFixed(2)} s)`);
    for (const [name, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      const pct = ((us / total) * 100).toFixed(1).padStart(5);
      console.log(`${pct}%  ${(us / 1e6).toFixed(2).padStart(7)} s  ${name}`);
    }
  };
  print('self time by function', byFunction);
  print('self time by file', byFile);
}

main();
