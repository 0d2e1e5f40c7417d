/**
 * What the bundles VS Code runs with administrator rights (elevatedTrust.js, elevatedPorts.js)
 * share: their entry, with the process's own output and arguments. Consent was given in VS Code's
 * dialog before the elevation prompt, so nothing here asks (`confirm` answers no).
 */
import type { CliIO } from "./command";

/**
 * Runs `step` with the process's arguments and puts its exit code into process.exitCode; an
 * error thrown out of it prints `crashed(error)` on stderr and exits 1.
 */
export function runElevatedStep(
  step: (argv: string[], io: CliIO) => Promise<number>,
  crashed: (e: unknown) => string,
): void {
  const io: CliIO = {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
    signal: new AbortController().signal,
    confirm: async () => false,
  };
  step(process.argv.slice(2), io).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(crashed(e));
      process.exitCode = 1;
    },
  );
}
