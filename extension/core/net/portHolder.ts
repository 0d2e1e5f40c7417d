/**
 * Which process listens on a TCP port, best effort, so "port 8443 is in use" can say "by node
 * (pid 4242)". On Linux it reads `ss -ltnp`, then falls back to /proc/net/tcp{,6} (socket inode)
 * and a scan of /proc/PID/fd for that inode; on macOS it asks `lsof`. Other users' processes are
 * only visible to root, so "unknown" is a normal answer. The parsers are pure and exported for tests.
 */
import { execFileRunner, type CommandRunner } from "../commandRunner";
import { readdir, readFile, readlink } from "node:fs/promises";
import path from "node:path";
import { parseLsofListening } from "../devservers/osTables";
import { parseProcNetTcp as parseSocketTable } from "../devservers/procNet";

/** A listening socket and, when the OS told us, its owner. */
export interface PortHolder {
  address: string;
  port: number;
  pid?: number;
  command?: string;
}

/** One LISTEN line of /proc/net/tcp or /proc/net/tcp6. */
export interface ProcTcpListener {
  address: string;
  port: number;
  inode: number;
}

/** Where to look; tests point these at fixtures. */
export interface PortHolderOptions {
  platform?: NodeJS.Platform;
  procRoot?: string;
  /** Runs `ss` or `lsof`; a non-zero exit or a failure means "tool missing or refused". */
  runner?: Pick<CommandRunner, "run">;
  /** Upper bound for the whole search, in ms. */
  timeoutMs?: number;
  /**
   * The address that could not be bound: only a listener on that address, or on the wildcard that
   * covers it (0.0.0.0 for IPv4, :: for both), is its holder. Without it, any listener on the port.
   */
  address?: string;
}

/** `::ffff:127.0.0.1` -> `127.0.0.1`; lower case. */
function plain(address: string): string {
  return address.toLowerCase().replace(/^::ffff:(?=\d+\.)/, "");
}

/**
 * Whether a listener on `held` blocks binding `wanted` on the same port: the same address, or a
 * wildcard covering it (0.0.0.0 for IPv4 addresses, :: for every address), or `wanted` is itself a
 * wildcard (then any listener of its family is in the way).
 */
export function holdsAddress(held: string, wanted: string): boolean {
  const h = plain(held);
  const w = plain(wanted);
  if (h === w) return true;
  const v4 = (a: string): boolean => /^\d+\.\d+\.\d+\.\d+$/.test(a);
  if (h === "::") return true;
  if (h === "0.0.0.0") return v4(w);
  if (w === "0.0.0.0") return v4(h);
  if (w === "::") return !v4(h);
  return false;
}

/** Parses `ss -ltnp` output into listeners with their owning process, when ss could see it. */
export function parseSsListeners(text: string): PortHolder[] {
  const out: PortHolder[] = [];
  for (const line of text.split("\n")) {
    const fields = line.trim().split(/\s+/);
    if (fields[0] !== "LISTEN" || fields.length < 4) continue;
    const local = /^\[?(.*?)\]?:(\d+|\*)$/.exec(fields[3]!);
    if (!local || local[2] === "*") continue;
    const holder: PortHolder = {
      address: local[1]!.replace(/%.*$/, "").replace(/^\*$/, "0.0.0.0"),
      port: Number(local[2]),
    };
    const user = /users:\(\("((?:[^"\\]|\\.)*)",pid=(\d+)/.exec(line);
    if (user) {
      holder.command = user[1]!;
      holder.pid = Number(user[2]);
    }
    out.push(holder);
  }
  return out;
}

/** Parses /proc/net/tcp or /proc/net/tcp6 into its LISTEN sockets (state 0A): the one parser, in devservers/procNet. */
export function parseProcNetTcp(text: string): ProcTcpListener[] {
  return parseSocketTable(text)
    .filter((s) => s.listening)
    .map(({ address, port, inode }) => ({ address, port, inode }));
}

