/**
 * `sudo switchyard ca trust` runs as root with root's HOME, but the browsers whose databases it must
 * reach belong to the user who typed sudo. This finds that user (SUDO_USER, SUDO_UID, SUDO_GID and
 * their home from /etc/passwd), so NSS stores use their home and hand what they create back to them.
 */
import { readFileSync } from "node:fs";

/** The user who ran sudo. */
export interface InvokingUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** The home folder of `name` in passwd-format text, or undefined. */
export function homeFromPasswd(passwd: string, name: string): string | undefined {
  for (const line of passwd.split("\n")) {
    const fields = line.split(":");
    if (fields[0] === name && fields.length >= 7) return fields[5] || undefined;
  }
  return undefined;
}

/** The user behind sudo when this process is root through sudo, else undefined. */
export function invokingUser(
  env: NodeJS.ProcessEnv,
  isPrivileged: boolean,
  readPasswd: () => string = () => readFileSync("/etc/passwd", "utf8"),
): InvokingUser | undefined {
  const name = env.SUDO_USER;
  const uid = Number(env.SUDO_UID);
  const gid = Number(env.SUDO_GID);
  if (!isPrivileged || !name || name === "root" || !Number.isInteger(uid) || uid === 0 || !Number.isInteger(gid))
    return undefined;
  let home: string | undefined;
  try {
    home = homeFromPasswd(readPasswd(), name);
  } catch {
    home = undefined;
  }
  return home ? { name, uid, gid, home } : undefined;
}
