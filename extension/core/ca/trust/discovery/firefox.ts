/**
 * Every NSS database Firefox reads: each profile listed in each profiles.ini. Firefox 153 on Linux
 * keeps profiles in ~/.mozilla/firefox when that folder exists, else in $XDG_CONFIG_HOME/mozilla/firefox
 * (default ~/.config/mozilla/firefox); snap and flatpak builds have their own roots; macOS uses
 * ~/Library/Application Support/Firefox. A profile folder without cert9.db gets one (Firefox opens
 * an existing database), and an installed Firefox without any profile gets a new profile it adopts.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import type { CommandRunner } from "../types";
import { nssDbFormat } from "./chromium";
import type { NssClient, NssLocation } from "./nssClient";
import { parseProfilesIni } from "./profilesIni";

/** Firefox programs on Linux. */
export const FIREFOX_PROGRAMS = ["firefox", "firefox-esr", "firefox-developer-edition", "firefox-nightly"];

/** Profile folders of one profiles root: those in profiles.ini, and any other folder holding a database. */
export function firefoxProfileDirs(root: string): string[] {
  const dirs: string[] = [];
  try {
    for (const p of parseProfilesIni(readFileSync(join(root, "profiles.ini"), "utf8"), root))
      if (existsSync(p.dir)) dirs.push(p.dir);
  } catch {
    // no profiles.ini: only the scan below
  }
  let entries: string[] = [];
  try {
    entries = readdirSync(root);
  } catch {
    return dirs;
  }
  for (const entry of entries) {
    const dir = join(root, entry);
    if (!dirs.includes(dir) && nssDbFormat(dir)) dirs.push(dir);
  }
  return dirs;
}

/** The databases of every profile under `roots`; when `seedRoot` has no profile yet, a new profile there. */
export function firefoxNssLocations(roots: string[], seed?: { root: string; installDir?: string }): NssLocation[] {
  const out: NssLocation[] = [];
  for (const root of roots) {
    for (const dir of firefoxProfileDirs(root)) {
      const format = nssDbFormat(dir);
      out.push({
        dir,
        format: format ?? "sql",
        exists: format !== undefined,
        why: `Firefox profile in ${root}`,
        ...(format ? {} : { create: { kind: "db" as const } }),
      });
    }
  }
  if (seed && !existsSync(join(seed.root, "profiles.ini")) && !out.some((l) => l.dir.startsWith(seed.root + "/"))) {
    out.push({
      dir: join(seed.root, "<new profile>"),
      format: "sql",
      exists: false,
      why: seed.installDir
        ? `the profile Firefox will use on its first launch (${seed.root} has none yet)`
        : `a first profile in ${seed.root}; Firefox's install folder was not found, so if Firefox makes a profile of its own on first launch, run switchyard ca trust again`,
      create: { kind: "firefox-profile", seed: { profilesRoot: seed.root, installDir: seed.installDir } },
    });
  }
  return out;
}

/** Where distributions install Firefox when /usr/bin/firefox is a wrapper script (Fedora, Arch, tarballs). */
export const FIREFOX_INSTALL_DIRS = ["/usr/lib/firefox", "/usr/lib64/firefox", "/usr/lib/firefox-esr", "/opt/firefox"];

/** The install folder of a Firefox program (the binary's real folder, which holds browser/). */
export function firefoxInstallDir(program: string): string | undefined {
  try {
    const dir = dirname(realpathSync(program));
    if (existsSync(join(dir, "browser"))) return dir;
  } catch {
    // a dangling link: try the usual folders
  }
  return FIREFOX_INSTALL_DIRS.find((d) => existsSync(join(d, "browser")));
}

/** Native Firefox on Linux or macOS. */
export function nativeFirefox(
  home: string,
  env: NodeJS.ProcessEnv,
  runner: CommandRunner,
  platform: NodeJS.Platform,
): NssClient {
  if (platform === "darwin") {
    const root = join(home, "Library", "Application Support", "Firefox");
    const app = "/Applications/Firefox.app";
    return {
      name: "firefox",
      label: "Firefox",
      installed: async () => existsSync(app),
      locations: () =>
        firefoxNssLocations(
          [root, join(root, "Profiles")],
          existsSync(app) ? { root, installDir: undefined } : undefined,
        ),
    };
  }
  const legacy = join(home, ".mozilla", "firefox");
  const xdg = join(env.XDG_CONFIG_HOME || join(home, ".config"), "mozilla", "firefox");
  let program: string | undefined;
  return {
    name: "firefox",
    label: "Firefox",
    async installed() {
      for (const p of FIREFOX_PROGRAMS) if ((program = await runner.which(p))) return true;
      return false;
    },
    locations() {
      // Firefox uses the old root while it exists, so a first profile goes there; else into XDG.
      const used = existsSync(legacy) ? legacy : xdg;
      const seed = program ? { root: used, installDir: firefoxInstallDir(program) } : undefined;
      return firefoxNssLocations([legacy, xdg], seed);
    },
  };
}

/** Snap Firefox (Ubuntu's default): profiles under ~/snap/firefox/common/.mozilla/firefox. */
export function snapFirefox(home: string): NssClient {
  const snap = join(home, "snap", "firefox");
  return {
    name: "firefox-snap",
    label: "Firefox (snap)",
    installed: async () => existsSync(snap),
    locations: () => firefoxNssLocations([join(snap, "common", ".mozilla", "firefox")]),
  };
}

/** Flatpak Firefox: profiles under ~/.var/app/org.mozilla.firefox. */
export function flatpakFirefox(home: string): NssClient {
  const app = join(home, ".var", "app", "org.mozilla.firefox");
  return {
    name: "firefox-flatpak",
    label: "Firefox (flatpak)",
    installed: async () => existsSync(app),
    locations: () => firefoxNssLocations([join(app, ".mozilla", "firefox"), join(app, "config", "mozilla", "firefox")]),
  };
}
