/**
 * Writing a file that holds a key or a certificate so that nothing planted in the target folder can
 * redirect or read it: the bytes go into a new file created exclusively (O_CREAT|O_EXCL|O_NOFOLLOW,
 * with its final mode from the first byte), which is then renamed over the destination. rename()
 * replaces a name, it never follows it, so a symlink planted after the checks is replaced, not
 * written through. A destination that already is a symlink, or is owned by another user, is refused
 * with {@link UnsafeDestinationError} rather than silently replaced.
 */
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  lstatSync,
  openSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join } from "node:path";
import { OutputFolderError, UnsafeDestinationError } from "./errors";

// O_NOFOLLOW does not exist on Windows; O_EXCL alone already refuses an existing name there.
const EXCLUSIVE = constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0);

/** Refuses `path` when it is a symlink, not a regular file, or owned by someone else; absent is fine. */
export function assertSafeDestination(path: string): void {
  let info;
  try {
    info = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  if (info.isSymbolicLink()) throw new UnsafeDestinationError(path, "symlink");
  if (!info.isFile()) throw new UnsafeDestinationError(path, "not-a-file");
  const uid = process.getuid?.();
  if (uid !== undefined && info.uid !== uid) throw new UnsafeDestinationError(path, "foreign-owner", info.uid);
}

/** Throws {@link OutputFolderError} unless `dir` is an existing directory: folders are never created on a guess. */
export function assertOutputFolder(dir: string): void {
  let info;
  try {
    info = statSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") throw new OutputFolderError(dir, "missing");
    throw e;
  }
  if (!info.isDirectory()) throw new OutputFolderError(dir, "not-a-folder");
}

/**
 * Writes `content` to `path` with `mode` (exact, not reduced by the umask), durably: a fresh
 * exclusive temp file in the same folder, fsync, rename over `path`. `durable: false` skips the
 * fsync, for caches whose torn copy is detected and rebuilt.
 */
export function writeFileExclusively(
  path: string,
  content: string | Uint8Array,
  mode: number,
  options: { durable?: boolean } = {},
): void {
  assertSafeDestination(path);
  const temp = join(
    dirname(path),
    `.${basename(path)}.switchyard-${process.pid}-${randomBytes(4).toString("hex")}.tmp`,
  );
  const fd = openSync(temp, EXCLUSIVE, mode);
  try {
    try {
      if (process.platform !== "win32") fchmodSync(fd, mode);
      const bytes = typeof content === "string" ? Buffer.from(content) : content;
      let done = 0;
      while (done < bytes.byteLength) done += writeSync(fd, bytes, done, bytes.byteLength - done);
      if (options.durable !== false) fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  } catch (e) {
    try {
      unlinkSync(temp);
    } catch {
      // already renamed or never created
    }
    throw e;
  }
}
