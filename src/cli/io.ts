/** The CLI's output streams, injected so commands can be tested without a terminal. */
export interface CliIo {
  /** Answers to prompts (`ecsimg configure`); process.stdin when absent. */
  stdin?: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

/** Exit codes shared by every command. */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** Input refused as unsafe or invalid (a disk file, a parameter). */
  refused: 3,
  /** Reading or writing failed (files, network). */
  io: 4,
} as const;

/** A failure the CLI prints as its cause and fix, then exits with `exitCode`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
    readonly fix?: string,
  ) {
    super(message);
  }
}
