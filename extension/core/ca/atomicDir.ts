/**
 * Writing a whole directory at once: files go into a sibling temp directory which is renamed into
 * place, so a crash leaves either no CA or a complete one (plus a stale temp dir that is cleaned up).
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { writeFileExclusively } from "./exclusiveFile";

/** One file to write: keys get mode 0600, certificates 0644. */
export interface DirFile {
  name: string;
  content: string;
  mode: 0o600 | 0o644;
}

/** Removes temp directories left by an interrupted {@link writeDirAtomically} next to `dir`. */
export function removeStaleTempDirs(dir: string): string[] {
  const parent = dirname(dir);
  const prefix = `${basename(dir)}.tmp-`;
  let removed: string[] = [];
  try {
    removed = readdirSync(parent).filter((e) => e.startsWith(prefix));
  } catch {
    return [];
  }
  for (const e of removed) rmSync(join(parent, e), { recursive: true, force: true });
  return removed.map((e) => join(parent, e));
}

/** Moves `dir` aside to `dir.SUFFIX-<time>` (never deletes a CA) and returns where it went. */
export function moveAside(dir: string, suffix: string): string {
  const target = `${dir}.${suffix}-${new Date().toISOString().replace(/[:.]/g, "-")}`;
  renameSync(dir, target);
  return target;
}

/**
 * Creates `dir` (mode 0700) holding exactly `files`. `dir` must not exist or be empty. `files` are
 * written in order, so the one that marks completeness goes last.
 */
export function writeDirAtomically(dir: string, files: DirFile[]): void {
  mkdirSync(dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${randomBytes(4).toString("hex")}`;
  mkdirSync(tmp, { mode: 0o700 });
  chmodSync(tmp, 0o700);
  try {
    for (const f of files) writeFileExclusively(join(tmp, f.name), f.content, f.mode);
    try {
      rmdirSync(dir); // an existing empty directory (e.g. created by the user) would block the rename on Windows
    } catch {
      // absent, which is the usual case
    }
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
