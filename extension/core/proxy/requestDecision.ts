/**
 * One request, HTTP/1.1 and h2 alike: redirect it to https, answer it with a page, or
 * forward it to a route's upstream. Decided over the live routes and settings; the front ends do
 * the I/O, and {@link noteDecision} puts the decision into the connection's record.
 */
import type { RouteSetting } from "../settings";
import { redactUrlCredentials } from "../urlCredentials";
import type { ConnectionRecorder } from "./records/connectionRecorder";
import type { ProxyContext } from "./context";
import { hasLooped } from "./http/forwarding";
import type { HeaderLine } from "./http/httpHead";
import type { PageContent } from "./http/pages";
import { hostOf } from "./routes";
import { wildcardCovers } from "../ca/wildcardLeaf";
import { originOf, type UpstreamOrigin } from "./upstream/dial";

/** What the front end knows of a request when it decides. */
export interface RequestFacts {
  scheme: "http" | "https";
  /** The plain-HTTP redirect port: every request is redirected. */
  redirectOnly: boolean;
  /** The Host header or :authority; undefined when the request has none. */
  host: string | undefined;
  path: string;
  headers: HeaderLine[];
  /** The port the request arrived on (a redirect keeps it unless another TLS port is configured). */
  localPort: number;
  /** The SNI name the TLS connection was terminated for; undefined for plain HTTP or a ClientHello without SNI. */
  tlsServerName?: string;
  /**
   * The wildcard leaf the connection presents when it is a wildcard route's shared one (`*.shop.test`):
   * a browser may send requests for any name that leaf covers over this connection (RFC 9113 9.1.1).
   */
  sharedLeaf?: string;
}

/** What to do with a request. */
export type RequestDecision =
  | { kind: "redirect"; status: number; location: string }
  /** `route`: the route the request matched (a loop), for the record. */
  | { kind: "page"; page: PageContent; noRouteFor?: string; route?: RouteSetting }
  | { kind: "forward"; route: RouteSetting; origin: UpstreamOrigin; host: string };

const page = (status: number, title: string, message: string, route?: RouteSetting): RequestDecision => ({
  kind: "page",
  page: { status, title, message },
  ...(route ? { route } : {}),
});

/** Decides what happens to one request. Only plain HTTP is ever redirected, so an https request never is. */
export function decideRequest(
  ctx: ProxyContext,
  req: RequestFacts & { scheme: "https" },
): Exclude<RequestDecision, { kind: "redirect" }>;
export function decideRequest(ctx: ProxyContext, req: RequestFacts): RequestDecision;
export function decideRequest(ctx: ProxyContext, req: RequestFacts): RequestDecision {
  const { host, path } = req;
  const route = host === undefined ? undefined : ctx.routes().match(host, path);
  // Plain HTTP to a LAN address of this machine (no route name) while sharing: the device page.
  const onboarding =
    req.scheme === "http" && !route && host !== undefined ? ctx.lanOnboarding?.(hostOf(host), path) : undefined;
  if (onboarding)
    return {
      kind: "page",
      page: {
        status: onboarding.status,
        title: "Switchyard device onboarding",
        message: "",
        body: {
          contentType: onboarding.contentType,
          bytes: onboarding.body,
          ...(onboarding.filename ? { filename: onboarding.filename } : {}),
        },
      },
    };
  if (req.scheme === "http" && (req.redirectOnly || !route || route.redirect)) {
    if (host === undefined)
      return page(
        400,
        "No Host header",
        "the request has no Host header, so Switchyard cannot tell which https:// address to redirect to; send Host: my-awesome-service.test",
      );
    // A `.local` name came over the LAN, where standard ports (loopback only) do not lead here: keep the port.
    const tlsPort = hostOf(host).endsWith(".local") ? req.localPort : ctx.tlsPortFor(req.localPort);
    const location = httpsLocation(host, path, tlsPort);
    if (!location) return page(400, "Bad Host header", `the Host header "${host}" is not a host name`);
    return { kind: "redirect", status: ctx.settings().redirectStatus, location };
  }
  if (host === undefined)
    return page(
      400,
      "No Host header",
      "the request has no Host header, so Switchyard cannot tell which route it is for",
    );
  // A passthrough route's name needs a connection of its own: its upstream terminates the TLS.
  const coalescible = route !== undefined && !route.passthrough ? req.sharedLeaf : undefined;
  const misdirected = misdirection(host, req.tlsServerName, coalescible);
  if (misdirected) return misdirected;
  if (!route)
    return {
      kind: "page",
      noRouteFor: host,
      page: {
        status: 404,
        title: `No route for ${host}`,
        message: `Switchyard has no route for ${host}${path}. Add one in the switchyard.proxy.routes setting.`,
        routes: ctx.routes().routes,
        routesTlsPort: ctx.tlsPortFor(req.localPort),
      },
    };
  const origin = originOf(route);
  if (hasLooped(req.headers, ctx.via) || ctx.isSelf(origin))
    return page(
      508,
      "Loop detected",
      `the route for ${route.host} points at ${route.upstream}, which is this proxy itself; point it at the dev server instead`,
      route,
    );
  return { kind: "forward", route, origin, host };
}

