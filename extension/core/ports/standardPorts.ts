/**
 * The three verbs over whichever mechanism this OS has: `enable` (refusing when a program holds
 * 443 or 80, and recording every file it writes), `disable` (removing exactly that), and `status`
 * (what is in place, who holds the ports, and a real probe of where loopback 443 and 80 lead).
 * Also which user a root process acts for: the user whose proxy receives the traffic.
 */
import { readFileSync } from "node:fs";
import type { CommandRunner } from "../commandRunner";
import { userNameIn } from "../net/listenerOwners";
import { standardPortHolders, type StandardPortHolder } from "./holders";
import { linuxNft } from "./linuxNft";
import { macosPf } from "./macosPf";
import { foreignOwnersOf, probeStandardPorts, type ReachVerdict } from "./reach";
import { formatState, readState, statePath, type PortsState } from "./state";
import { removeRecorded, SystemFiles } from "./systemFiles";
import { StandardPortTakenError, type MechanismStatus, type PortsMechanism, type PortsPlan } from "./types";
import { windowsHttpSys } from "./windowsHttpSys";

/** This OS's mechanism, or undefined where there is none. */
export function portsMechanism(platform: NodeJS.Platform, runner: CommandRunner): PortsMechanism | undefined {
  if (platform === "linux") return linuxNft(runner);
  if (platform === "darwin") return macosPf(runner);
  if (platform === "win32") return windowsHttpSys(runner);
  return undefined;
}

/** The user a command acts for. */
export interface TargetUser {
  uid: number;
  name: string | undefined;
}

/** The uid of `name` (or a number as is) in passwd-format text. Pure. */
export function uidIn(passwd: string, user: string): number | undefined {
  if (/^\d+$/.test(user)) return Number(user);
  for (const line of passwd.split("\n")) {
    const f = line.split(":");
    if (f[0] === user && f.length >= 3 && /^\d+$/.test(f[2]!)) return Number(f[2]);
  }
  return undefined;
}

/**
 * Who `enable`, `disable` or `status` act for. Not root: the user itself (another user only with
 * root). Root: `--user`, else the user behind pkexec (PKEXEC_UID) or sudo (SUDO_UID); sources that
 * disagree, or none at all, are refused with words saying what to pass. Throws an Error to show.
 */
export function targetUser(options: {
  explicit: string | undefined;
  env: NodeJS.ProcessEnv;
  uid: number;
  passwd?: string;
}): TargetUser {
  const passwd = options.passwd ?? readPasswd();
  const named = (uid: number): TargetUser => ({ uid, name: userNameIn(passwd, uid) });
  let explicit: number | undefined;
  if (options.explicit !== undefined) {
    explicit = uidIn(passwd, options.explicit);
    if (explicit === undefined) throw new Error(`there is no user "${options.explicit}" in /etc/passwd`);
  }
  if (options.uid !== 0) {
    if (explicit !== undefined && explicit !== options.uid)
      throw new Error(`only root can act for another user (--user ${options.explicit}); run it through sudo`);
    return named(options.uid);
  }
  const fromEnv = new Map<string, number>();
  for (const key of ["PKEXEC_UID", "SUDO_UID"]) {
    const v = options.env[key];
    if (v !== undefined && /^\d+$/.test(v) && v !== "0") fromEnv.set(key, Number(v));
  }
  const sources = [...fromEnv.entries()].map(([k, v]) => `${k}=${v}`);
  if (explicit !== undefined) sources.unshift(`--user ${options.explicit} (uid ${explicit})`);
  const uids = new Set([...(explicit !== undefined ? [explicit] : []), ...fromEnv.values()]);
  if (uids.size > 1)
    throw new Error(
      `which user? ${sources.join(" and ")} disagree; pass --user NAME with the one whose proxy should receive ports 443 and 80`,
    );
  const [uid] = [...uids];
  if (uid === undefined)
    throw new Error(
      "running as root, so for which user? pass --user NAME (the user whose proxy should receive ports 443 and 80), or run it through sudo or pkexec as that user",
    );
  if (uid === 0)
    throw new Error(
      "root's own programs can listen on 443 and 80 themselves; pass --user with the user who runs the proxy",
    );
  return named(uid);
}

