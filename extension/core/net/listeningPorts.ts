/**
 * Which TCP ports are listening on this machine's loopback (or every address), with the process
 * behind each where it can be told: what "Add Route…" offers as upstreams. Linux reads
 * /proc/net/tcp{,6} and maps socket inodes to processes through /proc/PID/fd (only the user's own
 * processes are readable, which are the dev servers that matter); elsewhere the list is empty and
 * the user types the port.
 */
import { readFileSync } from "node:fs";
import { parseProcNetTcp, socketOwners } from "../devservers/procNet";
import { isReachableLocally } from "../devservers/treeSockets";

/** One listening socket. */
export interface ListeningPort {
  port: number;
  /** 127.0.0.1, ::1, 0.0.0.0 or :: */
  address: string;
  /** The process name (`node`, `python3`), when it could be found. */
  process?: string;
  pid?: number;
}

/** The listening loopback ports now, one entry per port (the process named where known), by port. */
export function listeningLoopbackPorts(): ListeningPort[] {
  if (process.platform !== "linux") return [];
  const sockets = [...parseProcNetTcp(safeRead("/proc/net/tcp")), ...parseProcNetTcp(safeRead("/proc/net/tcp6"))]
    .map((l) => ({ ...l, address: l.address.toLowerCase().replace(/^::ffff:(?=\d+\.)/, "") }))
    .filter((l) => l.listening && isReachableLocally(l.address));
  const owners = sockets.length ? socketOwners("/proc") : new Map<number, number>();
  const byPort = new Map<number, ListeningPort>();
  for (const s of sockets) {
    const pid = owners.get(s.inode);
    const name = pid === undefined ? undefined : safeRead(`/proc/${pid}/comm`).trim() || "?";
    const known = byPort.get(s.port);
    if (known && (known.process || pid === undefined)) continue;
    byPort.set(s.port, { port: s.port, address: s.address, ...(pid !== undefined ? { process: name, pid } : {}) });
  }
  return [...byPort.values()].sort((a, b) => a.port - b.port);
}

function safeRead(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return "";
  }
}
