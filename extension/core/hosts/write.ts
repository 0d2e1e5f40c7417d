/**
 * Writes the hosts file so that a crash leaves either the old or the new file, never a mix: a temp
 * file in the same directory, fsync, rename over the target, fsync of the directory. The temp file
 * gets the target's mode and owner first. Where rename cannot replace the file (a bind-mounted
 * /etc/hosts in a container or WSL: EBUSY/EXDEV/EPERM), the bytes are written in place instead,
 * after the caller's backup (the way back from a crash in that mode). Temp copies left by a writer
 * that was killed are removed by the next one.
 */
import { randomBytes } from "node:crypto";
import { open, realpath, rename, stat, unlink, type FileHandle } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import type { Stats } from "node:fs";
import { HostsFileNotWritableError } from "./errors";
import { escapeRegExp, removeLeftovers } from "./leftovers";

/** How the bytes reached the file. */
export type WriteMethod = "rename" | "in-place";

/** Hooks for tests: a crash point. */
export interface WriteHooks {
  /** Called after the temp file is complete and synced, before it replaces the target. */
  beforeReplace?(tempPath: string): Promise<void>;
}

/** Options for {@link writeHostsFileSafely}. */
export interface SafeWriteOptions {
  hooks?: WriteHooks;
  /** Called just before the old content is replaced, with how it will be; the place to take backups. */
  beforeReplace?(method: WriteMethod, target: string): Promise<void>;
  /** Throws (e.g. HostsFileChangedError) if the target changed since it was read; checked just before replacing. */
  assertUnchanged?(current: Stats): void;
}

const RENAME_IMPOSSIBLE = new Set(["EBUSY", "EXDEV", "EPERM"]);
const NOT_ALLOWED = new Set(["EACCES", "EPERM", "EROFS"]);

/** Replaces the content of `path` (following symlinks) with the concatenated `chunks`, keeping owner and mode. */
export async function writeHostsFileSafely(
  path: string,
  chunks: readonly Uint8Array[],
  options: SafeWriteOptions = {},
): Promise<WriteMethod> {
  const target = await realpath(path).catch(() => path);
  const info = await stat(target);
  // The caller holds the hosts lock, so a temp copy of a dead writer is nobody's work in progress.
  await removeLeftovers(dirname(target), tempCopyPattern(basename(target)));
  const temp = join(
    dirname(target),
    `.${basename(target)}.switchyard-${process.pid}-${randomBytes(4).toString("hex")}.tmp`,
  );
  let handle: FileHandle;
  try {
    handle = await open(temp, "wx", info.mode & 0o777);
  } catch (e) {
    if (NOT_ALLOWED.has(code(e))) return writeInPlace(path, target, chunks, options);
    throw e;
  }
  try {
    await keepOwnerAndMode(handle, info);
    await writeAll(handle, chunks);
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    // Not allowed to give the copy the original owner: writing in place keeps it.
    if (code(e) === "EPERM") return writeInPlace(path, target, chunks, options);
    throw e;
  }
  await handle.close();
  try {
    await options.hooks?.beforeReplace?.(temp);
    options.assertUnchanged?.(await stat(target));
    await options.beforeReplace?.("rename", target);
    await rename(temp, target);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    if (RENAME_IMPOSSIBLE.has(code(e))) return writeInPlace(path, target, chunks, options);
    if (code(e) === "EACCES") throw new HostsFileNotWritableError(path, "EACCES");
    throw e;
  }
  await syncDirectory(dirname(target));
  return "rename";
}

/** `.hosts.switchyard-<pid>-<hex>.tmp`: the temp copy {@link writeHostsFileSafely} makes. */
function tempCopyPattern(base: string): RegExp {
  return new RegExp(`^\\.${escapeRegExp(base)}\\.switchyard-(\\d+)-[0-9a-f]+\\.tmp$`);
}

async function writeInPlace(
  path: string,
  target: string,
  chunks: readonly Uint8Array[],
  options: SafeWriteOptions,
): Promise<WriteMethod> {
  let handle: FileHandle;
  try {
    handle = await open(target, "r+");
  } catch (e) {
    if (NOT_ALLOWED.has(code(e))) throw new HostsFileNotWritableError(path, code(e));
    throw e;
  }
  try {
    options.assertUnchanged?.(await handle.stat());
    await options.beforeReplace?.("in-place", target);
    const length = await writeAll(handle, chunks);
    await handle.truncate(length);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return "in-place";
}

/** Writes the chunks from offset 0, looping over short writes; returns the total length. */
async function writeAll(handle: FileHandle, chunks: readonly Uint8Array[]): Promise<number> {
  let position = 0;
  for (const chunk of chunks) {
    let done = 0;
    while (done < chunk.byteLength) {
      const { bytesWritten } = await handle.write(chunk, done, chunk.byteLength - done, position);
      done += bytesWritten;
      position += bytesWritten;
    }
  }
  return position;
}

async function keepOwnerAndMode(handle: FileHandle, info: Stats): Promise<void> {
  if (process.platform === "win32") return;
  await handle.chmod(info.mode & 0o7777);
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid !== info.uid || gid !== info.gid) await handle.chown(info.uid, info.gid);
}

async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === "win32") return;
  const handle = await open(dir, "r").catch(() => undefined);
  await handle?.sync().catch(() => undefined);
  await handle?.close();
}

function code(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? "";
}
