/**
 * The one shape of "run a program" in the core: an argv array (never a shell string) in, how it
 * ended out. Trust stores, the hosts cache flush and the CA checks take a runner, so tests record
 * command lines where a real program cannot run here (macOS keychain, Windows store).
 */

/** What a finished command returned; a program that could not start is exit code 127. */
export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs programs with an argv array (never a shell string). */
export interface CommandRunner {
  run(file: string, args: string[], options?: { env?: NodeJS.ProcessEnv; input?: string }): Promise<CommandResult>;
  /** The full path of `program` on PATH, or undefined. */
  which(program: string): Promise<string | undefined>;
}
