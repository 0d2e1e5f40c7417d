/** Where the CA lives on disk: the directory resolution and the file layout inside it. */
import { createHash } from "node:crypto";
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

/** What a leaf's file base may hold: lower-case letters, digits, ".", "-" and "_", not leading with ".". */
const SAFE_FILE_BASE = /^[a-z0-9_-][a-z0-9._-]{0,252}$/;

/**
 * The on-disk file base for a leaf: the name itself for a DNS name or IPv4 address, "*" becoming
 * "_wildcard" and ":" (IPv6) "_". Anything else (a name that is none of those, which the CA
 * refuses anyway) becomes `name-` and a hash, so no file name carries a caller's spaces, control
 * characters or path separators.
 */
export function leafFileBase(firstName: string): string {
  const base = firstName.replace(/\*/g, "_wildcard").replace(/:/g, "_");
  if (SAFE_FILE_BASE.test(base)) return base;
  return `name-${createHash("sha256").update(firstName).digest("hex").slice(0, 32)}`;
}
