/**
 * The state file `enable` writes for one user: /etc/switchyard/ports-UID.json on Linux and macOS
 * (%ProgramData%\Switchyard on Windows). It is owned by root and world-readable, so the user's
 * unprivileged proxy, `switchyard run` and the extension can tell that ports 443 and 80 are meant
 * to reach their proxy port without privilege (only root can write it, so another user cannot
 * claim it); `status` then checks with a real connection (reach.ts). It also lists what `enable`
 * created, so `disable` removes exactly that.
 */
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/** What enable wrote down. */
export interface PortsState {
  version: 1;
  mechanism: string;
  uid: number;
  targetPort: number;
  /** Files enable wrote (removed by disable). */
  files: string[];
  /** Folders enable created because they were missing (removed by disable when empty), deepest last. */
  createdDirs: string[];
  /** macOS: the pf enable reference `pfctl -E` returned, released by disable. */
  pfToken?: string;
}

/** The folder of the state files and the mechanism's own files. */
export function stateDir(platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string {
  if (platform === "win32") return join(env.ProgramData ?? "C:\\ProgramData", "Switchyard");
  return "/etc/switchyard";
}

/** The state file of `uid`. */
export function statePath(uid: number, platform: NodeJS.Platform = process.platform): string {
  return platform === "win32"
    ? join(stateDir(platform), `ports-${uid}.json`)
    : `${stateDir(platform)}/ports-${uid}.json`;
}

/** Parses a state file's text; undefined when it is not one (a file no one should trust). Pure. */
export function parseState(text: string): PortsState | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const isPort = (p: unknown): p is number => Number.isInteger(p) && (p as number) > 0 && (p as number) < 65536;
  const strings = (a: unknown): a is string[] => Array.isArray(a) && a.every((s) => typeof s === "string");
  if (v.version !== 1 || typeof v.mechanism !== "string" || !Number.isInteger(v.uid) || !isPort(v.targetPort))
    return undefined;
  if (!strings(v.files) || !strings(v.createdDirs)) return undefined;
  return {
    version: 1,
    mechanism: v.mechanism,
    uid: v.uid as number,
    targetPort: v.targetPort,
    files: v.files,
    createdDirs: v.createdDirs,
    ...(typeof v.pfToken === "string" ? { pfToken: v.pfToken } : {}),
  };
}

/** The text enable writes. Pure. */
export function formatState(state: PortsState): string {
  return `${JSON.stringify(state, null, 2)}\n`;
}

/**
 * The state of `uid`, or undefined. A file not owned by root (or by the user on Windows, where the
 * proxy binds 443 itself) is ignored: only the administrator's step may say the ports are ours.
 */
export function readState(uid: number, path = statePath(uid)): PortsState | undefined {
  try {
    if (process.platform !== "win32" && statSync(path).uid !== 0) return undefined;
    const state = parseState(readFileSync(path, "utf8"));
    return state?.uid === uid ? state : undefined;
  } catch {
    return undefined;
  }
}

/** The current user's uid (-1 where the OS has none: Windows). */
export function currentUid(): number {
  return process.getuid?.() ?? -1;
}

let cached: { uid: number; at: number; port: number | undefined } | undefined;

/**
 * The port that 443 and 80 are redirected to for `uid`, per its state file, re-read at most once
 * a second: the proxy asks on every plain-HTTP redirect and must not read a file each time.
 */
export function standardPortsTarget(uid = currentUid(), now = Date.now()): number | undefined {
  if (cached && cached.uid === uid && now - cached.at < 1000) return cached.port;
  cached = { uid, at: now, port: readState(uid)?.targetPort };
  return cached.port;
}