function readPasswd(): string {
  try {
    return readFileSync("/etc/passwd", "utf8");
  } catch {
    return "";
  }
}

/**
 * Enables standard ports for `plan.uid`, or throws {@link StandardPortTakenError} (naming every
 * holder) having changed nothing. A mechanism that fails half-way has its files removed again.
 */
export async function enableStandardPorts(
  plan: PortsPlan,
  mechanism: PortsMechanism,
  holders: readonly StandardPortHolder[],
  platform: NodeJS.Platform = process.platform,
): Promise<string[]> {
  if (holders.length > 0) throw new StandardPortTakenError(holders.map((h) => h.description));
  const previous = readState(plan.uid, statePath(plan.uid, platform));
  const files = new SystemFiles();
  let result;
  try {
    result = await mechanism.enable(plan, files);
  } catch (e) {
    removeRecorded(files.files, files.createdDirs);
    throw e;
  }
  const path = statePath(plan.uid, platform);
  const union = (a: readonly string[] = [], b: readonly string[] = []): string[] => [...new Set([...a, ...b])];
  // The mechanism wrote its own files into the state file's folder, so that folder exists now.
  const state: PortsState = {
    version: 1,
    mechanism: mechanism.name,
    uid: plan.uid,
    targetPort: plan.targetPort,
    files: union(previous?.files, [...files.files, path]),
    createdDirs: union(previous?.createdDirs, files.createdDirs),
    ...(result.pfToken ? { pfToken: result.pfToken } : previous?.pfToken ? { pfToken: previous.pfToken } : {}),
  };
  files.write(path, formatState(state));
  return [...result.lines, `wrote ${path} (readable by every user: it tells your proxy the ports are in place)`];
}

/** Undoes enable for `uid`: unloads the redirect, then removes every file and folder it recorded. */
export async function disableStandardPorts(
  uid: number,
  mechanism: PortsMechanism,
  platform: NodeJS.Platform = process.platform,
): Promise<string[]> {
  const state = readState(uid, statePath(uid, platform));
  const unloaded = await mechanism.disable(
    state ?? { version: 1, mechanism: mechanism.name, uid, targetPort: 0, files: [], createdDirs: [] },
  );
  if (!state) return [...unloaded, `no ${statePath(uid, platform)}: no files to remove`];
  return [...unloaded, ...removeRecorded(state.files, state.createdDirs)];
}

/** Everything `status` reports. */
export interface PortsStatus {
  uid: number;
  mechanism: string | undefined;
  /** The state file's content, or undefined when standard ports were never enabled for this user. */
  state: PortsState | undefined;
  system: MechanismStatus | undefined;
  /** Programs listening on 443 or 80 themselves. */
  holders: StandardPortHolder[];
  /** The probes; empty when they could not run as this user (root asking for another user). */
  reach: ReachVerdict[];
  /** Users other than this one owning the proxy's port (Linux). */
  foreignOwners: number[];
  /** True when every probe reached this user's proxy. */
  reachesProxy: boolean;
}

/** Gathers the status; the probes run only when this process is the user (`probeAs` true). */
export async function standardPortsStatus(options: {
  uid: number;
  mechanism: PortsMechanism | undefined;
  runner: CommandRunner;
  rootPem: string | undefined;
  probe: boolean;
  platform?: NodeJS.Platform;
}): Promise<PortsStatus> {
  const platform = options.platform ?? process.platform;
  const state = readState(options.uid, statePath(options.uid, platform));
  const system = options.mechanism ? await options.mechanism.status(options.uid) : undefined;
  const holders = await standardPortHolders(platform, options.runner);
  const reach = options.probe ? await probeStandardPorts(options.rootPem) : [];
  const foreignOwners = state ? ((await foreignOwnersOf(state.targetPort, options.uid)) ?? []) : [];
  return {
    uid: options.uid,
    mechanism: options.mechanism?.name,
    state,
    system,
    holders,
    reach,
    foreignOwners,
    reachesProxy: reach.length > 0 && reach.every((r) => r.outcome === "proxy") && foreignOwners.length === 0,
  };
}
