/**
 * Linux's socket tables (`/proc/PID/net/tcp` and `tcp6`): which sockets listen, on which address
 * and port, and their inode, which ties a socket to the processes holding it open (their
 * `/proc/PID/fd/N -> socket:[INODE]` links). Pure: text in, entries out.
 */
import { readdirSync, readlinkSync } from "node:fs";
import { endianness } from "node:os";

/** One row of /proc/net/tcp{,6}. */
export interface ProcNetSocket {
  family: 4 | 6;
  address: string;
  port: number;
  /** True for TCP_LISTEN (state 0A). */
  listening: boolean;
  inode: number;
}

/** A 32-bit word as /proc prints it (host byte order, as hex) to its four network-order bytes. */
function wordBytes(hex: string, littleEndian: boolean): number[] {
  const n = Number.parseInt(hex, 16);
  const bytes = [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
  return littleEndian ? bytes.reverse() : bytes;
}

/** The address part of `0100007F:1F90` (IPv4) or a 32-digit IPv6 word group, as text. */
export function decodeProcAddress(hex: string, littleEndian = endianness() === "LE"): string | undefined {
  if (hex.length === 8) return wordBytes(hex, littleEndian).join(".");
  if (hex.length !== 32) return undefined;
  const bytes: number[] = [];
  for (let i = 0; i < 32; i += 8) bytes.push(...wordBytes(hex.slice(i, i + 8), littleEndian));
  // An IPv4-mapped address (::ffff:a.b.c.d) reads best in its IPv4 form.
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff)
    return `::ffff:${bytes.slice(12).join(".")}`;
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return compressIpv6(groups);
}

/** RFC 5952 text: the longest run of two or more zero groups becomes "::". */
function compressIpv6(groups: string[]): string {
  let best = { start: -1, length: 0 };
  for (let i = 0; i < groups.length;) {
    if (groups[i] !== "0") {
      i += 1;
      continue;
    }
    let j = i;
    while (j < groups.length && groups[j] === "0") j += 1;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j;
  }
  if (best.start < 0) return groups.join(":");
  const head = groups.slice(0, best.start).join(":");
  const tail = groups.slice(best.start + best.length).join(":");
  return `${head}::${tail}`;
}

/**
 * Parses the whole text of /proc/net/tcp or /proc/net/tcp6; lines it cannot read are left out.
 * The family is told by the address's length unless given.
 */
export function parseProcNetTcp(text: string, family?: 4 | 6, littleEndian = endianness() === "LE"): ProcNetSocket[] {
  const out: ProcNetSocket[] = [];
  for (const line of text.split("\n").slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 10) continue;
    const [addrHex, portHex] = (fields[1] ?? "").split(":");
    const address = addrHex ? decodeProcAddress(addrHex, littleEndian) : undefined;
    const port = Number.parseInt(portHex ?? "", 16);
    const inode = Number(fields[9]);
    if (address === undefined || !Number.isInteger(port) || !Number.isInteger(inode)) continue;
    out.push({
      family: family ?? (addrHex?.length === 32 ? 6 : 4),
      address,
      port,
      listening: fields[3] === "0A",
      inode,
    });
  }
  return out;
}

/**
 * Which process holds each socket inode, from the `/proc/PID/fd/N -> socket:[INODE]` links of the
 * given pids (every readable process when omitted; other users' are unreadable, which is fine: a
 * dev server of this user is what matters). procfs reads are in-memory, so they are synchronous.
 */
export function socketOwners(proc = "/proc", pids?: readonly number[]): Map<number, number> {
  const owner = new Map<number, number>();
  const list =
    pids ??
    readdirSync(proc)
      .filter((n) => /^\d+$/.test(n))
      .map(Number);
  for (const pid of list) {
    let fds: string[];
    try {
      fds = readdirSync(`${proc}/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target = "";
      try {
        target = readlinkSync(`${proc}/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && !owner.has(Number(m[1]))) owner.set(Number(m[1]), pid);
    }
  }
  return owner;
}
