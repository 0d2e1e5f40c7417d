/**
 * Which TCP ports are listening on this machine's loopback (or every address), with the process
 * behind each where it can be told: what "Add Route…" offers as upstreams. Linux reads
 * /proc/net/tcp{,6} and maps socket inodes to processes through /proc/PID/fd (only the user's own
 * processes are readable, which are the dev servers that matter); elsewhere the list is empty and
 * the user types the port.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { parseProcNetTcp } from "./portHolder";

/** One listening socket. */
export interface ListeningPort {
  port: number;
  /** 127.0.0.1, ::1, 0.0.0.0 or :: */
  address: string;
  /** The process name (`node`, `python3`), when it could be found. */
  process?: string;
  pid?: number;
}

/** Addresses a route to `localhost` reaches: loopback, or every address. */
function reachable(address: string): string | undefined {
  const a = address.toLowerCase().replace(/^::ffff:(?=\d+\.)/, "");
  if (a === "0.0.0.0" || a === "::" || a === "::1" || a.startsWith("127.")) return a;
  return undefined;
}

function processesBySocket(): Map<string, { pid: number; name: string }> {
  const map = new Map<string, { pid: number; name: string }>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // another user's process
    }
    let name: string | undefined;
    for (const fd of fds) {
      let link: string;
      try {
        link = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(link)?.[1];
      if (!inode) continue;
      name ??= safeRead(`/proc/${entry}/comm`).trim() || "?";
      map.set(inode, { pid: Number(entry), name });
    }
  }
  return map;
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

/** The listening loopback ports now, one entry per port (the process named where known), by port. */
export function listeningLoopbackPorts(): ListeningPort[] {
  if (process.platform !== "linux") return [];
  const sockets = [...parseProcNetTcp(safeRead("/proc/net/tcp")), ...parseProcNetTcp(safeRead("/proc/net/tcp6"))]
    .map((l) => ({ port: l.port, address: reachable(l.address), inode: String(l.inode) }))
    .filter((l): l is { address: string; port: number; inode: string } => l.address !== undefined);
  const owners = sockets.length ? processesBySocket() : new Map<string, { pid: number; name: string }>();
  const byPort = new Map<number, ListeningPort>();
  for (const s of sockets) {
    const owner = owners.get(s.inode);
    const known = byPort.get(s.port);
    if (known && (known.process || !owner)) continue;
    byPort.set(s.port, { port: s.port, address: s.address, ...(owner ? { process: owner.name, pid: owner.pid } : {}) });
  }
  return [...byPort.values()].sort((a, b) => a.port - b.port);
}
