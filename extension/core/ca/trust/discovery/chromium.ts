/**
 * Where Chromium-family browsers on Linux keep their NSS database. Since M146 Chromium opens
 * $XDG_DATA_HOME/pki/nssdb (default ~/.local/share/pki/nssdb), except when ~/.pki/nssdb exists:
 * then it keeps using that one. Snap Chromium applies the same rule inside ~/snap/chromium/current;
 * a flatpak's XDG_DATA_HOME is ~/.var/app/<id>/data. (Chromium on macOS and Windows uses the OS store.)
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import type { CommandRunner } from "../types";
import type { NssClient, NssLocation } from "./nssClient";

/** Chromium-family programs that read the per-user NSS database. */
export const CHROMIUM_PROGRAMS = [
  "chromium",
  "chromium-browser",
  "google-chrome",
  "google-chrome-stable",
  "google-chrome-beta",
  "google-chrome-unstable",
  "microsoft-edge",
  "microsoft-edge-stable",
  "brave-browser",
  "vivaldi-stable",
];

/** Flatpak ids of Chromium-family browsers. */
export const CHROMIUM_FLATPAKS = [
  "org.chromium.Chromium",
  "com.google.Chrome",
  "com.microsoft.Edge",
  "com.brave.Browser",
];

/** Whether an NSS database is in `dir`, and in which format. */
export function nssDbFormat(dir: string): "sql" | "dbm" | undefined {
  if (existsSync(join(dir, "cert9.db"))) return "sql";
  if (existsSync(join(dir, "cert8.db"))) return "dbm";
  return undefined;
}

function location(dir: string, why: string, creatable: boolean): NssLocation {
  const format = nssDbFormat(dir);
  return {
    dir,
    format: format ?? "sql",
    exists: format !== undefined,
    why,
    ...(creatable && !format ? { create: { kind: "db" as const } } : {}),
  };
}

/**
 * The databases a Chromium with this HOME and XDG_DATA_HOME reads: the one it opens, plus the other
 * location when a database is also there (trusting both is harmless, and untrust must find it).
 */
export function chromiumNssLocations(home: string, xdgDataHome: string | undefined): NssLocation[] {
  const legacy = join(home, ".pki", "nssdb");
  const current = join(xdgDataHome || join(home, ".local", "share"), "pki", "nssdb");
  if (existsSync(legacy)) {
    const used = [location(legacy, "the database Chromium opens (~/.pki/nssdb exists, so it keeps using it)", true)];
    return nssDbFormat(current)
      ? [...used, location(current, "a database Chromium opens when ~/.pki/nssdb is gone", false)]
      : used;
  }
  return [location(current, "the database Chromium opens (M146+; ~/.pki/nssdb does not exist)", true)];
}

/** Native Chromium, Chrome, Edge, Brave on Linux: one shared per-user database. */
export function nativeChromium(home: string, env: NodeJS.ProcessEnv, runner: CommandRunner): NssClient {
  return {
    name: "chromium",
    label: "Chromium, Chrome, Edge, Brave",
    async installed() {
      for (const program of CHROMIUM_PROGRAMS) if (await runner.which(program)) return true;
      return false;
    },
    locations: () => chromiumNssLocations(home, env.XDG_DATA_HOME),
  };
}

/** Snap Chromium: HOME and XDG_DATA_HOME live under ~/snap/chromium/current. */
export function snapChromium(home: string): NssClient {
  const snapHome = join(home, "snap", "chromium", "current");
  return {
    name: "chromium-snap",
    label: "Chromium (snap)",
    installed: async () => existsSync(snapHome),
    locations: () => (existsSync(snapHome) ? chromiumNssLocations(snapHome, undefined) : []),
  };
}

/** Flatpak Chromium-family browsers: XDG_DATA_HOME is ~/.var/app/<id>/data. */
export function flatpakChromium(home: string): NssClient {
  const apps = (): string[] =>
    CHROMIUM_FLATPAKS.map((id) => join(home, ".var", "app", id)).filter((d) => existsSync(d));
  return {
    name: "chromium-flatpak",
    label: "Chromium-family browsers (flatpak)",
    installed: async () => apps().length > 0,
    locations: () =>
      apps().map((app) => location(join(app, "data", "pki", "nssdb"), "the flatpak's own NSS database", true)),
  };
}
