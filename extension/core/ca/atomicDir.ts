/**
 * Writing a whole directory at once: files go into a sibling temp directory which is renamed into
 * place, so a crash leaves either no CA or a complete one (plus a stale temp dir that is cleaned up).
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { isProcessGone } from "../hosts/leftovers";
import { writeFileExclusively } from "./exclusiveFile";

/** One file to write: keys get mode 0600, certificates 0644. */
export interface DirFile {
  name: string;
  content: string;
  mode: 0o600 | 0o644;
}

/**
 * Removes temp directories left next to `dir` by an interrupted {@link writeDirAtomically}: those of
 * processes that are gone (a create running at the same moment keeps its own).
 */
export function removeStaleTempDirs(dir: string): string[] {
  const parent = dirname(dir);
  const prefix = `${basename(dir)}.tmp-`;
  let removed: string[] = [];
  try {
    removed = readdirSync(parent).filter((e) => {
      if (!e.startsWith(prefix)) return false;
      const pid = Number(/^(\d+)-/.exec(e.slice(prefix.length))?.[1]);
      return !Number.isInteger(pid) || (pid !== process.pid && isProcessGone(pid));
    });
  } catch {
    return [];
  }
  for (const e of removed) rmSync(join(parent, e), { recursive: true, force: true });
  return removed.map((e) => join(parent, e));
}

/**
 * Moves `dir` aside to `dir.SUFFIX-<time>-<random>` (never deletes a CA) and returns where it went,
 * or undefined when it was already gone (another create moved it first).
 */
export function moveAside(dir: string, suffix: string): string | undefined {
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  const target = `${dir}.${suffix}-${stamp}-${randomBytes(2).toString("hex")}`;
  try {
    renameSync(dir, target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
  return target;
}

/**
 * Creates `dir` (mode 0700) holding exactly `files`. `dir` must not exist or be empty. `files` are
 * written in order, so the one that marks completeness goes last. When another process puts a
 * directory at `dir` first, `occupied()` decides: it moves that one aside (and the rename is tried
 * again, a bounded number of times) or throws.
 */
export function writeDirAtomically(dir: string, files: DirFile[], occupied: () => void): void {
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  mkdirSync(tmp, { mode: 0o700 });
  chmodSync(tmp, 0o700);
  try {
    for (const f of files) writeFileExclusively(join(tmp, f.name), f.content, f.mode);
    for (let attempt = 0; ; attempt++) {
      try {
        rmdirSync(dir); // an existing empty directory (e.g. created by the user) would block the rename on Windows
      } catch {
        // absent, which is the usual case, or not empty: the rename says which
      }
      try {
        renameSync(tmp, dir);
        return;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if ((code !== "ENOTEMPTY" && code !== "EEXIST" && code !== "EPERM") || attempt >= 4) throw e;
        occupied();
      }
    }
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
