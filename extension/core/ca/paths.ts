/** Where the CA lives on disk: the directory resolution and the file layout inside it. */
import { homedir } from "node:os";
import { join } from "node:path";

/** File names inside a CA directory. */
export const CA_FILES = {
  meta: "ca.json",
  root: "root.pem",
  rootKey: "root-key.pem",
  intermediate: "intermediate.pem",
  intermediateKey: "intermediate-key.pem",
  leaves: "leaves",
} as const;

/** What decides the CA directory; every field is injectable for tests. */
export interface CaDirInputs {
  /** `--ca-dir` or `switchyard.ca.directory`. */
  explicit?: string;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
}

/**
 * The CA directory: the explicit one, else $SWITCHYARD_CAROOT, else the per-user data directory
 * ($XDG_DATA_HOME or ~/.local/share on Linux, ~/Library/Application Support on macOS,
 * %LOCALAPPDATA% on Windows), always outside any workspace.
 */
export function resolveCaDir(inputs: CaDirInputs = {}): string {
  const env = inputs.env ?? process.env;
  if (inputs.explicit) return inputs.explicit;
  if (env.SWITCHYARD_CAROOT) return env.SWITCHYARD_CAROOT;
  const home = inputs.home ?? homedir();
  switch (inputs.platform ?? process.platform) {
    case "darwin":
      return join(home, "Library", "Application Support", "switchyard", "ca");
    case "win32":
      return join(env.LOCALAPPDATA ?? join(home, "AppData", "Local"), "switchyard", "ca");
    default:
      return join(env.XDG_DATA_HOME || join(home, ".local", "share"), "switchyard", "ca");
  }
}

/** The on-disk file base for a leaf: "*" becomes "_wildcard", ":" (IPv6) becomes "_". */
export function leafFileBase(firstName: string): string {
  return firstName.replace(/\*/g, "_wildcard").replace(/[:/\\]/g, "_");
}
