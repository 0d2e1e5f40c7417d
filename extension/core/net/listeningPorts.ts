/**
 * Which TCP ports are listening on this machine's loopback (or every address), with the process
 * behind each where it can be told: what "Add Route…" offers as upstreams. Linux reads
 * /proc/net/tcp{,6} and maps socket inodes to processes through /proc/PID/fd (only the user's own
 * processes are readable, which are the dev servers that matter); elsewhere the list is empty and
 * the user types the port.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** One listening socket. */
export interface ListeningPort {
  port: number;
  /** 127.0.0.1, ::1, 0.0.0.0 or :: */
  address: string;
  /** The process name (`node`, `python3`), when it could be found. */
  process?: string;
  pid?: number;
}

const LISTEN = "0A";

/** /proc/net/tcp's little-endian hex address -> text, for the addresses a route can reach. */
function loopbackAddress(hex: string, family: 4 | 6): string | undefined {
  if (family === 4) {
    if (hex === "00000000") return "0.0.0.0";
    return hex.endsWith("7F")
      ? `127.${parseInt(hex.slice(4, 6), 16)}.${parseInt(hex.slice(2, 4), 16)}.${parseInt(hex.slice(0, 2), 16)}`
      : undefined;
  }
  if (hex === "00000000000000000000000000000000") return "::";
  if (hex === "00000000000000000000000001000000") return "::1";
  if (hex === "0000000000000000FFFF00000100007F") return "127.0.0.1";
  return undefined;
}

/** Parses /proc/net/tcp or tcp6: the listening sockets on loopback or wildcard addresses, with their inodes. */
export function parseProcNetTcp(text: string, family: 4 | 6): (ListeningPort & { inode: string })[] {
  const out: (ListeningPort & { inode: string })[] = [];
  for (const line of text.split("\n").slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== LISTEN) continue;
    const [addrHex, portHex] = (f[1] ?? "").split(":");
    const address = addrHex ? loopbackAddress(addrHex.toUpperCase(), family) : undefined;
    const port = parseInt(portHex ?? "", 16);
    if (address === undefined || !Number.isInteger(port)) continue;
    out.push({ address, port, inode: f[9]! });
  }
  return out;
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
  const sockets = [...parseProcNetTcp(safeRead("/proc/net/tcp"), 4), ...parseProcNetTcp(safeRead("/proc/net/tcp6"), 6)];
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
