/**
 * A dev server's command started as the leader of its own process group, so that it can be ended
 * as a whole. Signalling only the command (`npm run dev`) is not enough: npm passes a signal to its
 * `sh -c`, and sh does not pass it on, so the real server would be re-parented to init and keep its
 * port. A terminal's Ctrl-C reaches the whole foreground group; an IDE's stop button, `kill` or a
 * process manager reach only the pid they were given. So `switchyard run` signals the group, waits
 * a grace period, SIGKILLs what is left, and then looks for any process of the tree still running.
 *
 * POSIX: the command is started with setsid (its group and session ids are its pid). Linux reads
 * the members from /proc, macOS from `ps`. Windows has no process groups: the command is ended
 * with `taskkill /T`.
 */
import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { descendantsOf, parseProcStat } from "./processTree";

/** How long the group has, after the first signal, to exit before it is SIGKILLed. */
export const GROUP_GRACE_MS = 5000;
/** How long SIGKILLed processes have to disappear before they are reported as left running. */
const KILL_SETTLE_MS = 2000;
const POLL_MS = 50;

/** A process of the group's tree, named by pid and start time (a pid alone may be reused). */
interface Member {
  pid: number;
  startTime: number;
  command: string;
}

/** How the group ended. */
export interface GroupEnd {
  /** Processes that were still running after the grace period and were SIGKILLed. */
  killed: string[];
  /** Processes still running after everything (another user's, or stuck in the kernel). */
  leftover: string[];
}

/** Starts `command` as the leader of a new process group (a new session on POSIX), stdio as given. */
export function spawnInGroup(command: string, args: readonly string[], options: SpawnOptions): ChildProcess {
  return spawn(command, args, { ...options, detached: process.platform !== "win32" });
}

/** One process of this machine, as the group sees it. */
interface ProcessInfo extends Member {
  ppid: number;
  pgid: number;
  sid: number;
  zombie: boolean;
}

function linuxProcesses(): ProcessInfo[] {
  const out: ProcessInfo[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = parseProcStat(readFileSync(`/proc/${name}/stat`, "utf8"));
      if (!stat) continue;
      let command = "";
      try {
        command = readFileSync(`/proc/${name}/cmdline`, "utf8").replace(/\0+$/, "").replace(/\0/g, " ");
      } catch {
        // exited meanwhile
      }
      out.push({ pid: Number(name), ...stat, command, zombie: stat.state === "Z" });
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** macOS (and other POSIX): `ps` gives pid, parent, group and state (no start time: pid alone names a process). */
function psProcesses(): ProcessInfo[] {
  let text = "";
  try {
    text = execFileSync("ps", ["-A", "-o", "pid=,ppid=,pgid=,stat=,command="], { encoding: "utf8" });
  } catch {
    return [];
  }
  const out: ProcessInfo[] = [];
  for (const line of text.split("\n")) {
    const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m) continue;
    out.push({
      pid: Number(m[1]),
      ppid: Number(m[2]),
      pgid: Number(m[3]),
      sid: -1,
      zombie: (m[4] as string).startsWith("Z"),
      startTime: 0,
      command: m[5] as string,
    });
  }
  return out;
}

/** A started command's process group: its members, signalled together, ended for good. */
export class ProcessGroup {
  /** Processes of the tree seen so far that may have left the group (a server that called setsid itself). */
  private readonly seen = new Map<number, Member>();
  private escalated = false;
  private wake: (() => void) | undefined;

  constructor(
    /** The leader's pid, which is also the group id. */
    readonly leader: number,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  /** The processes still running in the group or below its leader (zombies are gone already). */
  members(): Member[] {
    if (this.platform === "win32") return [];
    const all = this.platform === "linux" ? linuxProcesses() : psProcesses();
    const byPid = new Map(all.map((p) => [p.pid, p]));
    const below = new Set(descendantsOf(this.leader, all));
    for (const p of all)
      if (!p.zombie && (p.pgid === this.leader || p.sid === this.leader || below.has(p.pid))) this.seen.set(p.pid, p);
    const alive: Member[] = [];
    for (const [pid, m] of this.seen) {
      const now = byPid.get(pid);
      if (now && !now.zombie && now.startTime === m.startTime) alive.push(m);
      else this.seen.delete(pid);
    }
    return alive;
  }

  /** Sends `signal` to the whole group, and to any process of the tree that left it. */
  signal(signal: NodeJS.Signals): void {
    if (this.platform === "win32") {
      if (signal === "SIGKILL") taskkillTree(this.leader);
      else tryKill(this.leader, signal);
      return;
    }
    tryKill(-this.leader, signal);
    for (const m of this.members()) tryKill(m.pid, signal);
  }

  /** Ends the group now with SIGKILL (a second Ctrl-C): an {@link end} in progress stops waiting. */
  escalate(): void {
    this.escalated = true;
    this.signal("SIGKILL");
    this.wake?.();
  }

  /**
   * Signals the group with `signal`, gives it `graceMs` to exit (less after {@link escalate}),
   * SIGKILLs what is left, and says which processes had to be killed and which still run after that.
   */
  async end(signal: NodeJS.Signals, graceMs = GROUP_GRACE_MS): Promise<GroupEnd> {
    this.members(); // remember the tree as it is before the signal
    this.signal(signal);
    await this.waitForNone(graceMs, true);
    const stubborn = this.members();
    if (stubborn.length > 0) {
      this.signal("SIGKILL");
      await this.waitForNone(KILL_SETTLE_MS, false);
    }
    return { killed: stubborn.map(describe), leftover: this.members().map(describe) };
  }

  /** Waits until no member runs or `timeoutMs` passes (or, when `untilEscalated`, {@link escalate} is called). */
  private async waitForNone(timeoutMs: number, untilEscalated: boolean): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.members().length > 0 && Date.now() < deadline && !(untilEscalated && this.escalated)) {
      await new Promise<void>((resolve) => {
        this.wake = resolve;
        setTimeout(resolve, Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
      });
      this.wake = undefined;
    }
  }
}

function describe(m: Member): string {
  return `pid ${m.pid}${m.command ? ` (${m.command.slice(0, 80)})` : ""}`;
}

function tryKill(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone already
  }
}

function taskkillTree(pid: number): void {
  try {
    execFileSync("taskkill", ["/T", "/F", "/PID", String(pid)], { stdio: "ignore" });
  } catch {
    // gone already
  }
}
