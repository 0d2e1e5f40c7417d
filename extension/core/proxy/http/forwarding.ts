/**
 * What a forwarded request carries that the client did not send: X-Forwarded-For/-Proto/-Host,
 * Forwarded (RFC 7239), Via (which is also how a route that points back at the proxy is caught),
 * and the Host header, preserved by default or rewritten per route. Pure.
 */
import net from "node:net";
import type { HeaderLine } from "./httpHead";
import { values } from "./httpHead";
import { plainAddress } from "../../net/interfaces";
import type { UpstreamOrigin } from "../upstream/dial";

/** Who asked, and how, for the forwarding headers. */
export interface ForwardingFacts {
  clientAddress: string;
  /** The scheme the client used to reach the proxy. */
  proto: "http" | "https";
  /** The Host the client asked for (with port, as sent). */
  host: string;
  /** The proxy's Via token, unique per running proxy. */
  via: string;
  /** Set to rewrite Host to the upstream's own host:port. */
  rewriteHostTo?: string;
}

const REPLACED = new Set(["host", "x-forwarded-proto", "x-forwarded-host"]);

/** The Host header value that names an upstream (`localhost:3000`, `[::1]:3000`, `example.test`). */
export function upstreamHostHeader(origin: UpstreamOrigin): string {
  const host = net.isIPv6(origin.host) ? `[${origin.host}]` : origin.host;
  const defaultPort = origin.secure ? 443 : 80;
  return origin.port === defaultPort ? host : `${host}:${origin.port}`;
}

/** The headers to send upstream, in the client's order, with forwarding headers added or extended. */
export function forwardedHeaders(headers: HeaderLine[], facts: ForwardingFacts): HeaderLine[] {
  const out: HeaderLine[] = [["Host", facts.rewriteHostTo ?? facts.host]];
  const client = plainAddress(facts.clientAddress);
  let xff: string | undefined;
  let forwarded: string | undefined;
  let via: string | undefined;
  for (const line of headers) {
    const name = line[0].toLowerCase();
    if (REPLACED.has(name)) continue;
    if (name === "x-forwarded-for") xff = xff === undefined ? line[1] : `${xff}, ${line[1]}`;
    else if (name === "forwarded") forwarded = forwarded === undefined ? line[1] : `${forwarded}, ${line[1]}`;
    else if (name === "via") via = via === undefined ? line[1] : `${via}, ${line[1]}`;
    else out.push(line);
  }
  const forNode = net.isIPv6(client) ? `"[${client}]"` : client;
  const element = `for=${forNode};host="${facts.host.replace(/["\\]/g, "")}";proto=${facts.proto}`;
  out.push(["X-Forwarded-For", xff === undefined ? client : `${xff}, ${client}`]);
  out.push(["X-Forwarded-Proto", facts.proto]);
  out.push(["X-Forwarded-Host", facts.host]);
  out.push(["Forwarded", forwarded === undefined ? element : `${forwarded}, ${element}`]);
  out.push(["Via", via === undefined ? facts.via : `${via}, ${facts.via}`]);
  return out;
}

/** True when the request already passed through this proxy: the route points back at it. */
export function hasLooped(headers: HeaderLine[], viaToken: string): boolean {
  return values(headers, "via").some((v) => v.includes(viaToken));
}
