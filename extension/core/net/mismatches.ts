/**
 * The mismatches between names, addresses and listeners that make "it works with curl but not in
 * the browser" happen, computed from plain data so the panel, the CLI and tests agree. Pure: no I/O.
 */
import { isLoopback, interfaceForAddress, splitZone, canonicalAddress, type LocalInterface } from "./interfaces";
import { formatSocketAddress } from "./listenErrors";
import type { NameResolution, ResolvedAddress } from "./resolution";
import type { ListenAddress } from "./types";

/** A proxy listener as the panel knows it: the resolved address and whether it is up. */
export interface BindingState extends ListenAddress {
  state: "listening" | "failed";
  /** For a failed binding, the explanation of why. */
  reason?: string;
}

/** Where an upstream (a route's dev server) answered when dialled on each of its addresses. */
export interface UpstreamListenState {
  /** The upstream URL's host as written, e.g. `localhost`. */
  host: string;
  port: number;
  /** How `host` resolves on this machine (system resolver order). */
  resolution: NameResolution;
  /** The addresses on which a TCP connection to `port` succeeded. */
  listeningOn: ResolvedAddress[];
}

/** Stable identifiers the panel keys its fix buttons on. */
export type MismatchCode =
  | "name-does-not-resolve"
  | "first-address-not-bound"
  | "address-not-local"
  | "wildcard-binding"
  | "upstream-family-mismatch"
  | "upstream-not-listening";

/** One problem, in words, with what to do about it. */
export interface Mismatch {
  code: MismatchCode;
  severity: "error" | "warning";
  /** The name, binding or upstream the problem is about. */
  subject: string;
  message: string;
  fix: string;
}

/** Everything the Bindings view knows. */
export interface MismatchInput {
  bindings: BindingState[];
  /** One per route hostname. */
  resolutions: NameResolution[];
  interfaces: LocalInterface[];
  upstreams?: UpstreamListenState[];
}

/** Every mismatch, errors first, in a stable order. */
export function findMismatches(input: MismatchInput): Mismatch[] {
  const found = [
    ...input.resolutions.flatMap((r) => nameMismatches(r, input.bindings, input.interfaces)),
    ...wildcardMismatches(input.bindings),
    ...(input.upstreams ?? []).flatMap(upstreamMismatches),
  ];
  return [...found.filter((m) => m.severity === "error"), ...found.filter((m) => m.severity === "warning")];
}

/**
 * Mismatches for one route name: it does not resolve; its first address (the one clients try
 * first) has no listening proxy binding; or it resolves to an address no local interface has.
 */
export function nameMismatches(
  resolution: NameResolution,
  bindings: BindingState[],
  interfaces: LocalInterface[],
): Mismatch[] {
  const name = resolution.name;
  const addresses = resolution.system.addresses;
  if (addresses.length === 0) {
    return [
      {
        code: "name-does-not-resolve",
        severity: "error",
        subject: name,
        message: `${name} does not resolve on this machine${resolution.system.error ? ` (${resolution.system.error})` : ""}`,
        fix: `map ${name} to 127.0.0.1 and ::1: "Switchyard: Add Host Mapping…", or \`switchyard hosts add ${name}\``,
      },
    ];
  }
  const out: Mismatch[] = [];
  const first = addresses[0]!;
  for (const port of listeningPorts(bindings)) {
    if (isCovered(first.address, first.family, port, bindings)) continue;
    const other = addresses.find((a) => isCovered(a.address, a.family, port, bindings));
    const where = formatSocketAddress(first.address, port);
    out.push({
      code: "first-address-not-bound",
      severity: "error",
      subject: name,
      message:
        `${name} resolves to ${first.address} first, but nothing of Switchyard listens on ${where}` +
        (other ? `; clients that do not fall back to ${other.address} fail or wait for a timeout` : ""),
      fix:
        first.family === 6
          ? `add [::1]:${port} (or localhost:${port}) to switchyard.proxy.listen, or map ${name} to 127.0.0.1 only`
          : `add ${where} to switchyard.proxy.listen, or map ${name} to an address the proxy listens on`,
    });
  }
  for (const a of addresses) {
    if (isLoopback(a.address) || interfaceForAddress(a.address, interfaces)) continue;
    const fromHosts = resolution.hostsFile.answers.find((h) => h.address === a.address);
    out.push({
      code: "address-not-local",
      severity: "warning",
      subject: name,
      message:
        `${name} resolves to ${a.address}${fromHosts ? ` (hosts file line ${fromHosts.line})` : " (from DNS)"}, ` +
        `which is not an address of any interface of this machine, so requests for it leave this machine`,
      fix: fromHosts
        ? `change the hosts entry to 127.0.0.1 / ::1 if ${name} is meant to be served here`
        : `add a hosts mapping for ${name} to 127.0.0.1 and ::1 to serve it locally`,
    });
  }
  return out;
}

/** A listening wildcard binding exposes the dev app to every network this machine is on. */
export function wildcardMismatches(bindings: BindingState[]): Mismatch[] {
  return bindings
    .filter((b) => b.wildcard && b.state === "listening")
    .map((b) => ({
      code: "wildcard-binding" as const,
      severity: "warning" as const,
      subject: b.spec,
      message: `the proxy listens on ${formatSocketAddress(b.address, b.port)}: every network this machine is on (Wi-Fi, VPN, Docker) can reach the dev app`,
      fix: `listen on localhost:${b.port} or an interface name (lo:${b.port}) unless other machines must reach it`,
    }));
}

/**
 * An upstream that answers on one loopback family while its name resolves to the other first
 * (the classic: Vite on 127.0.0.1, `localhost` -> ::1), or that answers on nothing at all.
 */
export function upstreamMismatches(upstream: UpstreamListenState): Mismatch[] {
  const target = upstream.host.includes(":")
    ? `[${upstream.host}]:${upstream.port}`
    : `${upstream.host}:${upstream.port}`;
  const listening = new Set(upstream.listeningOn.map((a) => canonicalAddress(splitZone(a.address).address)));
  const resolved = upstream.resolution.system.addresses;
  if (listening.size === 0) {
    return [
      {
        code: "upstream-not-listening",
        severity: "error",
        subject: target,
        message: `nothing listens on ${target} (tried ${resolved.map((a) => a.address).join(", ") || "no addresses"})`,
        fix: "start the dev server, or correct the route's upstream URL",
      },
    ];
  }
  const first = resolved[0];
  if (!first || listening.has(first.address)) return [];
  const on = [...listening].join(", ");
  return [
    {
      code: "upstream-family-mismatch",
      severity: "warning",
      subject: target,
      message: `${upstream.host} resolves to ${first.address} first, but the server on port ${upstream.port} listens only on ${on}; browsers and tools that try ${first.address} get "connection refused"`,
      fix:
        `point the route at http://${formatSocketAddress([...listening][0]!, upstream.port)}, or make the dev server ` +
        `listen on both (e.g. Vite: server.host "::" or "localhost" with Node >= 17)`,
    },
  ];
}

function listeningPorts(bindings: BindingState[]): number[] {
  return [...new Set(bindings.filter((b) => b.state === "listening").map((b) => b.port))];
}

/** Whether a listening binding accepts connections to `address`:`port` (wildcards included; `::` is dual-stack). */
function isCovered(address: string, family: 4 | 6, port: number, bindings: BindingState[]): boolean {
  const wanted = canonicalAddress(splitZone(address).address);
  return bindings.some(
    (b) =>
      b.state === "listening" &&
      b.port === port &&
      (canonicalAddress(splitZone(b.address).address) === wanted ||
        (b.wildcard && (b.address === "::" || family === 4))),
  );
}
