/** Exit codes and the one error type every command throws for an expected failure. */

/**
 * The process exit codes of `puregrad`.
 *
 * - `ok` (0): the command did what was asked.
 * - `failed` (1): a run failed (every run diverged, data missing or corrupt, verification failed).
 * - `usage` (2): bad flags, arguments or config; nothing was run or written.
 * - `interrupted` (130 = 128 + SIGINT): stopped by Ctrl-C; every file written so far is whole.
 */
export const ExitCode = {
  ok: 0,
  failed: 1,
  usage: 2,
  interrupted: 130,
} as const;

/** One of the values of {@link ExitCode}. */
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/**
 * An expected failure: its `message` is printed on stderr as it is (one readable paragraph, no
 * stack trace) and the process exits with `exitCode`. Anything else thrown is a bug and is
 * printed with its stack under `--verbose`.
 */
export class CliError extends Error {
  override readonly name = "CliError";

  constructor(
    message: string,
    readonly exitCode: ExitCode,
  ) {
    super(message);
  }
}

/** A {@link CliError} for bad flags, arguments or config (exit 2). */
export const usageError = (message: string): CliError => new CliError(message, ExitCode.usage);

/** A {@link CliError} for a run, a data check or a load that failed (exit 1). */
export const runError = (message: string): CliError => new CliError(message, ExitCode.failed);

/** The message of a thrown value (an `Error`'s message, anything else as a string). */
export const describeError = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);
