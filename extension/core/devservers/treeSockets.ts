/**
 * Which TCP ports a process tree listens on: `switchyard run` and the extension's detection use it
 * to find a dev server's real port, whatever its framework did with PORT. Linux reads /proc (the
 * tree's socket inodes against the socket table of its network namespace), macOS asks lsof,
 * Windows netstat; each OS's text is parsed by a pure function.
 */
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { parseLsofListening, parseNetstatListening, type ListeningSocket } from "./osTables";
import { parseProcNetTcp, socketOwners } from "./procNet";
import { descendantsOf, parentFromProcStat, parsePsLinks, type ProcessLink } from "./processTree";

export type { ListeningSocket } from "./osTables";

const run = promisify(execFile);

/** Ports that are a runtime's debugger, not a dev server (node --inspect). */
const INSPECTOR_PORTS = new Set([9229, 9230]);

/** Every listening TCP socket held by `rootPid` or any process below it. */
export async function listeningSocketsOfTree(
  rootPid: number,
  platform: NodeJS.Platform = process.platform,
): Promise<ListeningSocket[]> {
  if (platform === "linux") return linuxSockets(rootPid, "/proc");
  if (platform === "darwin") return macSockets(rootPid);
  if (platform === "win32") return windowsSockets(rootPid);
  return [];
}

/** The socket a dev server serves on: the port it was given if it listens there, else the lowest other port. */
export function pickServedPort(sockets: readonly ListeningSocket[], givenPort?: number): number | undefined {
  const ports = [...new Set(sockets.map((s) => s.port))].filter((p) => !INSPECTOR_PORTS.has(p)).sort((a, b) => a - b);
  if (givenPort !== undefined && ports.includes(givenPort)) return givenPort;
  return ports[0];
}

/** Of sockets on one port, the one a proxy should dial: an exact loopback address over a wildcard (127.x, ::1, 0.0.0.0, ::). */
export function preferredSocket(sockets: readonly ListeningSocket[]): ListeningSocket | undefined {
  const rank = (a: string): number =>
    /^127\./.test(a) || a === "::ffff:127.0.0.1" ? 0 : a === "::1" ? 1 : a === "0.0.0.0" ? 2 : 3;
  return [...sockets].sort((a, b) => rank(a.address) - rank(b.address))[0];
}

/** The socket a dev server serves on: {@link pickServedPort}'s port, at its {@link preferredSocket}. */
export function pickServedSocket(sockets: readonly ListeningSocket[], givenPort?: number): ListeningSocket | undefined {
  const port = pickServedPort(sockets, givenPort);
  return preferredSocket(sockets.filter((s) => s.port === port));
}

/**
 * The URL that reaches a dev server's listening socket and nothing else: exactly the loopback
 * address it bound (http://localhost:PORT would let the client pick ::1 or 127.0.0.1, and another
 * user may listen on the one the dev server left free), and for a wildcard its loopback address
 * of the same family (0.0.0.0 -> 127.0.0.1, :: -> [::1]).
 */
export function upstreamUrlFor(socket: Pick<ListeningSocket, "address" | "port">): string {
  const a = socket.address;
  const host =
    a === "0.0.0.0" || a === "::ffff:127.0.0.1"
      ? "127.0.0.1"
      : a === "::"
        ? "[::1]"
        : a.startsWith("::ffff:")
          ? a.slice("::ffff:".length)
          : a.includes(":")
            ? `[${a}]`
            : a;
  return `http://${host}:${socket.port}`;
}

/** True for an address a client on this machine reaches over loopback (loopback itself or a wildcard). */
export function isReachableLocally(address: string): boolean {
  return (
    /^127\./.test(address) ||
    address === "::1" ||
    address === "0.0.0.0" ||
    address === "::" ||
    address === "::ffff:127.0.0.1"
  );
}

/**
 * The tree below `root`: from /proc/PID/task/TID/children where the kernel offers it (one small
 * read per process), else by reading every /proc/PID/stat. procfs reads are in-memory, so they
 * are done synchronously: a poll every 100 ms must not queue hundreds of thread-pool round trips.
 */
function linuxTree(rootPid: number, proc: string): number[] {
  const childrenOf = (pid: number): number[] | undefined => {
    let tids: string[];
    try {
      tids = readdirSync(`${proc}/${pid}/task`);
    } catch {
      return [];
    }
    const out: number[] = [];
    for (const tid of tids) {
      try {
        const text = readFileSync(`${proc}/${pid}/task/${tid}/children`, "utf8");
        for (const c of text.split(" ")) if (c.trim()) out.push(Number(c));
      } catch {
        return undefined; // no children files on this kernel
      }
    }
    return out;
  };
  const order = [rootPid];
  for (let i = 0; i < order.length; i += 1) {
    const kids = childrenOf(order[i] as number);
    if (kids === undefined) return descendantsOf(rootPid, linuxProcessLinks(proc));
    for (const k of kids) if (!order.includes(k)) order.push(k);
  }
  return order;
}

function linuxProcessLinks(proc: string): ProcessLink[] {
  const links: ProcessLink[] = [];
  for (const name of readdirSync(proc)) {
    if (!/^\d+$/.test(name)) continue;
    let stat = "";
    try {
      stat = readFileSync(`${proc}/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    const ppid = parentFromProcStat(stat);
    if (ppid !== undefined) links.push({ pid: Number(name), ppid });
  }
  return links;
}

/** Linux: the tree's `socket:[INODE]` descriptors matched against /proc/ROOT/net/tcp{,6}. */
export async function linuxSockets(rootPid: number, proc: string): Promise<ListeningSocket[]> {
  const owner = socketOwners(proc, linuxTree(rootPid, proc));
  if (owner.size === 0) return [];
  const out: ListeningSocket[] = [];
  for (const [file, family] of [
    ["tcp", 4],
    ["tcp6", 6],
  ] as const) {
    const text = await readFile(`${proc}/${rootPid}/net/${file}`, "utf8").catch(() => "");
    for (const s of parseProcNetTcp(text, family)) {
      const pid = owner.get(s.inode);
      if (s.listening && pid !== undefined) out.push({ pid, family, address: s.address, port: s.port });
    }
  }
  return out;
}

async function macSockets(rootPid: number): Promise<ListeningSocket[]> {
  const ps = await run("ps", ["-A", "-o", "pid=,ppid="]);
  const pids = descendantsOf(rootPid, parsePsLinks(ps.stdout));
  // lsof exits 1 when none of the processes has a listening socket yet.
  const lsof = await run("lsof", ["-nP", "-a", "-iTCP", "-sTCP:LISTEN", "-p", pids.join(","), "-F", "ptn"]).catch(
    (e: { stdout?: string }) => ({ stdout: e.stdout ?? "" }),
  );
  return parseLsofListening(lsof.stdout);
}

async function windowsSockets(rootPid: number): Promise<ListeningSocket[]> {
  const ps = await run("powershell.exe", [
    "-NoProfile",
    "-Command",
    'Get-CimInstance Win32_Process | ForEach-Object { "$($_.ProcessId) $($_.ParentProcessId)" }',
  ]);
  const pids = new Set(descendantsOf(rootPid, parsePsLinks(ps.stdout)));
  const netstat = await run("netstat.exe", ["-ano", "-p", "TCP"]);
  const netstat6 = await run("netstat.exe", ["-ano", "-p", "TCPv6"]);
  return parseNetstatListening(`${netstat.stdout}\n${netstat6.stdout}`).filter((s) => pids.has(s.pid));
}
