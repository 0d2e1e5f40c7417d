/**
 * Which route serves a request. Pure: hosts and paths in, {@link RouteSetting} out.
 * Exact hosts beat wildcards, and the longest matching path prefix wins.
 */
import type { RouteSetting } from "../settings";

/** The host name of a Host header or :authority: lower-case, no port, no brackets, no trailing dot. */
export function hostOf(hostHeader: string): string {
  let h = hostHeader.trim().toLowerCase();
  if (h.startsWith("[")) {
    const close = h.indexOf("]");
    h = close > 0 ? h.slice(1, close) : h;
  } else {
    const colon = h.lastIndexOf(":");
    if (colon >= 0 && h.indexOf(":") === colon) h = h.slice(0, colon);
  }
  return h.endsWith(".") ? h.slice(0, -1) : h;
}

/** `*.api.test` matches exactly one extra label (`a.api.test`, not `a.b.api.test`), as certificates do. */
export function hostMatches(pattern: string, host: string): boolean {
  if (!pattern.startsWith("*.")) return pattern === host;
  const suffix = pattern.slice(1);
  if (!host.endsWith(suffix)) return false;
  const label = host.slice(0, host.length - suffix.length);
  return label.length > 0 && !label.includes(".");
}

/** `/api` matches `/api`, `/api/x` and `/api?q`, but not `/apix`. */
export function pathMatches(prefix: string | undefined, path: string): boolean {
  if (prefix === undefined || prefix === "" || prefix === "/") return true;
  const p = prefix.endsWith("/") ? prefix.slice(0, -1) : prefix;
  if (!path.startsWith(p)) return false;
  const next = path.charAt(p.length);
  return next === "" || next === "/" || next === "?";
}

/** The routes of the current settings, with lookups. Replaced wholesale on a settings update. */
export class RouteTable {
  constructor(readonly routes: readonly RouteSetting[]) {}

  /** Every route whose host pattern covers `host`, most specific first (exact, then longest prefix). */
  forHost(host: string): RouteSetting[] {
    const name = hostOf(host);
    return this.routes.filter((r) => hostMatches(r.host, name)).sort((a, b) => specificity(b) - specificity(a));
  }

  /** The route for a request, or undefined when none matches its host and path. */
  match(host: string, path: string): RouteSetting | undefined {
    return this.forHost(host).find((r) => pathMatches(r.pathPrefix, path));
  }

  /** The passthrough route for an SNI name, if the name's route says to forward TLS untouched. */
  passthroughFor(serverName: string): RouteSetting | undefined {
    const first = this.forHost(serverName)[0];
    return first?.passthrough ? first : undefined;
  }
}

function specificity(r: RouteSetting): number {
  const exact = r.host.startsWith("*.") ? 0 : 1_000_000;
  return exact + (r.pathPrefix?.length ?? 0);
}
