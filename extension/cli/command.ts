/**
 * The contract every `switchyard` sub-command follows. A command parses its own arguments with
 * {@link parseCommandArgs}, returns its exit code, and throws {@link UsageError} for bad usage
 * (exit 2, with a hint) or any other Error for a failure (exit 1, its message printed).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { parseArgs, type ParseArgsConfig } from "node:util";
import { parseSettings, type SwitchyardSettings } from "../core/settings";

/** What a command may touch of the outside world; tests pass their own. */
export interface CliIO {
  stdout(text: string): void;
  stderr(text: string): void;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Asks a yes/no question on the terminal; false when there is no terminal to ask on. */
  confirm(question: string): Promise<boolean>;
  /** Aborted on SIGINT/SIGTERM, for long-running commands such as `serve`. */
  signal: AbortSignal;
}

/** A sub-command such as `hosts` or `ca`. */
export interface CliCommand {
  name: string;
  /** One line for the top-level help. */
  summary: string;
  /** The full `switchyard NAME --help` text. */
  help: string;
  run(argv: string[], io: CliIO): Promise<number>;
}

/** Bad usage: an unknown flag, a missing argument. Exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly command?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>;

/** `node:util` parseArgs with its errors turned into {@link UsageError}s that name the command. */
export function parseCommandArgs<O extends OptionSpec>(
  command: string,
  argv: string[],
  options: O,
): {
  values: {
    [K in keyof O]?: O[K] extends { multiple: true }
      ? O[K] extends { type: "string" }
        ? string[]
        : boolean[]
      : O[K] extends { type: "string" }
        ? string
        : boolean;
  };
  positionals: string[];
} {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as never, positionals };
  } catch (e) {
    const message = (e as Error).message.replace(/\. To specify a positional argument.*$/s, "");
    throw new UsageError(message, command);
  }
}

/** A settings file larger than this is refused before it is read (real ones are a few KB). */
export const MAX_CONFIG_BYTES = 1024 * 1024;

/**
 * Reads `--config FILE` (a JSON object of `switchyard.*` keys) into typed settings; problems go to
 * stderr. A file that is not a regular file, is over {@link MAX_CONFIG_BYTES}, or does not hold a
 * JSON object is refused before anything starts.
 */
export function loadSettings(configPath: string | undefined, io: CliIO): SwitchyardSettings {
  if (!configPath) return parseSettings({}).settings;
  let raw: unknown;
  try {
    raw = JSON.parse(readBounded(configPath));
  } catch (e) {
    throw new Error(`cannot read settings from ${configPath}: ${(e as Error).message}`);
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new Error(
      `${configPath} holds ${Array.isArray(raw) ? "a JSON array" : raw === null ? "null" : `a JSON ${typeof raw}`}; ` +
        `settings must be a JSON object of switchyard.* keys, e.g. {"switchyard.proxy.listen": ["localhost:8443"]}`,
    );
  const { settings, problems } = parseSettings(raw);
  for (const p of problems) io.stderr(`warning: ${configPath}: ${p.key} ${p.message}\n`);
  return settings;
}

/** The file's text, refusing what is not a regular file or is larger than {@link MAX_CONFIG_BYTES}. */
function readBounded(path: string): string {
  const fd = openSync(path, "r");
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new Error("it is not a regular file");
    if (info.size > MAX_CONFIG_BYTES)
      throw new Error(`it is ${info.size} bytes; a settings file may be at most ${MAX_CONFIG_BYTES} bytes`);
    // Read at most one byte past the cap, in case the file grew after the stat.
    const buf = Buffer.alloc(MAX_CONFIG_BYTES + 1);
    let length = 0;
    for (let n = 1; n > 0 && length < buf.length; length += n) n = readSync(fd, buf, length, buf.length - length, null);
    if (length > MAX_CONFIG_BYTES) throw new Error(`it is over ${MAX_CONFIG_BYTES} bytes`);
    return buf.toString("utf8", 0, length);
  } finally {
    closeSync(fd);
  }
}
