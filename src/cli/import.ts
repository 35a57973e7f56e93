/**
 * `ecsimg import FILE --bucket B --name N [--region R]`: the whole import from a local disk file
 * in one command. Uploads the file into the bucket (as `oss cp` does, with a progress bar), calls
 * ImportImage, then follows the task through DescribeTaskAttribute with a progress bar until the
 * image is Available (exit 0) or the task fails or is cancelled (exit 1, with the task's reason).
 * Everything goes through the server's HTTP API, so it works against a remote server.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { addClientOptions, connect, type ClientFlags } from './client/connection.js';
import { withApiErrors } from './client/failure.js';
import type { ApiClient, ResponseBody } from './client/http-client.js';
import { CliError, EXIT, type CliIo } from './io.js';
import { uploadFile } from './oss-upload.js';

interface ImportFlags extends ClientFlags {
  bucket: string;
  name: string;
  key?: string;
  format?: string;
  description?: string;
  wait: boolean;
  pollMs: string;
}

const FORMATS = ['RAW', 'QCOW2', 'VHD', 'VMDK'];

/** The single operation of a task, where its outcome and reason are. */
function operationOf(body: ResponseBody): Record<string, unknown> {
  const set = body.OperationProgressSet as { OperationProgress?: Array<Record<string, unknown>> };
  return set?.OperationProgress?.[0] ?? {};
}

/** Polls DescribeTaskAttribute until the task ends, drawing its progress on stderr. */
async function followTask(
  io: CliIo,
  client: ApiClient,
  region: string,
  taskId: string,
  pollMs: number,
): Promise<ResponseBody> {
  let drawn = '';
  for (;;) {
    const body = await client.callAction('DescribeTaskAttribute', {
      RegionId: region,
      TaskId: taskId,
    });
    const percent = Math.max(0, Math.min(100, parseInt(String(body.TaskProcess), 10) || 0));
    const line =
      `\rimport ${taskId} [${'#'.repeat(Math.floor(percent / 4)).padEnd(25)}] ` +
      `${String(percent).padStart(3)}% ${String(body.TaskStatus)}`;
    if (line !== drawn) io.stderr.write(line);
    drawn = line;
    if (!['Waiting', 'Processing'].includes(String(body.TaskStatus))) {
      io.stderr.write('\n');
      return body;
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

export function registerImportCommand(program: Command, io: CliIo): void {
  addClientOptions(
    program
      .command('import <file>')
      .description('upload a local disk file into a bucket and import it as a custom image')
      .requiredOption('--bucket <bucket>', 'bucket to upload into (in the same region)')
      .requiredOption('--name <name>', 'image name')
      .option('--key <key>', 'object key (default: the file name)')
      .option('--format <format>', `${FORMATS.join(', ')}; detected from the content if absent`)
      .option('--description <text>', 'image description')
      .option('--no-wait', 'return after ImportImage instead of following the task')
      .option('--poll-ms <ms>', 'how often to ask for the task progress', '1000'),
  ).action(async (file: string, flags: ImportFlags) => {
    const format = flags.format?.toUpperCase();
    if (format && !FORMATS.includes(format)) {
      throw new CliError(
        `--format ${flags.format} is not one of ${FORMATS.join(', ')}`,
        EXIT.usage,
      );
    }
    const pollMs = Number(flags.pollMs);
    if (!Number.isInteger(pollMs) || pollMs < 10) {
      throw new CliError(
        '--poll-ms takes a whole number of milliseconds (at least 10)',
        EXIT.usage,
      );
    }
    const { client, lang, region } = connect(io, flags);
    await withApiErrors(lang, async () => {
      const target = await uploadFile(io, client, file, {
        bucket: flags.bucket,
        key: flags.key ?? path.basename(file),
      });
      const started = await client.callAction('ImportImage', {
        RegionId: region,
        ImageName: flags.name,
        Description: flags.description,
        DiskDeviceMapping: [{ OSSBucket: target.bucket, OSSObject: target.key, Format: format }],
      });
      const imageId = String(started.ImageId);
      const taskId = String(started.TaskId);
      io.stdout.write(`importing ${imageId} (task ${taskId})\n`);
      if (!flags.wait) return;

      const done = await followTask(io, client, region, taskId, pollMs);
      if (done.TaskStatus !== 'Finished') {
        const op = operationOf(done);
        const reason = op.ErrorCode ? `${op.ErrorCode}: ${op.ErrorMsg}` : String(done.TaskStatus);
        throw new CliError(`import of ${imageId} did not complete: ${reason}`, EXIT.failure);
      }
      io.stdout.write(`${imageId} is Available\n`);
    });
  });
}
