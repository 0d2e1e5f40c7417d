/**
 * The owner pid of a route is what its client claimed: Node cannot read a Unix socket's peer
 * credentials (SO_PEERCRED), so the proxy checks the claim where it can. On Linux /proc says whether
 * the pid runs and what its command line is; a claim whose command is not part of that command line
 * is shown as a claim, and so is every claim where /proc is missing.
 */
import { readFileSync } from "node:fs";
import { stripControls, type RouteOwner } from "./protocol";

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
