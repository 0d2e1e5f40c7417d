/**
 * Backups of the hosts file, kept in Switchyard's data directory rather than next to the file:
 * /etc stays clean, and the unprivileged process can write them before an elevated copy.
 *
 *     <dataDir>/hosts-backups/<hash of the file's path>/original  the file before Switchyard first wrote it
 *     <dataDir>/hosts-backups/<hash of the file's path>/last      the file before Switchyard's latest write
 *     <dataDir>/hosts-backups/<hash of the file's path>/source    which file these are backups of
 *
 * When the new file replaces the old one by rename, the old inode is never written again, so a
 * hard link to it is a true snapshot and costs nothing on a multi-MB file; otherwise (another
 * filesystem, an in-place write) the backup is a copy.
 */
import { createHash, randomBytes } from "node:crypto";
import { link, mkdir, open, rename, stat, unlink, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Where the backups of one hosts file live. */
export interface HostsBackupPaths {
  dir: string;
  original: string;
  last: string;
}

/** The backup paths for `hostsPath` under `dataDir`. */
export function hostsBackupPaths(hostsPath: string, dataDir: string): HostsBackupPaths {
  const id = createHash("sha256").update(hostsPath).digest("hex").slice(0, 16);
  const dir = join(dataDir, "hosts-backups", id);
  return { dir, original: join(dir, "original"), last: join(dir, "last") };
}

/**
 * Records the file as it is now (`bytes`, about to be replaced) as the last backup, and as the
 * original one if there is none yet. With `linkFrom` (the file is about to be replaced by rename)
 * the backups are hard links to it where possible.
 */
export async function saveHostsBackups(
  hostsPath: string,
  paths: HostsBackupPaths,
  bytes: Uint8Array,
  linkFrom?: string,
): Promise<void> {
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const live = linkFrom ? undefined : await stat(hostsPath).catch(() => undefined);
  const original = await stat(paths.original).catch(() => undefined);
  // An original linked to the file that is now about to be written in place would change with it.
  const originalIsLive = original && live && original.ino === live.ino && original.dev === live.dev;
  if (!original) await placeOnce(paths.original, bytes, linkFrom);
  else if (originalIsLive) await place(paths.original, bytes);
  await place(paths.last, bytes, linkFrom);
  await writeFile(join(paths.dir, "source"), `${hostsPath}\n`);
}

/** Puts the backup at `path` (replacing it) by hard link or copy. */
async function place(path: string, bytes: Uint8Array, linkFrom?: string): Promise<void> {
  const temp = await prepare(path, bytes, linkFrom);
  await rename(temp, path);
}

/** Puts the backup at `path` unless one is there; link() fails instead of replacing if another process won. */
async function placeOnce(path: string, bytes: Uint8Array, linkFrom?: string): Promise<void> {
  const temp = await prepare(path, bytes, linkFrom);
  try {
    await link(temp, path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function prepare(path: string, bytes: Uint8Array, linkFrom?: string): Promise<string> {
  const temp = `${path}.${randomBytes(4).toString("hex")}.tmp`;
  if (linkFrom) {
    try {
      await link(linkFrom, temp);
      return temp;
    } catch {
      // Another filesystem (EXDEV) or hard links not allowed (EPERM): copy instead.
    }
  }
  const handle = await open(temp, "wx", 0o600);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  return temp;
}
