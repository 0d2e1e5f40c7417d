/**
 * The files a mechanism writes under /etc (or /Library), recorded as they are made: every file
 * written and every folder that had to be created, so `disable` removes exactly those and leaves
 * the machine as it was. A file that exists already is never overwritten unless it is one of ours
 * (named after the user's uid), which is how `enable` run twice stays one change.
 */
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  rmdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname } from "node:path";

/** Writes files and symlinks, remembering what it created. */
export class SystemFiles {
  readonly files: string[] = [];
  readonly createdDirs: string[] = [];

  /** Writes `text` to `path` (mode 0644: world-readable, root-owned), creating missing folders (0755). */
  write(path: string, text: string): void {
    this.ensureDir(dirname(path));
    writeFileSync(path, text, { mode: 0o644 });
    chmodSync(path, 0o644);
    this.files.push(path);
  }

  /** A symlink at `path` pointing at `target` (replacing an older one of ours). */
  link(path: string, target: string): void {
    this.ensureDir(dirname(path));
    if (isPresent(path)) rmSync(path);
    symlinkSync(target, path);
    this.files.push(path);
  }

  private ensureDir(dir: string): void {
    if (existsSync(dir)) return;
    this.ensureDir(dirname(dir));
    mkdirSync(dir, { mode: 0o755 });
    this.createdDirs.push(dir);
  }
}

function isPresent(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Removes `files`, then the `createdDirs` that are empty (deepest first); returns a line per removal. */
export function removeRecorded(files: readonly string[], createdDirs: readonly string[]): string[] {
  const lines: string[] = [];
  for (const file of files) {
    if (!isPresent(file)) continue;
    rmSync(file);
    lines.push(`removed ${file}`);
  }
  for (const dir of [...createdDirs].reverse()) {
    if (!existsSync(dir) || readdirSync(dir).length > 0) continue;
    rmdirSync(dir);
    lines.push(`removed the folder ${dir} (enable had created it)`);
  }
  return lines;
}
