/**
 * Writes HTTP/1.x message heads: the one serializer for requests to upstreams, responses relayed to
 * clients and the proxy's own pages (as Node's `_storeHeader(firstLine, headers)` is for its
 * http module). Field values are bytes on the wire, so the head is latin1, never UTF-8.
 */

/** A request line: `GET /path HTTP/1.1`. */
export function requestLine(method: string, target: string, version: string): string {
  return `${method} ${target} HTTP/${version}`;
}

/** A status line, always `HTTP/1.1` (the proxy's own version, RFC 9110 6.2). */
export function statusLine(status: number, reason: string): string {
  return `HTTP/1.1 ${status} ${reason}`;
}

/** The head as text: the first line, one `name: value` line per field, the empty line. Write it as latin1. */
export function messageHead(firstLine: string, headers: Iterable<readonly [string, string]>): string {
  let s = `${firstLine}\r\n`;
  for (const [n, v] of headers) s += `${n}: ${v}\r\n`;
  return `${s}\r\n`;
}

/** The head as bytes. */
export function messageHeadBytes(firstLine: string, headers: Iterable<readonly [string, string]>): Buffer {
  return Buffer.from(messageHead(firstLine, headers), "latin1");
}
