/** IP addresses and CIDR ranges as bytes: what the iPAddress name constraint and SAN encode. */
import { isIP } from "node:net";

/** A CIDR range: network address and mask, both 4 bytes (IPv4) or 16 bytes (IPv6). */
export interface IpRange {
  /** As written, normalised: "127.0.0.0/8". */
  cidr: string;
  address: Buffer;
  mask: Buffer;
}

/** The bytes of an IPv4 or IPv6 address, or undefined when `text` is not one. */
export function ipBytes(text: string): Buffer | undefined {
  const kind = isIP(text);
  if (kind === 4) return Buffer.from(text.split(".").map(Number));
  if (kind !== 6) return undefined;
  let head = text;
  let v4Tail: number[] = [];
  const lastColon = text.lastIndexOf(":");
  if (text.slice(lastColon + 1).includes(".")) {
    v4Tail = text
      .slice(lastColon + 1)
      .split(".")
      .map(Number);
    head = text.slice(0, lastColon + 1) + "0:0";
  }
  const [left = "", right] = head.split("::");
  const parts = (s: string): number[] => (s === "" ? [] : s.split(":").map((h) => parseInt(h, 16)));
  const l = parts(left);
  const r = right === undefined ? [] : parts(right);
  const groups = [...l, ...new Array<number>(8 - l.length - r.length).fill(0), ...r];
  const out = Buffer.alloc(16);
  groups.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  if (v4Tail.length === 4) Buffer.from(v4Tail).copy(out, 12);
  return out;
}

/** Parses "10.0.0.0/8", "fd00::/8" or a bare address (a /32 or /128). Throws with a readable message. */
export function parseCidr(text: string): IpRange {
  const [addr = "", prefixText] = text.trim().split("/");
  const address = ipBytes(addr);
  if (!address) throw new Error(`"${text}" is not an IP range; write it as 10.0.0.0/8 or fd00::/8`);
  const bits = address.length * 8;
  const prefix = prefixText === undefined ? bits : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) {
    throw new Error(`"${text}": the prefix length must be between 0 and ${bits}`);
  }
  const mask = Buffer.alloc(address.length);
  for (let i = 0; i < prefix; i++) mask[i >> 3] = (mask[i >> 3] ?? 0) | (0x80 >> (i & 7));
  const network = Buffer.from(address.map((b, i) => b & (mask[i] ?? 0)));
  return { cidr: `${formatIp(network)}/${prefix}`, address: network, mask };
}

/** True when `ip` (bytes) lies inside `range`. */
export function rangeContains(range: IpRange, ip: Buffer): boolean {
  if (ip.length !== range.address.length) return false;
  return ip.every((b, i) => (b & (range.mask[i] ?? 0)) === range.address[i]);
}

/** Text form of address bytes (IPv6 without zero compression, which is fine for display). */
export function formatIp(bytes: Buffer): string {
  if (bytes.length === 4) return [...bytes].join(".");
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  return groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
}
