/**
 * Runs the CLI in-process with captured streams, as a user would run `bin/ecsimg …`, against a
 * HOME of its own so profiles never touch the developer's ~/.ecsimg.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { runCli } from '../../src/cli/main.js';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

class Capture extends PassThrough {
  text = '';
  constructor() {
    super();
    this.on('data', (chunk: Buffer) => (this.text += chunk.toString('utf8')));
  }
}

export function tempHome(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'ecsimg-home-'));
}

/**
 * @example
 *   const r = await cli(['DescribeRegions', '--data-dir', dir], { ECSIMG_ENDPOINT: url });
 */
export async function cli(
  argv: string[],
  env: NodeJS.ProcessEnv = {},
  stdinText?: string,
): Promise<CliResult> {
  const stdout = new Capture();
  const stderr = new Capture();
  const stdin = new PassThrough();
  if (stdinText !== undefined) stdin.end(stdinText);

  const code = await runCli(argv, {
    stdout,
    stderr,
    stdin,
    env: { HOME: env.HOME ?? tempHome(), LANG: 'C', ...env },
  });
  // Let the PassThrough streams deliver what was written.
  await new Promise((resolve) => setImmediate(resolve));
  return { code, stdout: stdout.text, stderr: stderr.text };
}
