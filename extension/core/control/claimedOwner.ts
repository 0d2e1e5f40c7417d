/**
 * Who owns a route. On Linux the proxy knows the process on the other end of the connection
 * (peerProcess.ts): a claimed pid is kept when it is that process or one of its descendants (run's
 * dev server), and replaced by the peer's pid otherwise. Where the peer cannot be learned the pid
 * stays the client's claim, labelled so, and is checked where it can be: on Linux /proc says
 * whether the pid runs and what its command line is.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { inProcessTree, type PeerProcess } from "./peerProcess";
import { stripControls, type RouteOwner } from "./protocol";

/** The owner a route or reservation gets, and a note for the client when its claim was replaced. */
export function ownerFromPeer(
  claimed: RouteOwner,
  peer: PeerProcess | undefined,
  proc = "/proc",
): { owner: RouteOwner; note?: string } {
  if (!peer) return { owner: { ...claimed, pidFrom: "claimed" } };
  if (inProcessTree(claimed.pid, peer.pids, proc)) return { owner: { ...claimed, pidFrom: "socket" } };
  const [pid] = peer.pids;
  assert(pid !== undefined, "a known peer has at least one process");
  return {
    owner: { ...claimed, pid, pidFrom: "socket" },
    note:
      `owner pid ${claimed.pid} is neither the process on this connection (pid ${pid}) nor one of its ` +
      `descendants: pid ${pid} owns it instead`,
  };
}

/** What is known of a claimed owner. */
export type OwnerCheck =
  /** No such process: the route it holds is stale. */
  | { state: "gone" }
  /** The pid runs and its command line holds the claimed command. */
  | { state: "verified"; commandLine: string }
  /** The pid runs, but its command line does not hold the claimed command. */
  | { state: "mismatch"; commandLine: string }
  /** The pid runs (or may), and nothing more can be checked here. */
  | { state: "unverified" };

/** Reads /proc/PID/cmdline (Linux); undefined when the process does not exist, null when /proc cannot tell. */
function procCommandLine(pid: number, proc: string): string | undefined | null {
  try {
    const text = readFileSync(`${proc}/${pid}/cmdline`, "utf8").replace(/\0+$/, "").replace(/\0/g, " ");
    return stripControls(text);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ESRCH") return undefined;
    return null;
  }
}

/** Checks a claimed owner against the process table. `isAlive` answers where /proc is missing. */
export function checkClaimedOwner(
  owner: RouteOwner,
  isAlive: (pid: number) => boolean,
  proc = "/proc",
  platform: NodeJS.Platform = process.platform,
): OwnerCheck {
  if (platform !== "linux") return isAlive(owner.pid) ? { state: "unverified" } : { state: "gone" };
  const commandLine = procCommandLine(owner.pid, proc);
  if (commandLine === undefined) return { state: "gone" };
  if (commandLine === null || !owner.command) return { state: "unverified" };
  return commandLine.includes(owner.command) ? { state: "verified", commandLine } : { state: "mismatch", commandLine };
}

/** The owner in a message: "pid 123 (vite)", or "pid 123 (claimed: vite)" when the pid is only the client's word. */
export function ownerWords(owner: RouteOwner): string {
  if (owner.pidFrom === "claimed") return `pid ${owner.pid} (claimed${owner.command ? `: ${owner.command}` : ""})`;
  return `pid ${owner.pid}${owner.command ? ` (${owner.command})` : ""}`;
}

/** The owner as a refusal names it: "pid 123 (vite --port 5173)", or "pid 123 (claimed: …)". */
export function describeOwner(owner: RouteOwner, check: OwnerCheck): string {
  const command = owner.command ? `: ${owner.command}` : "";
  switch (check.state) {
    case "verified":
      return `pid ${owner.pid} (${check.commandLine.slice(0, 200)})`;
    case "mismatch":
      return `pid ${owner.pid} (claimed${command}; that pid runs ${check.commandLine.slice(0, 120)})`;
    default:
      return `pid ${owner.pid} (claimed${command})`;
  }
}
