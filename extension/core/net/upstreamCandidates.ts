/**
 * What Add Route offers as upstreams, from the sockets listening on this machine: the servers
 * started in this window's terminals and tasks first, then the user's other listening servers.
 * VS Code's own server, Switchyard's own proxy and system daemons are left out, since routing a name to
 * them is never what the user meant. Pure: the sockets, the detected servers and the pids to hide
 * in, the groups out; the caller reads /proc.
 */
import { readFileSync, readlinkSync } from "node:fs";
import { parentFromProcStat } from "../devservers/processTree";
import { upstreamUrlFor } from "../devservers/treeSockets";
import type { ListeningPort } from "./listeningPorts";

/** One upstream Add Route can offer. */
export interface UpstreamCandidate {
  port: number;
  /** The URL of the address the server bound (http://127.0.0.1:PORT for a server on 127.0.0.1 only). */
  upstream: string;
  /** What it is: "Vite", "node server.js", or the process name. */
  label: string;
  pid?: number;
}

/** A server found in this window's terminals and tasks (core/devservers/detector.ts DetectedServer). */
export interface WindowServer {
  port: number;
  pid: number;
  upstream: string;
  label: string;
}

/** Daemons that listen on loopback on most machines and are never a dev server. */
const SYSTEM_PROCESSES = new Set([
  "sshd",
  "systemd",
  "systemd-resolve",
  "systemd-resolved",
  "cupsd",
  "dnsmasq",
  "avahi-daemon",
  "containerd",
  "dockerd",
  "docker-proxy",
  "chronyd",
  "rpcbind",
  "master",
  "exim4",
  "smbd",
  "kdeconnectd",
  "tailscaled",
]);

export interface CandidateOptions {
  /** Servers detection found in this window's terminals and tasks. */
  window: readonly WindowServer[];
  /** Processes whose sockets are never offered: VS Code's own (the extension host and its ancestors). */
  hiddenPids: ReadonlySet<number>;
  /** Ports never offered: Switchyard's own proxy. */
  hiddenPorts: ReadonlySet<number>;
}

/**
 * The window's servers, then the other listening ports a user may mean. A port below 1024, a
 * socket whose process cannot be read (another user's) or a known system daemon is left out.
 */
export function upstreamCandidates(
  ports: readonly ListeningPort[],
  options: CandidateOptions,
): { window: UpstreamCandidate[]; other: UpstreamCandidate[] } {
  const seen = new Set<number>();
  const window: UpstreamCandidate[] = [];
  for (const s of options.window) {
    if (seen.has(s.port) || options.hiddenPorts.has(s.port)) continue;
    seen.add(s.port);
    window.push({ port: s.port, upstream: s.upstream, label: s.label, pid: s.pid });
  }
  const other: UpstreamCandidate[] = [];
  for (const p of ports) {
    if (seen.has(p.port) || options.hiddenPorts.has(p.port)) continue;
    if (p.pid === undefined || options.hiddenPids.has(p.pid)) continue;
    if (p.port < 1024 || SYSTEM_PROCESSES.has(p.process ?? "")) continue;
    seen.add(p.port);
    other.push({ port: p.port, upstream: upstreamUrlFor(p), label: p.process ?? "?", pid: p.pid });
  }
  return { window, other };
}

/**
 * `pid` and those of its ancestors that run the same executable: for the extension host, VS Code's
 * own processes (the server or the app that started it), not the shell or test runner above them,
 * whose servers may be the user's. Bounded; empty where there is no /proc.
 */
export function sameProgramAncestors(pid: number, proc = "/proc"): Set<number> {
  const out = new Set<number>();
  const exe = (p: number): string | undefined => {
    try {
      return readlinkSync(`${proc}/${p}/exe`);
    } catch {
      return undefined;
    }
  };
  const program = exe(pid);
  if (program === undefined) return out;
  let current: number | undefined = pid;
  for (let i = 0; i < 64 && current !== undefined && current > 1 && !out.has(current); i++) {
    if (exe(current) !== program) break;
    out.add(current);
    try {
      current = parentFromProcStat(readFileSync(`${proc}/${current}/stat`, "utf8"));
    } catch {
      break;
    }
  }
  return out;
}
