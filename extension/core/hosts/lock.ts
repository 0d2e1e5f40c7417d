/**
 * A lock file created with O_EXCL so two Switchyard processes editing the same hosts file take
 * turns instead of one overwriting the other. A lock whose process is gone (or that is older than
 * `staleMs`) is broken, so a crashed writer never blocks the next one.
 */
import { link, open, readFile, rename, stat, unlink } from "node:fs/promises";
import { hostname } from "node:os";
import { HostsLockTimeoutError } from "./errors";

/** Options for {@link acquireHostsLock}. */
export interface HostsLockOptions {
  /** How long to wait for another process's lock. */
  timeoutMs?: number;
  /** A lock older than this is considered abandoned even if its process seems alive. */
  staleMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
  time: number;
}

/** Takes the lock at `lockPath`, waiting for other holders; resolves to the function that releases it. */
export async function acquireHostsLock(lockPath: string, options: HostsLockOptions = {}): Promise<() => Promise<void>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const me: LockOwner = { pid: process.pid, host: hostname(), time: Date.now() };
  for (let attempt = 0; ; attempt++) {
    try {
      const handle = await open(lockPath, "wx", 0o644);
      await handle.writeFile(JSON.stringify(me));
      await handle.close();
      return async () => {
        await unlink(lockPath).catch(() => undefined);
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const holder = await readOwner(lockPath);
    if (holder === "gone") continue;
    if (await isStale(lockPath, holder, staleMs)) {
      await breakLock(lockPath, holder);
      continue;
    }
    if (Date.now() > deadline) throw new HostsLockTimeoutError(lockPath, describe(holder));
    await sleep(Math.min(5 + attempt * 5, 100));
  }
}

async function readOwner(lockPath: string): Promise<LockOwner | "gone" | "unreadable"> {
  try {
    const parsed: unknown = JSON.parse(await readFile(lockPath, "utf8"));
    if (typeof parsed === "object" && parsed !== null) {
      const { pid, host, time } = parsed as Record<string, unknown>;
      if (typeof pid === "number" && typeof host === "string" && typeof time === "number") return { pid, host, time };
    }
    return "unreadable";
  } catch (e) {
    // Between open("wx") and writeFile the lock is empty; treat it as held and fresh.
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? "gone" : "unreadable";
  }
}

async function isStale(lockPath: string, holder: LockOwner | "unreadable", staleMs: number): Promise<boolean> {
  if (holder === "unreadable") {
    // A writer that died between creating and filling the lock leaves it empty: judge by its age.
    const info = await stat(lockPath).catch(() => undefined);
    return info !== undefined && Date.now() - info.mtimeMs > staleMs;
  }
  if (Date.now() - holder.time > staleMs) return true;
  if (holder.host !== hostname()) return false;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Moves the stale lock aside first, so two processes breaking it at once cannot delete a fresh lock blindly. */
async function breakLock(lockPath: string, holder: LockOwner | "unreadable"): Promise<void> {
  const aside = `${lockPath}.stale-${process.pid}-${Date.now()}`;
  try {
    await rename(lockPath, aside);
  } catch {
    return;
  }
  const moved = await readOwner(aside);
  if (holder !== "unreadable" && moved !== "gone" && moved !== "unreadable" && moved.pid !== holder.pid) {
    // We moved someone's fresh lock: put it back unless a third process already took the path
    // (link, unlike rename, fails instead of replacing).
    await link(aside, lockPath).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
}

function describe(holder: LockOwner | "unreadable"): string {
  return holder === "unreadable" ? "unknown process" : `pid ${holder.pid} on ${holder.host}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