/** Parses `lsof -nP -iTCP:PORT -sTCP:LISTEN -Fpcn` field output (macOS, BSD), with the one lsof parser. */
export function parseLsofListeners(text: string): PortHolder[] {
  return parseLsofListening(text).map(({ address, port, pid, command }) => ({
    address,
    port,
    pid,
    ...(command !== undefined ? { command } : {}),
  }));
}

/**
 * The listener on `port` (preferring one whose owner is known), or undefined when nothing is
 * found or the search ran out of time. Never throws.
 */
export async function findPortHolder(port: number, options: PortHolderOptions = {}): Promise<PortHolder | undefined> {
  const timeout = new Promise<undefined>((resolve) =>
    setTimeout(() => resolve(undefined), options.timeoutMs ?? 1500).unref(),
  );
  return Promise.race([search(port, options).catch(() => undefined), timeout]);
}

async function search(port: number, options: PortHolderOptions): Promise<PortHolder | undefined> {
  const platform = options.platform ?? process.platform;
  const runner = options.runner ?? TOOL_RUNNER;
  const run = (file: string, args: string[]): Promise<string> =>
    runner.run(file, args).then((r) => (r.code === 0 ? r.stdout : Promise.reject(new Error(r.stderr))));
  const wanted = options.address;
  const pick = (list: PortHolder[]): PortHolder | undefined => {
    const onPort = list.filter((h) => h.port === port && (wanted === undefined || holdsAddress(h.address, wanted)));
    // The exact address before a wildcard, a known owner before an unknown one.
    const exact = wanted === undefined ? [] : onPort.filter((h) => plain(h.address) === plain(wanted));
    return exact.find((h) => h.pid !== undefined) ?? onPort.find((h) => h.pid !== undefined) ?? exact[0] ?? onPort[0];
  };
  if (platform === "linux") {
    const fromSs = await run("ss", ["-ltnpH"]).then(parseSsListeners, () => []);
    const found = pick(fromSs);
    if (found?.pid !== undefined) return found;
    return (await fromProc(port, options.procRoot ?? "/proc", wanted)) ?? found;
  }
  if (platform === "darwin" || platform === "freebsd" || platform === "openbsd") {
    return pick(
      await run("lsof", ["-nP", `-iTCP:${port}`, "-sTCP:LISTEN", "-Fpcn"]).then(parseLsofListeners, () => []),
    );
  }
  return undefined;
}

async function fromProc(port: number, procRoot: string, wanted?: string): Promise<PortHolder | undefined> {
  const listeners: ProcTcpListener[] = [];
  for (const file of ["tcp", "tcp6"]) {
    const text = await readFile(path.join(procRoot, "net", file), "utf8").catch(() => "");
    listeners.push(
      ...parseProcNetTcp(text).filter(
        (l) => l.port === port && (wanted === undefined || holdsAddress(l.address, wanted)),
      ),
    );
  }
  if (listeners.length === 0) return undefined;
  // The exact address first, so its owner is the one found.
  if (wanted !== undefined)
    listeners.sort((a, b) => Number(plain(b.address) === plain(wanted)) - Number(plain(a.address) === plain(wanted)));
  const first = listeners[0]!;
  const inodes = new Map(listeners.map((l) => [`socket:[${l.inode}]`, l]));
  const pids = (await readdir(procRoot).catch(() => [] as string[])).filter((d) => /^\d+$/.test(d));
  for (const pid of pids) {
    const fdDir = path.join(procRoot, pid, "fd");
    const fds = await readdir(fdDir).catch(() => [] as string[]);
    for (const fd of fds) {
      const link = await readlink(path.join(fdDir, fd)).catch(() => "");
      const hit = inodes.get(link);
      if (!hit) continue;
      const command = (await readFile(path.join(procRoot, pid, "comm"), "utf8").catch(() => "")).trim();
      const holder: PortHolder = { address: hit.address, port, pid: Number(pid) };
      if (command) holder.command = command;
      return holder;
    }
  }
  return { address: first.address, port };
}

/** `ss` and `lsof` answer at once or not at all. */
const TOOL_RUNNER = execFileRunner(process.env, 1000);
