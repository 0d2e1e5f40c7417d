/** Firefox's profiles.ini: which profile folders a profiles root lists. Pure: text in, folders out. */
import { isAbsolute, join } from "node:path";

/** One [ProfileN] section. */
export interface FirefoxProfileEntry {
  name: string;
  /** Absolute folder of the profile. */
  dir: string;
  isDefault: boolean;
}

/** Sections of an INI file, keys as written (Firefox's own files use no quoting or continuation). */
export function parseIni(text: string): Map<string, Map<string, string>> {
  const sections = new Map<string, Map<string, string>>();
  let current: Map<string, string> | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith(";") || line.startsWith("#")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header?.[1]) {
      current = new Map();
      sections.set(header[1], current);
      continue;
    }
    const eq = line.indexOf("=");
    if (current && eq > 0) current.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return sections;
}

/** The profiles listed in `text` (the profiles.ini in `rootDir`); relative paths are resolved against it. */
export function parseProfilesIni(text: string, rootDir: string): FirefoxProfileEntry[] {
  const profiles: FirefoxProfileEntry[] = [];
  for (const [section, keys] of parseIni(text)) {
    if (!/^Profile\d+$/.test(section)) continue;
    const path = keys.get("Path");
    if (!path) continue;
    const relative = keys.get("IsRelative") !== "0" && !isAbsolute(path);
    profiles.push({
      name: keys.get("Name") ?? path,
      dir: relative ? join(rootDir, ...path.split("/")) : path,
      isDefault: keys.get("Default") === "1",
    });
  }
  return profiles;
}