/**
 * One route per TLS name (RFC 9110 §15.5.20): a request whose Host, absolute-form URI or :authority
 * names another host than the SNI its connection was terminated for gets 421, which tells a
 * browser to retry on a connection of its own. Without SNI (a client dialling an IP) any host goes.
 * A connection that presents a wildcard route's shared leaf also carries the other routed names that
 * leaf covers: browsers reuse an h2 connection for every name its certificate is valid for (RFC 9113
 * 9.1.1), and a 421 would cost each of them a retry on a new connection. Not a passthrough route's
 * name, nor one no route serves: those get the connection (and certificate) their SNI gets.
 */
function misdirection(
  host: string,
  serverName: string | undefined,
  sharedLeaf: string | undefined,
): RequestDecision | undefined {
  if (serverName === undefined) return undefined;
  const requested = hostOf(host);
  const terminated = hostOf(serverName);
  if (requested === terminated) return undefined;
  if (sharedLeaf !== undefined && wildcardCovers(sharedLeaf, requested)) return undefined;
  return page(
    421,
    "Misdirected Request",
    `this TLS connection was set up for ${terminated} (its SNI), but the request is for ${requested}. ` +
      `Switchyard serves each TLS connection for one name only; open https://${host}/ on a connection of its own`,
  );
}

/** Records the route, or the outcome a redirect or a missing route already settles. */
export function noteDecision(rec: ConnectionRecorder | undefined, d: RequestDecision): void {
  if (!rec) return;
  if (d.kind === "redirect") rec.setOutcome({ kind: "redirected", status: d.status, location: d.location });
  else if (d.kind === "page" && d.noRouteFor !== undefined) rec.setOutcome({ kind: "no-route", host: d.noRouteFor });
  const route = d.kind === "forward" || d.kind === "page" ? d.route : undefined;
  if (route)
    rec.record.route = {
      host: route.host,
      upstream: redactUrlCredentials(route.upstream),
      ...(route.pathPrefix ? { pathPrefix: route.pathPrefix } : {}),
    };
}

/**
 * Where plain HTTP is redirected: https, the Host's name, the TLS port (omitted when 443), and
 * the path and query unchanged. Undefined when the Host header is unusable.
 */
export function httpsLocation(hostHeader: string, target: string, tlsPort: number): string | undefined {
  let url: URL;
  try {
    url = new URL(`http://${hostHeader}`);
  } catch {
    return undefined;
  }
  const path = /^https?:\/\//i.test(target)
    ? new URL(target).pathname + new URL(target).search
    : target.startsWith("/")
      ? target
      : "/";
  return `https://${url.hostname}${tlsPort === 443 ? "" : `:${tlsPort}`}${path}`;
}
