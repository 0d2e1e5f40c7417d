/**
 * The `switchyard` CLI as the run tests start it: bundled from this checkout's sources as they are
 * now (cliBundle.ts; a stale dist/cli.js is never what is tested), with its output collected, and every process it and its
 * commands start marked in its environment so that {@link reapMarked} can end all of them after a
 * test, also when the test failed half-way and also when a process left its process group.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, afterEach, beforeEach } from "node:test";
import { cliCommand } from "./cliBundle";

export const ROOT = join(__dirname, "..", "..", "..");

/** The variable every process of these tests inherits; its value names the test file's run. */
const MARK = "SWITCHYARD_TEST_PROCESS_MARK";

/** A fresh mark for one test file: processes carrying it are this file's. */
export function newMark(): string {
  return `run-tests-${process.pid}-${Date.now()}`;
}

/** A started CLI process with its output collected. */
export interface Cli {
  child: ChildProcess;
  out: () => string;
  /** Resolves with the first match of `re` in stdout+stderr (rejects after timeoutMs or on exit). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The argv (after node's own) that runs the CLI from this checkout, from any working folder (a test app's too). */
export function cliArgv(args: string[]): string[] {
  return cliCommand(args);
}

/** Starts `switchyard ARGS` with `env` (plus `mark`), collecting its output. */
export function startCli(args: string[], env: NodeJS.ProcessEnv, mark: string, cwd = ROOT): Cli {
  const child = spawn(process.execPath, cliArgv(args), {
    cwd,
    env: { ...env, [MARK]: mark },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return collectOutput(child);
}

/**
 * `child` (spawned with stdout and stderr piped) as a {@link Cli}: its output collected, and
 * `waitFor` waiting `timeoutMs` by default. Also for processes started otherwise than by
 * {@link startCli}, such as a CLI run in a network namespace through `ip netns exec`.
 */
export function collectOutput(child: ChildProcess, timeoutMs = 60_000): Cli {
  let out = "";
  const listeners = new Set<() => void>();
  const onData = (d: Buffer): void => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on("data", onData);
  child.stderr!.on("data", onData);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    out: () => out,
    exit,
    waitFor(re, waitMs = timeoutMs) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          const m = re.exec(out);
          if (m) {
            cleanup();
            resolve(m);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`no ${re} within ${waitMs} ms:\n${out}`));
        }, waitMs);
        const onExit = (): void => {
          setTimeout(() => {
            const m = re.exec(out);
            cleanup();
            if (m) resolve(m);
            else reject(new Error(`the process exited before ${re}:\n${out}`));
          }, 50);
        };
        const cleanup = (): void => {
          clearTimeout(timer);
          listeners.delete(check);
          child.off("exit", onExit);
        };
        listeners.add(check);
        child.once("exit", onExit);
        check();
      });
    },
  };
}

/** The CLI's exit, or a rejection naming what it printed when it has not exited within `timeoutMs`. */
export async function exitWithin(
  cli: Cli,
  timeoutMs = 30_000,
): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still running after ${timeoutMs} ms:\n${cli.out()}`)), timeoutMs);
  });
  try {
    return await Promise.race([cli.exit, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Pids of this user's processes whose environment carries `mark` (Linux /proc). */
export function markedPids(mark: string): number[] {
  const needle = `${MARK}=${mark}\0`;
  const out: number[] = [];
  let names: string[] = [];
  try {
    names = readdirSync("/proc");
  } catch {
    return out; // no /proc: not Linux, where these tests are run
  }
  for (const name of names) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      if (`${readFileSync(`/proc/${name}/environ`, "latin1")}\0`.includes(needle)) out.push(Number(name));
    } catch {
      // gone, or another user's
    }
  }
  return out;
}

/**
 * SIGKILLs every process carrying `mark`, and their groups, until none is left (bounded): what an
 * after/afterEach hook calls so that a failed test leaves nothing running to hold the file open.
 */
export async function reapMarked(mark: string, timeoutMs = 10_000): Promise<number[]> {
  const killed = new Set<number>();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = markedPids(mark).filter((pid) => !isZombie(pid));
    if (pids.length === 0 || Date.now() > deadline) return [...killed];
    for (const pid of pids) {
      killed.add(pid);
      for (const target of [-pid, pid]) {
        try {
          process.kill(target, "SIGKILL");
        } catch {
          // not a group leader, or gone already
        }
      }
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** A `switchyard serve` started by {@link startServe}, with the port it bound. */
export interface StartedServe {
  cli: Cli;
  port: number;
}

/**
 * Starts `switchyard serve --listen 127.0.0.1:0 ARGS` and resolves once it listens, with the port
 * the OS gave it, read from serve's binding line (text or `--log ndjson`). Port 0 and not a port
 * picked beforehand: on a busy machine another process can take a picked port before serve binds it.
 */
export async function startServe(
  env: NodeJS.ProcessEnv,
  mark: string,
  args: string[] = [],
  cwd = ROOT,
): Promise<StartedServe> {
  const cli = startCli(["serve", "--listen", "127.0.0.1:0", ...args], env, mark, cwd);
  const [, text, json] = await cli.waitFor(
    /^listening on 127\.0\.0\.1:(\d+) \(127\.0\.0\.1:0[,)]|^(\{"type":"binding".*"state":"listening".*\})$/m,
  );
  const port = text !== undefined ? Number(text) : (JSON.parse(json!) as { port: number }).port;
  assert(Number.isInteger(port) && port > 0, `serve reports the port it bound:\n${cli.out()}`);
  return { cli, port };
}

/**
 * Registers, in the calling `describe`, the hooks that end what a file started: each test's
 * processes after that test, the file's own (a shared serve) and `cleanup` after the file, also
 * when a test failed. `test()` is the mark for the running test's processes; `file` the file's.
 */
export function reapingHooks(cleanup: () => void): { file: string; test(): string } {
  const file = newMark();
  let current = `${file}-0`;
  let tests = 0;
  beforeEach(() => {
    tests += 1;
    current = `${file}-${tests}`;
  });
  afterEach(async () => {
    await reapMarked(current);
  });
  after(async () => {
    await reapMarked(file);
    cleanup();
  });
  return { file, test: () => current };
}
