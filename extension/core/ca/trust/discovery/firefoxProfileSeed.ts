/**
 * A new Firefox profile written before Firefox's first launch, so that launch already trusts the root.
 * Firefox adopts an unclaimed default profile when its compatibility.ini names this install's folders
 * (otherwise it makes its own dedicated profile, and `ca trust` must run again after the first launch).
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { FirefoxProfileSeed } from "./nssClient";

/** The text of a profiles.ini that lists one default profile, `path` relative to the root. */
export function profilesIniFor(path: string): string {
  return `[General]\nStartWithLastProfile=1\nVersion=2\n\n[Profile0]\nName=default\nIsRelative=1\nPath=${path}\nDefault=1\n`;
}

/** The compatibility.ini that tells Firefox the profile was last used by the install in `installDir`. */
export function compatibilityIniFor(installDir: string): string {
  return `[Compatibility]\nLastPlatformDir=${installDir}\nLastAppDir=${join(installDir, "browser")}\n`;
}

/** Creates the profile folder and profiles.ini; returns the folder (the caller creates cert9.db in it). */
export function writeFirefoxProfile(seed: FirefoxProfileSeed): string {
  const name = `${randomBytes(6)
    .toString("base64url")
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "x")
    .slice(0, 8)}.default`;
  const dir = join(seed.profilesRoot, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (seed.installDir) writeFileSync(join(dir, "compatibility.ini"), compatibilityIniFor(seed.installDir));
  const ini = join(seed.profilesRoot, "profiles.ini");
  // Never overwrite a profiles.ini: the seed is only used when the root has no profile at all.
  if (!existsSync(ini)) writeFileSync(ini, profilesIniFor(name));
  return dir;
}
