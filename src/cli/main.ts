/**
 * The `ecsimg` command line: server processes (`serve`, `worker`), administration (`accounts`),
 * disk tools (`image inspect|convert`), and a client for every API action.
 */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/index.js';
import { registerAccountCommands } from './accounts.js';
import { isActionInvocation, runActionCommand } from './client/action-command.js';
import { registerConfigureCommand } from './configure.js';
import { registerExplainCommands } from './explain.js';
import { registerGcCommand } from './gc.js';
import { registerImageCommands } from './image.js';
import { registerImportCommand } from './import.js';
import { CliError, EXIT, type CliIo } from './io.js';
import { registerOssCommands } from './oss.js';
import { registerRoleCommands } from './roles.js';
import { registerServeCommands } from './serve.js';
import { registerWorkerCommands } from './worker.js';

export function buildProgram(io: CliIo): Command {
  const program = new Command('ecsimg')
    .description('Self-hosted custom VM image service speaking the Alibaba Cloud ECS image API')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .exitOverride();

  registerServeCommands(program, io);
  registerWorkerCommands(program, io);
  registerAccountCommands(program, io);
  registerConfigureCommand(program, io);
  registerExplainCommands(program, io);
  registerOssCommands(program, io);
  registerRoleCommands(program, io);
  registerGcCommand(program, io);
  registerImageCommands(program, io);
  registerImportCommand(program, io);
  program.addHelpText(
    'after',
    '\nAny API action: ecsimg <Action> --Param value … (e.g. ecsimg DescribeRegions).\n' +
      '`ecsimg actions` lists them; `ecsimg <Action> --help` shows their parameters.',
  );
  return program;
}

/** Runs the CLI and resolves to the exit code (the process is not exited here). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const program = buildProgram(io);
  try {
    // `ecsimg DescribeImages --RegionId …`: arbitrary PascalCase options, parsed by hand.
    if (isActionInvocation(argv)) return await runActionCommand(argv, io);
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliError) {
      io.stderr.write(`error: ${err.message}\n`);
      if (err.fix) io.stderr.write(`fix: ${err.fix}\n`);
      return err.exitCode;
    }
    if (err instanceof ConfigError) {
      io.stderr.write(`error: ${err.message}\n`);
      return EXIT.usage;
    }
    io.stderr.write(`error: ${(err as Error).stack ?? String(err)}\n`);
    return EXIT.failure;
  }
}
