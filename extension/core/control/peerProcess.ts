/**
 * Which process is on the other end of a control connection, read from the kernel rather than
 * from what the client claims: Node has no SO_PEERCRED, so on Linux the accepted socket's inode
 * (/proc/self/fd/FD -> socket:[INODE]) is looked up in `ss -xpn`, which names the peer socket and
 * the processes holding it. Each holder is checked against /proc/PID/fd before it is believed
 * (ss prints socket names raw, so other lines can be forged). Where this cannot be learned (not
 * Linux, no ss, a peer of another user) the answer is undefined and the claim stays a claim.
 */
import { readFileSync, readlinkSync } from "node:fs";
import type net from "node:net";
import { execFileRunner, type CommandRunner } from "../commandRunner";
import { parseUnixSocketTable, peerOf } from "../net/unixSocketTable";

/** The processes holding the other end of a connection (usually one; more when a child inherited it). */
export interface PeerProcess {
  pids: number[];
}

/** Finds the peer process of an accepted control connection; undefined when it cannot be learned. */
export type PeerLookup = (socket: net.Socket) => Promise<PeerProcess | undefined>;

/**
 * The file descriptor behind an accepted socket. Node keeps it in an internal field
 * (`socket._handle.fd`, a libuv pipe handle); a test fails loudly if a Node release moves it.
 */
export function socketFd(socket: net.Socket): number | undefined {
  const handle = (socket as unknown as { _handle?: { fd?: unknown } })._handle;
  const fd = handle?.fd;
  return typeof fd === "number" && Number.isInteger(fd) && fd >= 0 ? fd : undefined;
}

/** The inode of the socket open as `fd` in process `pid` (default: this one), from its /proc link. */
export function socketInode(fd: number, pid: number | "self" = "self", proc = "/proc"): number | undefined {
  try {
    const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`${proc}/${pid}/fd/${fd}`));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** How long one `ss` run may take before its connections are left unverified. */
const SS_TIMEOUT_MS = 5000;

/**
 * The Linux lookup: one `ss -xpn` run at a time, shared by every connection that arrived before it
 * started (a burst of connections costs a few runs, not one each). The inode is read when the
 * connection arrives, while its descriptor is certainly the one accepted.
 */
export function linuxPeerLookup(
  runner: Pick<CommandRunner, "run"> = execFileRunner(process.env, SS_TIMEOUT_MS),
  proc = "/proc",
): PeerLookup {
  let waiting: { inode: number; resolve: (p: PeerProcess | undefined) => void }[] = [];
  let running = false;
  const runOnce = async (): Promise<void> => {
    running = true;
    const batch = waiting;
    waiting = [];
    const result = await runner.run("ss", ["-xpn"]).catch(() => undefined);
    const entries = result?.code === 0 ? parseUnixSocketTable(result.stdout) : [];
    for (const { inode, resolve } of batch) {
      const peer = peerOf(entries, inode);
      // Believe a holder only if its descriptor really is the peer socket.
      const pids = (peer?.holders ?? [])
        .filter((h) => socketInode(h.fd, h.pid, proc) === peer?.inode)
        .map((h) => h.pid);
      resolve(pids.length ? { pids: [...new Set(pids)] } : undefined);
    }
    running = false;
    if (waiting.length) void runOnce();
  };
  return (socket) => {
    const fd = socketFd(socket);
    const inode = fd === undefined ? undefined : socketInode(fd, "self", proc);
    if (inode === undefined) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      waiting.push({ inode, resolve });
      if (!running) void runOnce();
    });
  };
}

/** The lookup for this platform: Linux's, or one that never knows. */
export function defaultPeerLookup(platform: NodeJS.Platform = process.platform): PeerLookup {
  return platform === "linux" ? linuxPeerLookup() : () => Promise.resolve(undefined);
}

/** The parent pid from /proc/PID/stat (the command name, field 2, may hold spaces and parentheses). */
function parentPid(pid: number, proc: string): number | undefined {
  try {
    const stat = readFileSync(`${proc}/${pid}/stat`, "utf8");
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    return Number.isInteger(ppid) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

/** The longest parent chain followed; deeper trees than this are not dev servers of a client. */
const MAX_TREE_DEPTH = 64;

/** Whether `pid` is one of `roots` or a descendant of one (its /proc ppid chain reaches one). */
export function inProcessTree(pid: number, roots: readonly number[], proc = "/proc"): boolean {
  let current: number | undefined = pid;
  for (let depth = 0; current !== undefined && current > 1 && depth < MAX_TREE_DEPTH; depth++) {
    if (roots.includes(current)) return true;
    current = parentPid(current, proc);
  }
  return false;
}
