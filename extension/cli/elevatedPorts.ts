/**
 * The step the VS Code extension runs with administrator rights for standard ports: `switchyard
 * ports enable|disable --yes --user UID [--port N]`, the same command as the CLI's (cli/ports.ts),
 * bundled on its own as dist/elevatedPorts.js so the VSIX needs no copy of the whole CLI.
 *
 *     node elevatedPorts.js enable|disable --user UID [--port N]
 */
import type { CliIO } from "./command";
import { runElevatedStep } from "./elevatedStep";
import { portsCommand } from "./ports";

/** Runs the elevated step with `argv` (after the script); returns the exit code. */
export async function runElevatedPorts(argv: string[], io: CliIO): Promise<number> {
  const [action] = argv;
  if (action !== "enable" && action !== "disable") {
    io.stderr("switchyard (elevated step): expected enable|disable --user UID [--port N]\n");
    return 2;
  }
  try {
    // Consent was given in VS Code's dialog before the elevation prompt.
    return await portsCommand.run([...argv, "--yes"], io);
  } catch (e) {
    io.stderr(`switchyard ports ${action}: ${(e as Error).message}\n`);
    return 1;
  }
}

/** The bundle's entry: runs with the process's arguments and exits with the step's code. */
export function main(): void {
  runElevatedStep(runElevatedPorts, (e) => `switchyard (elevated step): ${String(e)}\n`);
}

if (require.main === module) main();
