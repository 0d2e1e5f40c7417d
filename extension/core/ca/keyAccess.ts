/**
 * Before signing: the issuing key and its folder must be this user's alone. A key others can read
 * is no longer secret, and a key or folder others can write lets them swap in a CA of their own, so
 * Switchyard refuses to sign with either and says which chmod or chown fixes it. (POSIX only:
 * Windows keeps the key under the user's profile, whose ACL already excludes other users.)
 */
import { statSync } from "node:fs";
import { dirname } from "node:path";
import { CaPermissionError } from "./errors";

/** Throws {@link CaPermissionError} unless `keyFile` and its folder are owned by this user and closed to others. */
export function assertKeyIsPrivate(keyFile: string): void {
  const uid = process.getuid?.();
  if (uid === undefined) return;
  const folder = dirname(keyFile);
  const folderInfo = statSync(folder);
  if (folderInfo.uid !== uid) throw new CaPermissionError(folder, "foreign-owner", folderInfo.uid);
  if ((folderInfo.mode & 0o022) !== 0) throw new CaPermissionError(folder, "folder-writable", folderInfo.mode);
  const keyInfo = statSync(keyFile);
  if (keyInfo.uid !== uid) throw new CaPermissionError(keyFile, "foreign-owner", keyInfo.uid);
  if ((keyInfo.mode & 0o077) !== 0) throw new CaPermissionError(keyFile, "key-open", keyInfo.mode);
}
