/**
 * Turns the listen specs of `switchyard.proxy.listen` into the concrete socket addresses to bind.
 *
 * A spec is one of:
 * - `ADDRESS:PORT` (`127.0.0.1:8443`) or `[IPV6]:PORT` (`[::1]:8443`, `[fe80::1%eth0]:8443`);
 * - `INTERFACE:PORT` (`lo:8443`, `eth0:8443`): every address on that interface. An interface name
 *   wins over a hostname of the same spelling. IPv6 link-local addresses (fe80::/10) are included
 *   with their zone appended (`fe80::1%eth0`, or `%12` on Windows, which wants the numeric scope
 *   id), because such an address means nothing, and cannot be bound, without saying which link;
 * - `HOSTNAME:PORT` (`localhost:8443`, `my-awesome-service.test:8443`): every address the system
 *   resolver returns (hosts file, then DNS), deduplicated, in resolver order, as a server does when
 *   given a URL. `localhost` and `*.localhost` also get 127.0.0.1 and ::1 whenever this machine
 *   has them, even when the hosts file lists only one: browsers resolve `localhost` to loopback
 *   themselves (RFC 6761) and try ::1 first, so the proxy must answer on both.
 * - `0.0.0.0:PORT` and `[::]:PORT` are wildcards, flagged `wildcard: true` so the caller warns.
 *   Node binds `::` dual-stack unless `ipv6Only` is set.
 *
 * Port 0 (the OS picks a free port) is accepted on an address (`127.0.0.1:0`, `[::1]:0`): that is
 * one socket, so one port, which the binding record then reports. A name or an interface may stand
 * for several addresses, each of which would get a different port, so `localhost:0` is refused.
 *
 * An address that is not on any local interface is still returned (interfaceName undefined): the
 * bind then fails with EADDRNOTAVAIL, which `explainListenError` puts in words, and the
 * binding shows up as failed rather than silently missing.
 *
 * See listenErrors.ts (`explainListenError`) for turning bind failures into words.
 */
import dns from "node:dns";
import net from "node:net";
import { canonicalAddress, interfaceForAddress, listInterfaces, type LocalInterface } from "./interfaces";
import { ListenSpecError, type ListenAddress } from "./types";

/** A listen spec split into its parts, before any lookup. */
export type ParsedListenSpec =
  | { kind: "address"; spec: string; address: string; family: 4 | 6; port: number }
  | { kind: "name"; spec: string; name: string; port: number };

/** One answer of the system resolver. */
export interface LookupAnswer {
  address: string;
  family: number;
}

/** What {@link resolveListenSpec} needs from the machine; tests inject their own. */
export interface ListenSpecDeps {
  /** Defaults to the machine's interfaces. */
  interfaces?: LocalInterface[];
  /** Defaults to `dns.promises.lookup(name, { all: true, verbatim: true })` (getaddrinfo: hosts file, then DNS). */
  lookup?: (name: string) => Promise<LookupAnswer[]>;
  platform?: NodeJS.Platform;
  /**
   * Accept port 0 on names and interfaces too (the OS picks a free port per address, so they may
   * differ). Off by default: port 0 is accepted only on a single address such as 127.0.0.1:0.
   */
  allowEphemeralPort?: boolean;
}

const WILDCARDS = new Set(["0.0.0.0", "::"]);

/**
 * Splits a spec into host and port without touching the network. Throws {@link ListenSpecError}
 * for a missing or invalid port, an unbracketed IPv6 address, an empty host, or port 0 on a name
 * or interface (unless `allowEphemeralPort`).
 */
export function parseListenSpec(spec: string, allowEphemeralPort = false): ParsedListenSpec {
  const text = spec.trim();
  if (text === "") throw new ListenSpecError(spec, "is empty; write ADDRESS:PORT, e.g. localhost:8443");
  let host: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0) throw new ListenSpecError(spec, 'has "[" without "]"; write IPv6 as [::1]:8443');
    host = text.slice(1, close);
    const rest = text.slice(close + 1);
    if (!rest.startsWith(":")) throw new ListenSpecError(spec, "needs a port after the brackets, e.g. [::1]:8443");
    portText = rest.slice(1);
    if (!net.isIPv6(host.split("%")[0]!))
      throw new ListenSpecError(spec, `"${host}" in brackets is not an IPv6 address`);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) throw new ListenSpecError(spec, `has no port; write ${text}:8443`);
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(":")) {
      throw new ListenSpecError(
        spec,
        `an IPv6 address needs brackets so its colons are not read as the port: [${host}]:${portText}`,
      );
    }
  }
  if (host === "" || host === "*") {
    throw new ListenSpecError(
      spec,
      `has no address; write 127.0.0.1:${portText} (this machine) or 0.0.0.0:${portText} (every network)`,
    );
  }
  const port = parsePort(spec, portText);
  const bare = host.split("%")[0]!;
  if (net.isIPv4(host)) return { kind: "address", spec, address: host, family: 4, port };
  if (net.isIPv6(bare)) return { kind: "address", spec, address: canonicalAddress(host), family: 6, port };
  if (/^\d+(\.\d+)*$/.test(host)) throw new ListenSpecError(spec, `"${host}" is not a valid IPv4 address`);
  if (port === 0 && !allowEphemeralPort) {
    throw new ListenSpecError(
      spec,
      `port 0 would pick a random port for each address of "${host}"; give a fixed one such as ${host}:8443, ` +
        `or port 0 on one address such as 127.0.0.1:0`,
    );
  }
  return { kind: "name", spec, name: host, port };
}

