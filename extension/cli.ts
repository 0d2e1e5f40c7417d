/**
 * The `switchyard` command: the same core as the extension, for terminals, scripts and tests.
 * Exit codes: 0 success, 1 failure (message on stderr), 2 usage error (with a hint).
 */
import { constants } from "node:os";
import { createInterface } from "node:readline/promises";
import { UsageError, type CliCommand, type CliIO } from "./cli/command";
import { caCommand } from "./cli/ca";
import { hostsCommand } from "./cli/hosts";
import { portsCommand } from "./cli/ports";
import { probeCommand } from "./cli/probe";
import { runCommand } from "./cli/run";
import { serveCommand } from "./cli/serve";

export const COMMANDS: CliCommand[] = [serveCommand, runCommand, hostsCommand, caCommand, portsCommand, probeCommand];

export const TOP_HELP = `switchyard: local development networking (hosts mappings, a local CA, a sniffing HTTPS dev proxy)

Usage: switchyard <command> [options]

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(8)}${c.summary}`).join("\n")}

Options:
  -h, --help     show help (also: switchyard <command> --help)
  -V, --version  print the version

Settings come from --config FILE (a JSON object of switchyard.* keys, as in .vscode/settings.json);
flags override them. Exit codes: 0 ok, 1 failure, 2 usage error.
`;

/** Runs the CLI with the given arguments and returns the exit code; never exits the process itself. */
export async function runCli(argv: string[], io: CliIO): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined || first === "-h" || first === "--help" || first === "help") {
    if (first === "help" && rest[0]) return runCli([rest[0], "--help"], io);
    io.stdout(TOP_HELP);
    return first === undefined ? 2 : 0;
  }
  if (first === "-V" || first === "--version") {
    io.stdout(`${VERSION}\n`);
    return 0;
  }
  const command = COMMANDS.find((c) => c.name === first);
  if (!command) {
    io.stderr(
      `switchyard: unknown command "${first}"\nRun "switchyard --help" to see the commands: ${COMMANDS.map((c) => c.name).join(", ")}.\n`,
    );
    return 2;
  }
  // Flags after "--" belong to the command `run` starts, not to switchyard.
  const ownArgs = rest.includes("--") ? rest.slice(0, rest.indexOf("--")) : rest;
  if (ownArgs.includes("-h") || ownArgs.includes("--help")) {
    io.stdout(command.help);
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.stderr(`switchyard ${command.name}: ${e.message}\nRun "switchyard ${command.name} --help" for usage.\n`);
      return 2;
    }
    const err = e as Error;
    io.stderr(`switchyard ${command.name}: ${err.message || String(e)}\n`);
    if (io.env.SWITCHYARD_DEBUG) io.stderr(`${err.stack ?? ""}\n`);
    return 1;
  }
}

declare const __SWITCHYARD_VERSION__: string | undefined;
const VERSION = typeof __SWITCHYARD_VERSION__ === "string" ? __SWITCHYARD_VERSION__ : "dev";

function processIO(signal: AbortSignal): CliIO {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    cwd: process.cwd(),
    env: process.env,
    signal,
    async confirm(question) {
      if (!process.stdin.isTTY) return false;
      const rl = createInterface({ input: process.stdin, output: process.stderr });
      try {
        const answer = await rl.question(`${question} [y/N] `);
        return /^y(es)?$/i.test(answer.trim());
      } finally {
        rl.close();
      }
    },
  };
}

/** Runs the CLI as a process: arguments from argv, exit code into process.exitCode. */
export function main(): void {
  const controller = new AbortController();
  // The signal's name is the abort reason, so `run` can pass the same signal on to its command.
  // A second signal must not skip the clean-up (a `once` listener would let Node's default end the
  // process at once, leaving `run`'s dev server or `serve`'s state behind): commands clean up on
  // the first, `run` kills its process group at once on the second, and only a third forces exit.
  let received = 0;
  const stop = (signal: NodeJS.Signals): void => {
    received += 1;
    if (received === 1) controller.abort(signal);
    else if (received >= 3) {
      process.stderr.write(`switchyard: ${signal} a third time: exiting without finishing the clean-up\n`);
      process.exit(128 + (constants.signals[signal] ?? 0));
    }
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  process.on("SIGHUP", stop);
  runCli(process.argv.slice(2), processIO(controller.signal)).then(
    (code) => {
      process.exitCode = code;
      process.removeListener("SIGINT", stop);
      process.removeListener("SIGTERM", stop);
      process.removeListener("SIGHUP", stop);
    },
    (e: unknown) => {
      process.stderr.write(`switchyard: ${String(e)}\n`);
      process.exitCode = 1;
    },
  );
}

if (require.main === module) main();
