/** Where the OS keeps its hosts file, and where Switchyard keeps its own data (backups). */
import { homedir } from "node:os";
import { posix, win32 } from "node:path";

/** The OS hosts file: `/etc/hosts`, or `%SystemRoot%\System32\drivers\etc\hosts` on Windows. */
export function osHostsFilePath(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (platform !== "win32") return "/etc/hosts";
  const root = env.SystemRoot ?? env.SYSTEMROOT ?? env.windir ?? "C:\\Windows";
  return win32.join(root, "System32", "drivers", "etc", "hosts");
}

/**
 * Switchyard's per-user data directory: `SWITCHYARD_DATA_DIR` if set, else `%LOCALAPPDATA%\Switchyard`,
 * `~/Library/Application Support/Switchyard`, or `$XDG_DATA_HOME/switchyard` (`~/.local/share/switchyard`).
 */
export function switchyardDataDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
  home: string = homedir(),
): string {
  if (env.SWITCHYARD_DATA_DIR) return env.SWITCHYARD_DATA_DIR;
  if (platform === "win32") return win32.join(env.LOCALAPPDATA ?? win32.join(home, "AppData", "Local"), "Switchyard");
  if (platform === "darwin") return posix.join(home, "Library", "Application Support", "Switchyard");
  return posix.join(env.XDG_DATA_HOME ?? posix.join(home, ".local", "share"), "switchyard");
}
