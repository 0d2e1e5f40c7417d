/**
 * The bench's child processes: each one gets its own process group (spawned detached), its output
 * goes to a log file, and {@link ProcessGroup.stopAll} ends every group it started, even when a
 * bench step failed half-way. Nothing here kills by name.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { execFileSync } from "node:child_process";
import { openSync, closeSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A process the bench started, with where its output went. */
export interface StartedProcess {
  name: string;
  child: ChildProcess;
  logPath: string;
  /** Resolves when the process has exited (or at once if it already has). */
  exited: Promise<void>;
}

/** Options for {@link ProcessGroup.start}. */
export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** Every process the bench started, so that one call ends them all. */
export class ProcessGroup {
  private readonly started: StartedProcess[] = [];

  constructor(private readonly logDir: string) {}

  /** Spawns `command` in a new process group with stdout and stderr in `<logDir>/<name>.log`. */
  start(name: string, command: string, args: string[], options: StartOptions = {}): StartedProcess {
    const logPath = join(this.logDir, `${name}.log`);
    const fd = openSync(logPath, "a");
    const child = spawn(command, args, {
      detached: true,
      stdio: ["ignore", fd, fd],
      env: options.env ?? process.env,
      cwd: options.cwd,
    });
    closeSync(fd);
    return this.adopt(name, child, logPath);
  }

  /**
   * Takes a child spawned elsewhere (detached, so it leads its own process group) into this group:
   * stopAll and killAllNow end it with the rest.
   */
  adopt(name: string, child: ChildProcess, logPath = ""): StartedProcess {
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      child.once("exit", () => resolve());
      child.once("error", () => resolve());
    });
    const started = { name, child, logPath, exited };
    this.started.push(started);
    return started;
  }

  /** Ends one process group: SIGTERM, then SIGKILL after `graceMs`. */
  async stop(p: StartedProcess, graceMs = 2000): Promise<void> {
    const pid = p.child.pid;
    if (pid === undefined) return;
    signalGroup(pid, "SIGTERM");
    const done = await Promise.race([p.exited.then(() => true), delay(graceMs).then(() => false)]);
    // The leader may be gone while its children (a shell's exec'd server, nginx workers) linger.
    signalGroup(pid, "SIGKILL");
    if (!done) await Promise.race([p.exited, delay(500)]);
    const i = this.started.indexOf(p);
    if (i >= 0) this.started.splice(i, 1);
  }

  /** Ends every group still running, in reverse start order. */
  async stopAll(): Promise<void> {
    for (const p of [...this.started].reverse()) await this.stop(p);
  }

  /** Synchronous last resort for process exit handlers. */
  killAllNow(): void {
    for (const p of this.started) if (p.child.pid !== undefined) signalGroup(p.child.pid, "SIGKILL");
  }
}

/** The temp dir and the process group of one bench run. */
export interface BenchRun {
  /** A fresh temp dir, `switchyard-bench-<prefix>-…`; the process logs go here too. */
  tmp: string;
  group: ProcessGroup;
}

/**
 * Runs `fn` with a fresh temp dir and a {@link ProcessGroup} logging into it; afterwards (also when
 * `fn` throws) every process it started is stopped and the dir removed. If Node exits meanwhile,
 * the groups are killed on the way out, so no peer outlives the bench.
 */
export async function withBenchRun<T>(prefix: string, fn: (run: BenchRun) => Promise<T>): Promise<T> {
  const tmp = mkdtempSync(join(tmpdir(), `switchyard-bench-${prefix}-`));
  const group = new ProcessGroup(tmp);
  const onExit = (): void => group.killAllNow();
  // A signal ends Node without its exit handlers: the peers (each in a group of its own) go first.
  const onSignal = (signal: NodeJS.Signals): void => {
    group.killAllNow();
    rmSync(tmp, { recursive: true, force: true });
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.once("exit", onExit);
  process.once("SIGTERM", onSignal);
  process.once("SIGINT", onSignal);
  try {
    return await fn({ tmp, group });
  } finally {
    await group.stopAll();
    process.removeListener("exit", onExit);
    process.removeListener("SIGTERM", onSignal);
    process.removeListener("SIGINT", onSignal);
    rmSync(tmp, { recursive: true, force: true });
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Sleeps `ms` milliseconds. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Resolves once 127.0.0.1:`port` accepts a TCP connection; throws with the log's tail after `timeoutMs`. */
export async function waitForPort(port: number, p: StartedProcess, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (p.child.exitCode !== null || p.child.signalCode !== null) {
      throw new Error(`${p.name} exited (${p.child.exitCode ?? p.child.signalCode}): ${logTail(p.logPath)}`);
    }
    if (await canConnect(port)) return;
    await delay(100);
  }
  throw new Error(`${p.name} did not listen on 127.0.0.1:${port} within ${timeoutMs} ms: ${logTail(p.logPath)}`);
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** The last lines of a log file, on one line, for error messages. */
export function logTail(path: string, chars = 600): string {
  try {
    const text = readFileSync(path, "utf8").trim();
    return text.slice(-chars).replace(/\s*\n\s*/g, " | ") || "(no output)";
  } catch {
    return "(no log)";
  }
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/**
 * CPU seconds (user + system) used so far by every live process in process group `pgid`, from
 * /proc. A rate per request from this is steadier than req/s on a machine shared with other work.
 */
export function groupCpuSeconds(pgid: number): number {
  let ticks = 0;
  for (const t of groupCpuTicks(pgid).values()) ticks += t;
  return ticks / CLOCK_TICKS;
}

/**
 * CPU seconds used by process group `pgid` since `before` (a groupCpuTicks snapshot), counting
 * only processes alive now: a process that exited meanwhile takes its whole total out of a plain
 * sum (Chromium ends a browser context's renderer when the context closes).
 */
export function groupCpuSecondsSince(pgid: number, before: Map<number, number>): number {
  let ticks = 0;
  for (const [pid, t] of groupCpuTicks(pgid)) ticks += t - (before.get(pid) ?? 0);
  return ticks / CLOCK_TICKS;
}

/** CPU ticks (user + system) of each live process in process group `pgid`, by pid. */
export function groupCpuTicks(pgid: number): Map<number, number> {
  const byPid = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "utf8");
    } catch {
      continue; // exited meanwhile
    }
    // Fields after "(comm)": state ppid pgrp ... utime is field 14, stime 15 (1-based, whole line).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[2]) !== pgid) continue;
    byPid.set(Number(entry), Number(fields[11]) + Number(fields[12]));
  }
  return byPid;
}
