/**
 * A lock file so two Switchyard processes editing the same hosts file take turns instead of one
 * overwriting the other. The lock's content (pid, host, time) is complete before its name appears:
 * it is written to a temp file that is then hard-linked to the lock's name, which fails when the
 * lock is held. So a crash can leave a lock naming a dead process (broken at once by the next
 * writer), but never an empty one. Every wait is bounded and ends when the caller's signal aborts.
 */
import { randomBytes } from "node:crypto";
import { link, open, readFile, rename, stat, unlink, writeFile } from "node:fs/promises";
import { hostname } from "node:os";
import { basename, dirname } from "node:path";
import { HostsLockAbortedError, HostsLockStuckError, HostsLockTimeoutError } from "./errors";
import { escapeRegExp, isProcessGone, removeLeftovers } from "./leftovers";

/** Options for {@link acquireHostsLock}. */
export interface HostsLockOptions {
  /** How long to wait for another process's lock. */
  timeoutMs?: number;
  /** A lock older than this is considered abandoned even if its process seems alive. */
  staleMs?: number;
  /** Ends the wait (SIGINT/SIGTERM in the CLI) with {@link HostsLockAbortedError}. */
  signal?: AbortSignal;
  /** Called once when the lock is held by another live writer and this one starts to wait. */
  onWait?: (holder: string) => void;
}

interface LockOwner {
  pid: number;
  host: string;
  time: number;
}

type Holder = LockOwner | "gone" | "unreadable";

/**
 * A lock without readable content can only come from a filesystem without hard links (where the
 * content is written after the name appears) or an older Switchyard: give its writer this long.
 */
const UNREADABLE_GRACE_MS = 1000;

/** Takes the lock at `lockPath`, waiting for other holders; resolves to the function that releases it. */
export async function acquireHostsLock(lockPath: string, options: HostsLockOptions = {}): Promise<() => Promise<void>> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const staleMs = options.staleMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const me: LockOwner = { pid: process.pid, host: hostname(), time: Date.now() };
  for (let attempt = 0; ; attempt++) {
    if (options.signal?.aborted) throw new HostsLockAbortedError(lockPath);
    if (await tryCreate(lockPath, me)) {
      await removeLeftovers(dirname(lockPath), lockLeftoverPattern(lockPath));
      return async () => {
        await unlink(lockPath).catch(() => undefined);
      };
    }
    const holder = await readOwner(lockPath);
    if (holder !== "gone" && (await isStale(lockPath, holder, staleMs))) {
      const broken = await breakLock(lockPath, holder);
      if (broken === "not-allowed") throw new HostsLockStuckError(lockPath, describe(holder));
      if (broken === "broken") continue;
    }
    if (Date.now() > deadline) throw new HostsLockTimeoutError(lockPath, describe(holder));
    if (holder !== "gone" && attempt === 0) options.onWait?.(describe(holder));
    if (holder !== "gone") await sleep(Math.min(5 + attempt * 5, 100), options.signal);
  }
}

/** The lock's temp file and a stale lock moved aside, by a writer killed at that moment. */
function lockLeftoverPattern(lockPath: string): RegExp {
  return new RegExp(`^${escapeRegExp(basename(lockPath))}\\.(?:stale-)?(\\d+)-[0-9a-f]+(?:\\.tmp)?$`);
}

/** Creates the lock with its content in one step; false when someone holds it. */
async function tryCreate(lockPath: string, me: LockOwner): Promise<boolean> {
  const temp = `${lockPath}.${process.pid}-${randomBytes(4).toString("hex")}.tmp`;
  await writeFile(temp, JSON.stringify(me), { flag: "wx", mode: 0o644 });
  try {
    await link(temp, lockPath);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS" && code !== "EOPNOTSUPP") throw e;
    return createWithoutLink(lockPath, me);
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** Where hard links are not supported: create exclusively, then fill (see {@link UNREADABLE_GRACE_MS}). */
async function createWithoutLink(lockPath: string, me: LockOwner): Promise<boolean> {
  try {
    const handle = await open(lockPath, "wx", 0o644);
    await handle.writeFile(JSON.stringify(me));
    await handle.close();
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  }
}

async function readOwner(lockPath: string): Promise<Holder> {
  try {
    const parsed: unknown = JSON.parse(await readFile(lockPath, "utf8"));
    if (typeof parsed === "object" && parsed !== null) {
      const { pid, host, time } = parsed as Record<string, unknown>;
      if (typeof pid === "number" && typeof host === "string" && typeof time === "number") return { pid, host, time };
    }
    return "unreadable";
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ENOENT" ? "gone" : "unreadable";
  }
}

async function isStale(lockPath: string, holder: LockOwner | "unreadable", staleMs: number): Promise<boolean> {
  if (holder === "unreadable") {
    const info = await stat(lockPath).catch(() => undefined);
    return info !== undefined && Date.now() - info.mtimeMs > UNREADABLE_GRACE_MS;
  }
  if (Date.now() - holder.time > staleMs) return true;
  return holder.host === hostname() && isProcessGone(holder.pid);
}

/**
 * Moves the stale lock aside first, so two processes breaking it at once cannot delete a fresh lock
 * blindly. "raced" when the lock changed hands meanwhile; "not-allowed" when this user may not
 * remove it (a lock left by another user in a sticky folder), which no amount of waiting fixes.
 */
async function breakLock(
  lockPath: string,
  holder: LockOwner | "unreadable",
): Promise<"broken" | "raced" | "not-allowed"> {
  const aside = `${lockPath}.stale-${process.pid}-${Date.now()}`;
  try {
    await rename(lockPath, aside);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === "EACCES" || code === "EPERM" || code === "EROFS" ? "not-allowed" : "raced";
  }
  const moved = await readOwner(aside);
  if (holder !== "unreadable" && moved !== "gone" && moved !== "unreadable" && moved.pid !== holder.pid) {
    // We moved someone's fresh lock: put it back unless a third process already took the path
    // (link, unlike rename, fails instead of replacing).
    await link(aside, lockPath).catch(() => undefined);
  }
  await unlink(aside).catch(() => undefined);
  return "broken";
}

function describe(holder: Holder): string {
  return holder === "unreadable" || holder === "gone" ? "unknown process" : `pid ${holder.pid} on ${holder.host}`;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
  });
}
