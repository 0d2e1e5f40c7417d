/**
 * The one shape of "run a program" in the core: an argv array (never a shell string) in, how it
 * ended out. Trust stores, the hosts cache flush and the CA checks take a runner, so tests record
 * command lines where a real program cannot run here (macOS keychain, Windows store).
 */
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";

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

/**
 * The real runner: execFile with argv arrays, so no user input ever reaches a shell. `env` is the
 * base environment (default: this process's); `timeoutMs` kills a program that takes longer.
 */
export function execFileRunner(env: NodeJS.ProcessEnv = process.env, timeoutMs?: number): CommandRunner {
  return {
    run(file, args, options = {}) {
      return new Promise<CommandResult>((resolve) => {
        const child = execFile(
          file,
          args,
          {
            env: { ...env, ...options.env },
            maxBuffer: 16 * 1024 * 1024,
            windowsHide: true,
            ...(timeoutMs !== undefined ? { timeout: timeoutMs } : {}),
          },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === "number" ? error.code : 127) : 0;
            resolve({
              code,
              stdout: String(stdout),
              stderr: String(stderr) || (code === 127 ? (error?.message ?? "") : ""),
            });
          },
        );
        if (options.input !== undefined) child.stdin?.end(options.input);
      });
    },
    async which(program) {
      const exts = process.platform === "win32" ? ["", ".exe", ".cmd"] : [""];
      for (const dir of (env.PATH ?? "").split(delimiter)) {
        for (const ext of exts) {
          const candidate = join(dir, program + ext);
          try {
            accessSync(candidate, constants.X_OK);
            return candidate;
          } catch {
            // not here
          }
        }
      }
      return undefined;
    },
  };
}
