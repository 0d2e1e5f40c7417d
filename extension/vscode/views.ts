/**
 * Turns core objects into the panel's plain view models (webview/protocol.ts). Pure functions:
 * no vscode API, so they are unit-tested without an extension host.
 */
import { publicUrl } from "../core/publicUrl";
import type { CaStatus } from "../core/ca/status";
import type { LocalInterface } from "../core/net/interfaces";
import type { Mismatch } from "../core/net/mismatches";
import type { NameResolution } from "../core/net/resolution";
import type { BindingRecord } from "../core/proxy/records/records";
import type { RouteSetting } from "../core/settings";
import { redactUrlCredentials } from "../core/urlCredentials";
import type {
  BindingView,
  CaView,
  InterfaceView,
  MismatchView,
  ResolutionView,
  RouteView,
} from "../../webview/protocol";

/** A binding as the Bindings view shows it. */
export function bindingView(b: BindingRecord): BindingView {
  return {
    spec: b.spec,
    address: b.address,
    family: b.family,
    port: b.port,
    interfaceName: b.interfaceName,
    state: b.state === "listening" ? "listening" : "failed",
    reason: b.state === "closed" ? "closed" : (b.reason ?? b.warning),
    wildcard: b.address === "0.0.0.0" || b.address === "::",
  };
}

/**
 * The TLS port the settings ask for (the first listen spec's port), so a route's URL keeps its port
 * while the proxy is off; undefined when no spec names a port.
 */
export function configuredTlsPort(listen: string[]): number | undefined {
  for (const spec of listen) {
    const port = Number(/:(\d+)$/.exec(spec)?.[1]);
    if (Number.isInteger(port) && port > 0 && port < 65536) return port;
  }
  return undefined;
}

/**
 * The URL a user types for a route, given the port the proxy listens on (or will), without the
 * port when `standardPorts` (443 reaches the proxy: core/publicUrl.ts).
 */
export function routeView(
  route: RouteSetting,
  tlsPort: number | undefined,
  index?: number,
  standardPorts = false,
): RouteView {
  const host = route.host.startsWith("*.") ? `www.${route.host.slice(2)}` : route.host;
  return {
    host: route.host,
    upstream: redactUrlCredentials(route.upstream),
    pathPrefix: route.pathPrefix,
    url: publicUrl(host, { tlsPort, standardPorts }, route.pathPrefix ?? "/"),
    ...(index !== undefined ? { index } : {}),
  };
}

export function resolutionView(r: NameResolution): ResolutionView {
  const errors = [r.hostsFile.error, r.system.error, r.dns.error].filter((e): e is string => Boolean(e));
  return {
    host: r.name,
    hostsFile: r.hostsFile.answers.map((a) => a.address),
    system: r.system.addresses.map((a) => a.address),
    dns: r.dns.addresses.map((a) => a.address),
    error: errors.length > 0 && r.system.addresses.length === 0 ? errors.join("; ") : undefined,
  };
}

export function mismatchView(m: Mismatch): MismatchView {
  return { code: m.code, message: m.message, fix: m.fix };
}

export function interfaceView(i: LocalInterface): InterfaceView {
  return {
    name: i.name,
    kind: i.kind,
    addresses: i.addresses.map((a) => ({ address: a.address, family: a.family, cidr: a.cidr })),
  };
}

export function caView(status: CaStatus): CaView {
  return {
    exists: true,
    directory: status.dir,
    subject: status.rootSubject,
    fingerprint: status.rootFingerprint256,
    notAfter: status.rootNotAfter,
    constrained: status.constraints !== null,
    permitted: status.constraints ? [...status.constraints.dns, ...status.constraints.ip] : undefined,
    trust: [
      ...status.trust.map((t) => ({
        store: t.description || t.store,
        available: t.available,
        trusted: t.trusted,
        detail: t.error ?? t.elevation ?? (t.available && !t.trusted ? t.reason : undefined),
        checkedBy: t.available ? t.checkedBy : undefined,
      })),
      {
        store: "node (NODE_EXTRA_CA_CERTS)",
        available: true,
        trusted: status.node.trusted,
        detail: status.node.trusted ? undefined : status.node.guidance,
      },
    ],
    leaves: status.leaves.map((l) => ({ names: l.names, notAfter: l.notAfter, fingerprint: l.fingerprint256 })),
  };
}

/** A connection record as a row of the Handshakes view: recordView.ts. */
export { recordView } from "./recordView";
