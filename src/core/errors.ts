/**
 * Exit codes that mean something, shared by every command.
 * Scripts can tell "the analysis found something" from "you called it wrong"
 * from "this machine cannot do it".
 */
export const ExitCode = {
  ok: 0,
  /** The command ran but its answer is negative or invalid (e.g. a baseline run that fails). */
  failed: 1,
  /** Wrong command line: unknown option, missing argument. */
  usage: 2,
  /** Bad input: missing binary, script not executable, corrupt database, unknown application. */
  badInput: 3,
  /** The machine lacks something: a tool, privileges, a Docker engine, an architecture. */
  environment: 4,
  /** Interrupted by Ctrl-C (128 + SIGINT). */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error meant for the user: what went wrong, and how to fix it. Never printed with a stack trace. */
export class LoupeError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue = ExitCode.badInput,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'LoupeError';
  }
}
