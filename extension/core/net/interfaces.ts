/**
 * The machine's network interfaces as the panel shows them: each with its addresses and a guess at
 * what it is (loopback, a Docker/VM bridge, Wi-Fi, wired, a VPN). The guess comes from the name
 * only, because that is all `os.networkInterfaces()` gives without shelling out; it is a label for
 * people, never used to decide where to bind.
 */
import os from "node:os";
import net from "node:net";

/** What an interface most likely is, guessed from its name. */
export type InterfaceKind = "loopback" | "bridge" | "wifi" | "wired" | "vpn" | "other";

/** One address on an interface. */
export interface InterfaceAddress {
  /** Canonical form without a zone, e.g. `fe80::1`, `192.168.1.20`. */
  address: string;
  family: 4 | 6;
  netmask: string;
  /** `192.168.1.20/24`, when the OS reports it. */
  cidr?: string;
  /** IPv6 scope id (the interface index) for link-local addresses. */
  scopeId?: number;
  /** fe80::/10 or 169.254/16: reachable only on this link, and IPv6 ones need a `%zone` to be used. */
  linkLocal: boolean;
}

/** One network interface of this machine. */
export interface LocalInterface {
  name: string;
  kind: InterfaceKind;
  /** The OS says it is internal (loopback). */
  internal: boolean;
  mac?: string;
  addresses: InterfaceAddress[];
}

/** The shape `os.networkInterfaces()` returns; injectable so tests and other platforms can be described. */
export type InterfaceTable = NodeJS.Dict<os.NetworkInterfaceInfo[]>;

const BRIDGE =
  /^(docker\d*|br-|virbr|veth|vboxnet|vmnet|cni|flannel|cali|podman|lxcbr|lxdbr|kube|weave|vnic|bridge\d|vEthernet|anpi|ap\d|awdl|llw)/i;
const VPN = /^(tun|tap|wg|utun|ppp|ipsec|tailscale|zt|nordlynx|proton|gpd|cscotun|ham)/i;
const WIFI = /^(wl|wlan|wlp|wifi|ath|ra\d)|wi-?fi|wlan|wireless|airport/i;
const WIRED = /^(eth|en[ospx]|em\d|eno|ens|enx|ib\d)|^ethernet/i;
const LOOPBACK = /^(lo\d*|loopback)$|loopback pseudo-interface/i;

/**
 * Guesses what an interface is from its name. macOS names Wi-Fi and Ethernet alike (`en0`), so
 * there `en*` is "other" rather than a confident wrong answer.
 */
export function guessInterfaceKind(
  name: string,
  internal: boolean,
  platform: NodeJS.Platform = process.platform,
): InterfaceKind {
  if (internal || LOOPBACK.test(name)) return "loopback";
  if (BRIDGE.test(name)) return "bridge";
  if (VPN.test(name)) return "vpn";
  if (WIFI.test(name)) return "wifi";
  if (platform === "darwin" && /^en\d/.test(name)) return "other";
  if (WIRED.test(name)) return "wired";
  return "other";
}

/** The machine's interfaces (or those of `table`), in the order the OS lists them. */
export function listInterfaces(
  table: InterfaceTable = os.networkInterfaces(),
  platform: NodeJS.Platform = process.platform,
): LocalInterface[] {
  const out: LocalInterface[] = [];
  for (const [name, infos] of Object.entries(table)) {
    if (!infos) continue;
    const internal = infos.some((i) => i.internal);
    const mac = infos.find((i) => i.mac && i.mac !== "00:00:00:00:00:00")?.mac;
    const addresses = infos.map((i): InterfaceAddress => {
      const family = familyOf(i.family);
      const address = canonicalAddress(i.address);
      const entry: InterfaceAddress = { address, family, netmask: i.netmask, linkLocal: isLinkLocal(address) };
      if (i.cidr) entry.cidr = i.cidr;
      if (family === 6 && "scopeid" in i && i.scopeid) entry.scopeId = i.scopeid;
      return entry;
    });
    const iface: LocalInterface = { name, kind: guessInterfaceKind(name, internal, platform), internal, addresses };
    if (mac) iface.mac = mac;
    out.push(iface);
  }
  return out;
}

/**
 * The interface that carries `address` on this machine, or undefined when no interface has it
 * (binding it then fails with EADDRNOTAVAIL). A `%zone` on an IPv6 address must match the
 * interface's name or scope id; IPv4-mapped IPv6 (`::ffff:127.0.0.1`) matches the IPv4 address.
 */
export function interfaceForAddress(
  address: string,
  interfaces: LocalInterface[] = listInterfaces(),
): LocalInterface | undefined {
  const { address: bare, zone } = splitZone(address);
  const wanted = canonicalAddress(unmapIpv4(bare));
  for (const iface of interfaces) {
    for (const a of iface.addresses) {
      if (a.address !== wanted) continue;
      if (zone !== undefined && zone !== iface.name && zone !== String(a.scopeId ?? "")) continue;
      return iface;
    }
  }
  return undefined;
}

/** Splits `fe80::1%eth0` into the address and its zone. */
export function splitZone(address: string): { address: string; zone?: string } {
  const pct = address.indexOf("%");
  return pct < 0 ? { address } : { address: address.slice(0, pct), zone: address.slice(pct + 1) };
}

/**
 * One spelling per address, so `0:0:0:0:0:0:0:1`, `::1` and `::0001` compare equal: IPv6 is
 * lower-cased and compressed (via the WHATWG URL parser, which implements RFC 5952). Anything
 * that is not an IP address comes back unchanged.
 */
export function canonicalAddress(address: string): string {
  const { address: bare, zone } = splitZone(address);
  if (net.isIPv6(bare)) {
    const host = new URL(`http://[${bare}]/`).hostname.slice(1, -1);
    return zone === undefined ? host : `${host}%${zone}`;
  }
  return address;
}

/** fe80::/10 (IPv6) or 169.254.0.0/16 (IPv4). */
export function isLinkLocal(address: string): boolean {
  const bare = splitZone(address).address.toLowerCase();
  if (net.isIPv4(bare)) return bare.startsWith("169.254.");
  return net.isIPv6(bare) && /^fe[89ab][0-9a-f]:/.test(canonicalAddress(bare));
}

/** 127.0.0.0/8 or ::1. */
export function isLoopback(address: string): boolean {
  const bare = canonicalAddress(unmapIpv4(splitZone(address).address));
  return bare === "::1" || (net.isIPv4(bare) && bare.startsWith("127."));
}

function unmapIpv4(address: string): string {
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

function familyOf(family: string | number): 4 | 6 {
  return family === "IPv6" || family === 6 ? 6 : 4;
}

/** Strips the IPv4-mapped prefix Node gives dual-stack sockets (`::ffff:127.0.0.1`). */
export function plainAddress(address: string | undefined): string {
  if (!address) return "unknown";
  return address.startsWith("::ffff:") && net.isIPv4(address.slice(7)) ? address.slice(7) : address;
}
