/**
 * Translating header fields between HTTP/2 and HTTP/1.1 (RFC 9113 8.2.2): the fields that
 * describe one HTTP/1.1 connection never cross, pseudo-headers stay on the h2 side, repeated
 * fields are joined (set-cookie stays a list). Pure.
 */
import type http2 from "node:http2";
import { namedByConnection } from "../http/hopByHop";
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
  // for-in over Node's header object (own, plain properties): no [name, value] pair per field.
  for (const name in headers) {
    const value = headers[name];
    if (name.charCodeAt(0) === 0x3a || CONNECTION_SPECIFIC.has(name) || name === "host" || value === undefined)
      continue;
    if (Array.isArray(value)) for (const v of value) lines.push([name, v]);
    else lines.push([name, value]);
  }
  return lines;
}

/**
 * The response head as h2 headers, built in one pass over the parsed head (whose names are
 * already lower-cased): hop-by-hop and connection-specific fields dropped (with those the
 * Connection header names), repeats joined, set-cookie kept as a list. `skip`: one more field to
 * leave out (a WebSocket's Sec-WebSocket-Accept).
 */
export function h2Headers(response: ResponseHead, skip?: string): http2.OutgoingHttpHeaders {
  const out: http2.OutgoingHttpHeaders = { ":status": response.status };
  const { headers, names } = response;
  const named = response.connection.length > 0 ? namedByConnection(response.connection) : undefined;
  for (let i = 0; i < headers.length; i++) {
    const n = names[i]!;
    if (CONNECTION_SPECIFIC.has(n) || n === skip || named?.has(n)) continue;
    const value = headers[i]![1];
    const prev = out[n];
    if (prev === undefined) out[n] = value;
    else if (n === "set-cookie") out[n] = Array.isArray(prev) ? [...prev, value] : [String(prev), value];
    else out[n] = `${String(prev)}, ${value}`;
  }
  return out;
}
