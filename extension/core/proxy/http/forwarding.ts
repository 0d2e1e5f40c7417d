/**
 * What a forwarded request carries that the client did not send: X-Forwarded-For/-Proto/-Host,
 * Forwarded (RFC 7239), Via (which is also how a route that points back at the proxy is caught),
 * and the Host header, preserved by default or rewritten per route. What the client sent in
 * X-Forwarded-For and Forwarded is kept only when it is a trusted hop (trustedHops.ts); otherwise
 * the client is the first hop and those fields name it alone. Pure.
 */
import net from "node:net";
import type { HeaderLine } from "./httpHead";
import { values } from "./httpHead";
import { plainAddress } from "../../net/interfaces";
import type { UpstreamOrigin } from "../upstream/dial";
import { TrustedHops } from "./trustedHops";

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
  /** Clients whose X-Forwarded-For and Forwarded are kept; by default none. */
  trustedHops?: TrustedHops;
}

/** The fields that say who asked and how: a client's values are kept only from a trusted hop. */
const FORWARDING = new Set(["x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "forwarded"]);

/** The Host header value that names an upstream (`localhost:3000`, `[::1]:3000`, `example.test`). */
export function upstreamHostHeader(origin: UpstreamOrigin): string {
  const host = net.isIPv6(origin.host) ? `[${origin.host}]` : origin.host;
  const defaultPort = origin.secure ? 443 : 80;
  return origin.port === defaultPort ? host : `${host}:${origin.port}`;
}

/**
 * What the forwarding fields take from one client connection (its address, the scheme it used,
 * the proxy's Via token), worked out once when the connection opens rather than per request.
 */
export class ConnectionForwarding {
  /** The client's address without an IPv4-mapped prefix, as X-Forwarded-For carries it. */
  readonly client: string;
  /** The client is a trusted proxy: earlier hops in its X-Forwarded-For and Forwarded are kept. */
  readonly keepsEarlierHops: boolean;
  /** The client as a Forwarded `for=` node (IPv6 quoted and bracketed, RFC 7239 6). */
  private readonly forNode: string;
  private lastHost: string | undefined;
  private lastElement = "";

  constructor(
    clientAddress: string,
    readonly proto: "http" | "https",
    readonly via: string,
    trustedHops: TrustedHops = TrustedHops.none,
  ) {
    this.client = plainAddress(clientAddress);
    this.keepsEarlierHops = trustedHops.trusts(this.client);
    this.forNode = net.isIPv6(this.client) ? `"[${this.client}]"` : this.client;
  }

  /** This connection's Forwarded element for a request to `host` (the last one is kept: most connections ask for one host). */
  element(host: string): string {
    if (host !== this.lastHost) {
      this.lastHost = host;
      this.lastElement = `for=${this.forNode};host="${host.replace(/["\\]/g, "")}";proto=${this.proto}`;
    }
    return this.lastElement;
  }
}

/**
 * The headers to send upstream, in the client's order, with forwarding headers added (extended
 * when the client is a trusted hop, replaced otherwise).
 */
export function forwardedHeaders(headers: HeaderLine[], facts: ForwardingFacts): HeaderLine[] {
  return forwardedLines(
    headers,
    new ConnectionForwarding(facts.clientAddress, facts.proto, facts.via, facts.trustedHops),
    facts.host,
    facts.rewriteHostTo,
  );
}

/** {@link forwardedHeaders} for a request on a connection whose facts were worked out when it opened. */
export function forwardedLines(
  headers: HeaderLine[],
  conn: ConnectionForwarding,
  host: string,
  rewriteHostTo?: string,
): HeaderLine[] {
  const out: HeaderLine[] = [["Host", rewriteHostTo ?? host]];
  const keep = conn.keepsEarlierHops;
  let xff: string | undefined;
  let forwarded: string | undefined;
  let via: string | undefined;
  let proto: string | undefined;
  let forwardedHost: string | undefined;
  for (const line of headers) {
    // Only names starting with h, x, f or v can be one of the fields handled here.
    const c = line[0].charCodeAt(0) | 0x20;
    if (c !== 0x68 && c !== 0x78 && c !== 0x66 && c !== 0x76) {
      out.push(line);
      continue;
    }
    const name = line[0].toLowerCase();
    if (name === "host") continue;
    if (name === "via") via = via === undefined ? line[1] : `${via}, ${line[1]}`;
    else if (!FORWARDING.has(name)) out.push(line);
    // From a client that is not a trusted hop these say whatever it claims: replaced, not extended.
    else if (!keep) continue;
    else if (name === "x-forwarded-for") xff = xff === undefined ? line[1] : `${xff}, ${line[1]}`;
    else if (name === "forwarded") forwarded = forwarded === undefined ? line[1] : `${forwarded}, ${line[1]}`;
    else if (name === "x-forwarded-proto") proto ??= line[1];
    else forwardedHost ??= line[1];
  }
  const element = conn.element(host);
  out.push(["X-Forwarded-For", xff === undefined ? conn.client : `${xff}, ${conn.client}`]);
  // A trusted hop's -Proto and -Host say what the original client used (as Caddy keeps them).
  out.push(["X-Forwarded-Proto", proto ?? conn.proto]);
  out.push(["X-Forwarded-Host", forwardedHost ?? host]);
  out.push(["Forwarded", forwarded === undefined ? element : `${forwarded}, ${element}`]);
  out.push(["Via", via === undefined ? conn.via : `${via}, ${conn.via}`]);
  return out;
}

/** True when the request already passed through this proxy: the route points back at it. */
export function hasLooped(headers: HeaderLine[], viaToken: string): boolean {
  return values(headers, "via").some((v) => v.includes(viaToken));
}
