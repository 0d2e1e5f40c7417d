/**
 * Which of this machine's addresses other devices on the local network can reach: the addresses
 * the proxy also listens on while sharing is on, the ones the mDNS responder answers with, and
 * the hosts of the onboarding URLs. Pure over an interface list (core/net/interfaces.ts).
 */
import { listInterfaces, type LocalInterface } from "../net/interfaces";

/** One LAN address and the interface that carries it. */
export interface LanAddress {
  interfaceName: string;
  address: string;
  family: 4 | 6;
  /** `192.168.1.20/24`, used to tell which interface a querier is on. */
  cidr?: string;
}

/**
 * Every address a phone on the same network could dial: not loopback, not link-local (an IPv6
 * link-local address needs a zone no URL of a phone can carry; IPv4 link-local means no DHCP),
 * and not on a Docker or VM bridge (only containers and guests of this machine sit there).
 */
export function lanAddresses(interfaces: LocalInterface[] = listInterfaces()): LanAddress[] {
  const out: LanAddress[] = [];
  for (const iface of interfaces) {
    if (iface.internal || iface.kind === "loopback" || iface.kind === "bridge") continue;
    for (const a of iface.addresses) {
      if (a.linkLocal) continue;
      out.push({
        interfaceName: iface.name,
        address: a.address,
        family: a.family,
        ...(a.cidr ? { cidr: a.cidr } : {}),
      });
    }
  }
  return out;
}

/** Whether `address` lies in `cidr` (`10.1.2.3` in `10.1.0.0/16`); IPv4 and IPv6. */
export function inCidr(address: string, cidr: string): boolean {
  const [base, bitsText] = cidr.split("/");
  const bits = Number(bitsText);
  const a = addressBits(address);
  const b = base === undefined ? undefined : addressBits(base);
  if (!a || !b || a.length !== b.length || !Number.isInteger(bits)) return false;
  for (let i = 0; i < bits && i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function addressBits(address: string): number[] | undefined {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(address)) return address.split(".").flatMap((o) => byteBits(Number(o)));
  if (!address.includes(":")) return undefined;
  const [head = "", tail = ""] = address.split("::");
  const h = head ? head.split(":") : [];
  const t = address.includes("::") ? (tail ? tail.split(":") : []) : [];
  const groups = address.includes("::") ? [...h, ...Array<string>(8 - h.length - t.length).fill("0"), ...t] : h;
  if (groups.length !== 8) return undefined;
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [...byteBits(n >> 8), ...byteBits(n & 0xff)];
  });
}

function byteBits(n: number): number[] {
  return Array.from({ length: 8 }, (_, i) => (n >> (7 - i)) & 1);
}

/** The LAN addresses on the interface whose subnet holds `peer` (the querier); empty when none does. */
export function addressesFacing(peer: string, addresses: LanAddress[]): LanAddress[] {
  const facing = addresses.find((a) => a.cidr !== undefined && inCidr(peer, a.cidr));
  return facing ? addresses.filter((a) => a.interfaceName === facing.interfaceName) : [];
}
