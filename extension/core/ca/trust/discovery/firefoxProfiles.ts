/**
 * The Firefox profile folders of one user, on every platform and packaging, for a command the user
 * runs by hand (the panel's "Copy the certutil command" for a Firefox that rejected the root). Each
 * profiles root is read as Trust Local CA reads it ({@link firefoxProfileDirs}: the folders
 * profiles.ini lists, and any other folder holding a certificate database); only folders that exist
 * are returned, so an empty list means this user has no Firefox profile here yet.
 */
import path from "node:path";
import { firefoxProfileDirs } from "./firefox";

/** Where Firefox keeps profiles.ini for `home` on `platform`, most common first. */
export function firefoxProfileRoots(home: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  if (platform === "win32") {
    const appData = env.APPDATA || path.win32.join(home, "AppData", "Roaming");
    const root = path.win32.join(appData, "Mozilla", "Firefox");
    return [root, path.win32.join(root, "Profiles")];
  }
  if (platform === "darwin") {
    const root = path.join(home, "Library", "Application Support", "Firefox");
    return [root, path.join(root, "Profiles")];
  }
  const flatpak = path.join(home, ".var", "app", "org.mozilla.firefox");
  return [
    path.join(home, ".mozilla", "firefox"),
    path.join(env.XDG_CONFIG_HOME || path.join(home, ".config"), "mozilla", "firefox"),
    path.join(home, "snap", "firefox", "common", ".mozilla", "firefox"),
    path.join(flatpak, ".mozilla", "firefox"),
    path.join(flatpak, "config", "mozilla", "firefox"),
  ];
}

/** Every existing Firefox profile folder of the user, each once, in the order of {@link firefoxProfileRoots}. */
export function userFirefoxProfiles(home: string, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  const dirs: string[] = [];
  for (const root of firefoxProfileRoots(home, env, platform))
    for (const dir of firefoxProfileDirs(root)) if (!dirs.includes(dir)) dirs.push(dir);
  return dirs;
}
