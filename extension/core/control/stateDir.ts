/**
 * The per-user folder where a running proxy's control socket lives, and the socket's path.
 * `SWITCHYARD_STATE_DIR` wins; else `$XDG_RUNTIME_DIR/switchyard` (a per-user tmpfs), else
 * `~/.local/state/switchyard`, `~/Library/Application Support/Switchyard/control`,
 * `%LOCALAPPDATA%\Switchyard\control`.
 * The folder is made 0700 and must belong to this user: the socket's safety rests on it.
 */
import { lstatSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { PIPE_POINTER_FILE } from "./pipeAddress";

/** The state folder exists but another user could reach into it. */
export class UnsafeStateDirError extends Error {
  constructor(
    readonly dir: string,
    why: string,
  ) {
    super(
      `Switchyard's state folder ${dir} ${why}, so another user could talk to your proxy; ` +
        `fix it (chmod 700 "${dir}", owned by you) or point SWITCHYARD_STATE_DIR at a private folder`,
    );
    this.name = "UnsafeStateDirError";
  }
}

/** Where the state folder is for this user and OS. */
export function stateDirFor(
  env: NodeJS.ProcessEnv,
  home: string,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.SWITCHYARD_STATE_DIR) return env.SWITCHYARD_STATE_DIR;
  // On macOS and Windows the per-user app folder is case-insensitive and also holds the CA (made
  // 0755 there), so the private folder is a subfolder of its own.
  if (platform === "win32") return join(env.LOCALAPPDATA || join(home, "AppData", "Local"), "Switchyard", "control");
  if (platform === "darwin") return join(home, "Library", "Application Support", "Switchyard", "control");
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, "switchyard");
  return join(env.XDG_STATE_HOME || join(home, ".local", "state"), "switchyard");
}

/**
 * The control address: a Unix socket in the state folder, or on Windows the file in it that names
 * the running proxy's randomly named pipe (see pipeAddress.ts).
 */
export function controlSocketPath(dir: string, platform: NodeJS.Platform = process.platform): string {
  return join(dir, platform === "win32" ? PIPE_POINTER_FILE : "control.sock");
}

/** Makes the state folder (0700) if missing, and refuses one that is not this user's alone. */
export function ensurePrivateDir(dir: string, platform: NodeJS.Platform = process.platform): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (platform === "win32") return;
  const st = lstatSync(dir);
  if (st.isSymbolicLink() || !st.isDirectory()) throw new UnsafeStateDirError(dir, "is not a plain folder");
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new UnsafeStateDirError(dir, `belongs to uid ${st.uid}`);
  if ((st.mode & 0o077) !== 0)
    throw new UnsafeStateDirError(dir, `has mode ${(st.mode & 0o777).toString(8)} (others have access)`);
}
