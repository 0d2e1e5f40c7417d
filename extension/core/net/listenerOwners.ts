/**
 * Which user owns the socket that would accept a connection to a local address and port. Any user
 * can bind a loopback port another user's dev server left free (its ::1 twin, say), so before the
 * proxy sends a developer's requests there it asks who listens. On Linux /proc/net/tcp{,6} gives
 * the owner uid of every socket, readable by every user; elsewhere the answer is "unknown".
 */
import { readFile } from "node:fs/promises";
import { parseProcNetTcp } from "../devservers/procNet";

/** One listening socket and the uid that owns it. */
export interface OwnedListener {
  /** As bound: `127.0.0.1`, `::1`, `0.0.0.0`, `::` (IPv4-mapped addresses in IPv4 form). */
  address: string;
  port: number;
  uid: number;
}

/** `::ffff:127.0.0.1` -> `127.0.0.1`; lower case. */
function plain(address: string): string {
  return address.toLowerCase().replace(/^::ffff:(?=\d+\.)/, "");
}

const isV4 = (a: string): boolean => /^\d+\.\d+\.\d+\.\d+$/.test(a);

/**
 * Owner uid by socket inode, from the `uid` column of a /proc/net/tcp{,6} text. The rows are
 * parsed by devservers/procNet.ts, whose entries do not carry the uid; this reads only the two
 * columns that tie one to the other.
 */
function uidsByInode(text: string): Map<number, number> {
  const uids = new Map<number, number>();
  for (const line of text.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const uid = Number(fields[7]);
    const inode = Number(fields[9]);
    if (Number.isInteger(uid) && Number.isInteger(inode) && inode !== 0) uids.set(inode, uid);
  }
  return uids;
}

/**
 * The header and the rows of a table text whose local port is `port` and state LISTEN (0A), so
 * that only those are parsed: the table lists every socket of the machine, thousands under load.
 */
function listeningRowsOn(text: string, port: number): string {
  const local = `:${port.toString(16).toUpperCase().padStart(4, "0")} `;
  const lines = text.split("\n");
  const kept = [lines[0] ?? ""];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const at = line.indexOf(local);
    // The local address is the second field: its port comes before the remote address's.
    if (at >= 0 && / 0A /.test(line.slice(at, at + 60))) kept.push(line);
  }
  return kept.join("\n");
}

/** The listening sockets on `port` in the texts of /proc/net/tcp and tcp6, with their owners. Pure. */
export function parseOwnedListeners(texts: readonly string[], port: number): OwnedListener[] {
  const out: OwnedListener[] = [];
  for (const whole of texts) {
    const text = listeningRowsOn(whole, port);
    const sockets = parseProcNetTcp(text).filter((s) => s.listening && s.port === port);
    if (sockets.length === 0) continue;
    const uids = uidsByInode(text);
    for (const s of sockets) {
      const uid = uids.get(s.inode);
      if (uid !== undefined) out.push({ address: plain(s.address), port, uid });
    }
  }
  return out;
}

/** A read of the tables in flight, by /proc root: callers that ask meanwhile share it. */
const reading = new Map<string, Promise<string[]>>();

/**
 * The texts of /proc/net/tcp and tcp6 (those readable), read now. Concurrent callers share one
 * read, so a burst of new upstream connections (a page load, a load test) costs one read rather
 * than one each; nothing is kept once it has resolved, so every later dial reads afresh.
 */
function readTables(procRoot: string): Promise<string[]> {
  let pending = reading.get(procRoot);
  if (!pending) {
    pending = Promise.all(
      ["tcp", "tcp6"].map((f) => readFile(`${procRoot}/net/${f}`, "latin1").catch(() => undefined)),
    ).then((texts) => texts.filter((t): t is string => t !== undefined));
    const done = pending.finally(() => reading.delete(procRoot));
    void done.catch(() => undefined);
    reading.set(procRoot, pending);
  }
  return pending;
}

/**
 * The sockets listening on `port` now, with their owners, or undefined where the OS does not say
 * (not Linux, or /proc unreadable). Callers ask once per new upstream connection, not per request.
 */
export async function listenersOnPort(port: number, procRoot = "/proc"): Promise<OwnedListener[] | undefined> {
  if (process.platform !== "linux") return undefined;
  const texts = await readTables(procRoot);
  return texts.length === 0 ? undefined : parseOwnedListeners(texts, port);
}

/**
 * The listeners a connection to `address` would reach, as the kernel picks them: one bound to the
 * exact address first, else a wildcard of the same family (0.0.0.0 for IPv4), else `::` (which
 * also takes IPv4 unless it is IPv6-only). Several only when sockets share the port
 * (SO_REUSEPORT). Pure.
 */
export function acceptingListeners(listeners: readonly OwnedListener[], address: string): OwnedListener[] {
  const wanted = plain(address);
  const exact = listeners.filter((l) => l.address === wanted);
  if (exact.length > 0) return exact;
  const sameFamily = listeners.filter((l) => l.address === (isV4(wanted) ? "0.0.0.0" : "::"));
  if (sameFamily.length > 0) return sameFamily;
  return isV4(wanted) ? listeners.filter((l) => l.address === "::") : [];
}

/** The user name of `uid` in passwd-format text, or undefined. Pure. */
export function userNameIn(passwd: string, uid: number): string | undefined {
  for (const line of passwd.split("\n")) {
    const fields = line.split(":");
    if (fields.length >= 3 && Number(fields[2]) === uid && fields[2] !== "") return fields[0];
  }
  return undefined;
}

/** The user name of `uid` from /etc/passwd, or undefined (for the words of a refusal, so not cached). */
export async function userName(uid: number, passwdPath = "/etc/passwd"): Promise<string | undefined> {
  return userNameIn(await readFile(passwdPath, "utf8").catch(() => ""), uid);
}
