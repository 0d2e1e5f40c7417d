/**
 * The `.local` names routes get on the local network: `my-app.test` is also `my-app.local`
 * (RFC 6762: names under `.local` are resolved by multicast DNS, so a phone finds them with no DNS
 * server and no hosts file). A name someone else on the network already claims is renamed by the
 * responder (`my-app-2.local`); the proxy serves each claimed name as an alias of its route. Pure.
 */
import { isIP } from "node:net";
import type { RouteSetting } from "../settings";

/** A route's name on the LAN, as the responder holds it. */
export interface LanName {
  /** What the route asked for, e.g. `my-app.local`. */
  wanted: string;
  /** The name the responder claimed: `wanted`, or `my-app-2.local` after a conflict. */
  name: string;
  /** The route host it stands for, e.g. `my-app.test`. */
  routeHost: string;
  /** Probing state: a name is answered only once claimed. */
  state: "probing" | "claimed";
  /** Why `name` differs from `wanted`, in words. */
  renamedBecause?: string;
}

/**
 * The `.local` name for a route host: the last label (the TLD) replaced by `local`. Undefined for
 * wildcards, IP addresses, `localhost` and single-label hosts, which have no LAN name.
 */
export function lanNameFor(routeHost: string): string | undefined {
  const host = routeHost.toLowerCase().replace(/\.$/, "");
  if (host.startsWith("*.") || isIP(host) !== 0 || host === "localhost" || host.endsWith(".localhost"))
    return undefined;
  const dot = host.lastIndexOf(".");
  if (dot <= 0) return undefined;
  return `${host.slice(0, dot)}.local`;
}

/** The wanted `.local` names of a route list, one per route host (first route wins), in order. */
export function wantedLanNames(routes: readonly RouteSetting[]): { wanted: string; routeHost: string }[] {
  const seen = new Set<string>();
  const out: { wanted: string; routeHost: string }[] = [];
  for (const r of routes) {
    const wanted = lanNameFor(r.host);
    if (!wanted || seen.has(wanted)) continue;
    seen.add(wanted);
    out.push({ wanted, routeHost: r.host.toLowerCase() });
  }
  return out;
}

/**
 * The next name to try after `name` was found taken: `my-app.local` -> `my-app-2.local` ->
 * `my-app-3.local`, numbering the first label as RFC 6762 section 9 suggests.
 */
export function nextLanName(name: string, wanted: string): string {
  const firstDot = wanted.indexOf(".");
  const label = wanted.slice(0, firstDot);
  const rest = wanted.slice(firstDot);
  const m = new RegExp(`^${label.replace(/[-]/g, "\\-")}-(\\d+)\\.`).exec(name);
  const n = m ? Number(m[1]) + 1 : 2;
  return `${label}-${n}${rest}`;
}

/**
 * The alias routes the proxy serves for claimed names: each route of a claimed route host again,
 * with the `.local` name as its host, so SNI, Host, certificates and paths work as for the route.
 */
export function aliasRoutes(routes: readonly RouteSetting[], names: readonly LanName[]): RouteSetting[] {
  const out: RouteSetting[] = [];
  for (const n of names) {
    if (n.state !== "claimed") continue;
    for (const r of routes) if (r.host.toLowerCase() === n.routeHost) out.push({ ...r, host: n.name });
  }
  return out;
}
