/**
 * Translating header fields between HTTP/2 and HTTP/1.1 (RFC 9113 8.2.2): the fields that
 * describe one HTTP/1.1 connection never cross, pseudo-headers stay on the h2 side, repeated
 * fields are joined (set-cookie stays a list). Pure.
 */
import type http2 from "node:http2";
import { stripHopByHop } from "../http/hopByHop";
import type { HeaderLine, ResponseHead } from "../http/httpHead";

/** Headers that describe one HTTP/1.1 connection and may not appear in HTTP/2 (RFC 9113 8.2.2). */
export const CONNECTION_SPECIFIC = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "http2-settings",
  "te",
]);

/** A request's HTTP/2 headers as ordered lines for HTTP/1.1: pseudo-headers dropped (:authority becomes Host upstream, forwarding.ts). */
export function requestHeaderLines(headers: http2.IncomingHttpHeaders): HeaderLine[] {
  const lines: HeaderLine[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(":") || CONNECTION_SPECIFIC.has(name) || name === "host" || value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) lines.push([name, v]);
    else lines.push([name, value]);
  }
  return lines;
}

/** The response head as h2 headers: hop-by-hop and connection-specific fields dropped, repeats joined. */
export function h2Headers(response: ResponseHead): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = { ":status": response.status };
  for (const [name, value] of stripHopByHop(response.headers, { upgrade: false, teTrailers: false })) {
    const n = name.toLowerCase();
    if (CONNECTION_SPECIFIC.has(n)) continue;
    const prev = out[n];
    if (prev === undefined) out[n] = value;
    else if (n === "set-cookie") out[n] = [...(Array.isArray(prev) ? prev : [String(prev)]), value];
    else out[n] = `${String(prev)}, ${value}`;
  }
  return out;
}
