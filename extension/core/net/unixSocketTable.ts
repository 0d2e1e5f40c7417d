/**
 * Linux's table of Unix sockets as `ss -xpn` prints it (iproute2, from sock_diag): each socket's
 * inode, the inode of its peer (UNIX_DIAG_PEER, which /proc/net/unix does not have) and the
 * processes holding it open. That is how the control socket learns which process is on the other
 * end of a connection, since Node cannot read SO_PEERCRED. Pure: text in, entries out.
 *
 * ss prints socket names raw: a name may hold spaces and even newlines, so any process can add a
 * line that looks like a socket of its choosing. Callers therefore treat an inode seen on two
 * lines as unknown, and check a holder's pid against /proc/PID/fd before believing it.
 */

/** One process holding a socket open, as ss names it. */
export interface UnixSocketHolder {
  pid: number;
  fd: number;
}

/** One line of `ss -xpn`. */
export interface UnixSocketEntry {
  inode: number;
  /** 0 when the socket has no peer (a listener, an unconnected socket). */
  peerInode: number;
  /** Empty when ss could not see them (another user's process, unless ss runs as root). */
  holders: UnixSocketHolder[];
}

// Netid State Recv-Q Send-Q LocalName LocalInode PeerName PeerInode [users:((...))]. The local name is
// matched shortest-first and the line is anchored at its end: a name with spaces stays in the name.
const LINE_RE = /^u_\S+\s+\S+\s+\d+\s+\d+\s+.*?\s(\d+)\s+\S+\s+(\d+)(?:\s+users:\(\((.*)\)\))?\s*$/;
const HOLDER_RE = /pid=(\d+),fd=(\d+)/g;

/** The sockets in the output of `ss -xpn` (the header and lines that do not parse are left out). */
export function parseUnixSocketTable(text: string): UnixSocketEntry[] {
  const entries: UnixSocketEntry[] = [];
  for (const line of text.split("\n")) {
    const m = LINE_RE.exec(line);
    if (!m) continue;
    const holders = [...(m[3] ?? "").matchAll(HOLDER_RE)].map((h) => ({ pid: Number(h[1]), fd: Number(h[2]) }));
    entries.push({ inode: Number(m[1]), peerInode: Number(m[2]), holders });
  }
  return entries;
}

/** The one entry whose own inode is `inode`; undefined when there is none, or more than one (forged). */
export function uniqueEntry(entries: readonly UnixSocketEntry[], inode: number): UnixSocketEntry | undefined {
  const found = entries.filter((e) => e.inode === inode);
  return found.length === 1 ? found[0] : undefined;
}

/**
 * The peer of the socket `inode` (the other end of a connection) and the processes ss says hold
 * it, or undefined when the table cannot say: no such line, no peer, a forged duplicate, no holders.
 */
export function peerOf(
  entries: readonly UnixSocketEntry[],
  inode: number,
): { inode: number; holders: UnixSocketHolder[] } | undefined {
  const own = uniqueEntry(entries, inode);
  if (!own || own.peerInode === 0) return undefined;
  const peer = uniqueEntry(entries, own.peerInode);
  // A connected pair names each other; anything else is a line someone wrote into a socket name.
  if (!peer || peer.peerInode !== inode || peer.holders.length === 0) return undefined;
  return { inode: peer.inode, holders: peer.holders };
}