/**
 * Every socket address a listen spec stands for, deduplicated. Throws {@link ListenSpecError} when
 * the spec is malformed, the name resolves to nothing, or the interface has no addresses.
 */
export async function resolveListenSpec(spec: string, deps: ListenSpecDeps = {}): Promise<ListenAddress[]> {
  const parsed = parseListenSpec(spec, deps.allowEphemeralPort);
  const interfaces = deps.interfaces ?? listInterfaces();
  if (parsed.kind === "address") return [toListenAddress(spec, parsed.address, parsed.family, parsed.port, interfaces)];

  const iface = interfaces.find((i) => i.name === parsed.name);
  if (iface) return interfaceAddresses(spec, iface, parsed.port, deps.platform ?? process.platform);

  const answers = await lookupName(spec, parsed.name, deps.lookup ?? systemLookup);
  if (isLocalhostName(parsed.name)) {
    for (const loop of ["127.0.0.1", "::1"]) {
      if (interfaceForAddress(loop, interfaces)) answers.push({ address: loop, family: loop === "::1" ? 6 : 4 });
    }
  }
  const seen = new Set<string>();
  const out: ListenAddress[] = [];
  for (const a of answers) {
    const address = canonicalAddress(a.address);
    if (seen.has(address)) continue;
    seen.add(address);
    out.push(toListenAddress(spec, address, a.family === 6 ? 6 : 4, parsed.port, interfaces));
  }
  if (out.length === 0)
    throw new ListenSpecError(spec, `"${parsed.name}" resolves to no address; check the hosts file`);
  return out;
}

/** Resolves every spec; the first bad spec throws, naming itself. */
export async function resolveListenSpecs(specs: string[], deps: ListenSpecDeps = {}): Promise<ListenAddress[]> {
  const all = await Promise.all(specs.map((s) => resolveListenSpec(s, deps)));
  return all.flat();
}

/** `localhost` and names under `.localhost`, which RFC 6761 reserves for loopback. */
export function isLocalhostName(name: string): boolean {
  const n = name.toLowerCase().replace(/\.$/, "");
  return n === "localhost" || n.endsWith(".localhost");
}

function interfaceAddresses(
  spec: string,
  iface: LocalInterface,
  port: number,
  platform: NodeJS.Platform,
): ListenAddress[] {
  if (iface.addresses.length === 0) {
    throw new ListenSpecError(
      spec,
      `interface ${iface.name} has no addresses; bring it up or give it an address first`,
    );
  }
  return iface.addresses.map((a) => {
    const zone = platform === "win32" ? String(a.scopeId ?? "") : iface.name;
    const address = a.family === 6 && a.linkLocal && zone !== "" ? `${a.address}%${zone}` : a.address;
    return { spec, address, family: a.family, port, interfaceName: iface.name, wildcard: false };
  });
}

function toListenAddress(
  spec: string,
  address: string,
  family: 4 | 6,
  port: number,
  interfaces: LocalInterface[],
): ListenAddress {
  if (WILDCARDS.has(address)) return { spec, address, family, port, interfaceName: "*", wildcard: true };
  const iface = interfaceForAddress(address, interfaces);
  const out: ListenAddress = { spec, address, family, port, wildcard: false };
  if (iface) out.interfaceName = iface.name;
  return out;
}

async function lookupName(
  spec: string,
  name: string,
  lookup: (name: string) => Promise<LookupAnswer[]>,
): Promise<LookupAnswer[]> {
  try {
    return [...(await lookup(name))];
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    if (isLocalhostName(name)) return [];
    throw new ListenSpecError(
      spec,
      `"${name}" is neither an interface of this machine nor a name that resolves (${code}); ` +
        `add it to the hosts file, or use an address such as 127.0.0.1 or an interface name such as lo`,
    );
  }
}

async function systemLookup(name: string): Promise<LookupAnswer[]> {
  return dns.promises.lookup(name, { all: true, verbatim: true });
}

/** 0 included: whether port 0 is allowed depends on the host, which the caller checks. */
function parsePort(spec: string, text: string): number {
  if (!/^\d{1,5}$/.test(text)) throw new ListenSpecError(spec, `port "${text}" is not a number between 1 and 65535`);
  const port = Number(text);
  if (port > 65535) throw new ListenSpecError(spec, `port ${port} is above 65535`);
  return port;
}
