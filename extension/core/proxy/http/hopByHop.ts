/**
 * Connection-specific ("hop-by-hop") header fields, RFC 9110 7.6.1: they describe one connection
 * and are not forwarded by a proxy, in either direction. The proxy manages each of its connections
 * itself (the upstream ones are pooled and shared by clients), so a client's `Connection: close`
 * must not close an upstream socket, and an upstream's `Keep-Alive: timeout=5` must not reach the
 * client. Pure.
 *
 * Decisions, per field:
 * - Connection, Keep-Alive, Proxy-Connection (legacy), and every field named in Connection: dropped.
 * - Upgrade: dropped, except on a WebSocket-style upgrade request and its 101, which carry
 *   `Connection: upgrade` and Upgrade through (the tunnel is one connection end to end).
 * - TE: dropped, except its `trailers` token (RFC 9110 10.1.4), re-sent with `Connection: te`.
 * - Transfer-Encoding and Content-Length: kept, and never removable by naming them in Connection:
 *   bodies are relayed byte for byte in the framing the proxy parsed, and letting a peer strip
 *   them would make the two hops disagree about where a message ends (request smuggling).
 * - Trailer: kept; RFC 9110 6.6.2 makes it end-to-end, and the trailer section itself is relayed
 *   inside the chunked body.
 * - Proxy-Authorization / Proxy-Authenticate: kept; Switchyard does no proxy authentication, so
 *   they belong to whatever is behind it.
 */
import type { HeaderLine } from "./httpHead";

const ALWAYS_DROPPED = new Set(["connection", "keep-alive", "proxy-connection", "te", "upgrade"]);

/** Fields a Connection header may name but never remove: framing, routing and the proxy's own. */
const PROTECTED = new Set([
  "content-length",
  "transfer-encoding",
  "host",
  "trailer",
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "forwarded",
  "via",
]);

/** The fields a Connection header's (lower-cased) tokens name for removal; undefined when none. */
export function namedByConnection(tokens: readonly string[]): Set<string> | undefined {
  let named: Set<string> | undefined;
  for (const token of tokens) if (!PROTECTED.has(token)) (named ??= new Set()).add(token);
  return named;
}

/** What {@link stripHopByHop} keeps of the connection-level fields. */
export interface HopByHopOptions {
  /** The message is an upgrade (request with Connection: upgrade + Upgrade, or its 101): keep Upgrade. */
  upgrade: boolean;
  /** Keep `TE: trailers` (requests only). */
  teTrailers: boolean;
}

/** The end-to-end fields of `headers`, in order, plus the connection-level ones `options` keeps. */
export function stripHopByHop(headers: HeaderLine[], options: HopByHopOptions): HeaderLine[] {
  let named: Set<string> | undefined;
  let trailers = false;
  let dropped = false;
  for (const [n, v] of headers) {
    const name = n.toLowerCase();
    if (!ALWAYS_DROPPED.has(name)) continue;
    dropped = true;
    if (name === "connection") {
      for (const t of v.split(",")) {
        const token = t.trim().toLowerCase();
        if (token !== "" && !PROTECTED.has(token)) (named ??= new Set()).add(token);
      }
    } else if (name === "te" && options.teTrailers) {
      trailers ||= v.split(",").some((t) => t.split(";")[0]!.trim().toLowerCase() === "trailers");
    }
  }
  // The common case (no connection-level field at all) allocates nothing.
  if (!dropped) return headers;
  const out: HeaderLine[] = [];
  const upgrades: HeaderLine[] = [];
  for (const line of headers) {
    const name = line[0].toLowerCase();
    if (name === "upgrade" && options.upgrade) upgrades.push(line);
    if (ALWAYS_DROPPED.has(name) || named?.has(name)) continue;
    out.push(line);
  }
  const connection: string[] = [];
  if (options.upgrade && upgrades.length > 0) {
    connection.push("upgrade");
    out.push(...upgrades);
  }
  if (trailers) {
    connection.push("te");
    out.push(["TE", "trailers"]);
  }
  if (connection.length > 0) out.push(["Connection", connection.join(", ")]);
  return out;
}
