/** The real {@link CommandRunner}: execFile with argv arrays, so no user input ever reaches a shell. */
import { execFile } from "node:child_process";
import { accessSync, constants } from "node:fs";
import { delimiter, join } from "node:path";
import type { CommandResult, CommandRunner } from "./types";

/** A runner over node:child_process; `env` is the base environment (default: this process's). */
export function execFileRunner(env: NodeJS.ProcessEnv = process.env): CommandRunner {
  return {
    run(file, args, options = {}) {
      return new Promise<CommandResult>((resolve) => {
        const child = execFile(
          file,
          args,
          { env: { ...env, ...options.env }, maxBuffer: 16 * 1024 * 1024, windowsHide: true },
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
