/**
 * Files a killed Switchyard writer leaves beside the hosts file (its temp copy, its lock's temp
 * file): each name carries the writer's pid, so the next writer removes those whose process is gone.
 */
import { readdir, unlink } from "node:fs/promises";
import { join } from "node:path";

/** True when no process `pid` exists on this machine (a process of another user counts as alive). */
export function isProcessGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/**
 * Removes the entries of `dir` whose name matches `pattern` (its first group is the writer's pid)
 * when that process is gone; returns the removed paths. Failures are ignored: this is tidying.
 */
export async function removeLeftovers(dir: string, pattern: RegExp): Promise<string[]> {
  const entries = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of entries) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || !isProcessGone(pid)) continue;
    const path = join(dir, name);
    if (
      await unlink(path).then(
        () => true,
        () => false,
      )
    )
      removed.push(path);
  }
  return removed;
}

/** Escapes `text` for use inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
