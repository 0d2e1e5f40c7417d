/**
 * What the HTTP/1.x front end writes itself instead of forwarding: a redirect or one of the
 * proxy's pages, recorded as the request's entry in the connection record; the splice of a
 * WebSocket (or other upgrade) once the upstream answered 101; and the end of a client connection.
 */
import type net from "node:net";
import type { RequestHead } from "../http/httpHead";
import { http1ResponseBytes, renderPage, type PageContent } from "../http/pages";
import type { ConnectionRecorder } from "../records/connectionRecorder";

/** Writes a local answer to `head` (no body for HEAD) and records it; true when the client is to be closed after it. */
export function writeLocalAnswer(
  client: net.Socket,
  rec: ConnectionRecorder,
  head: RequestHead,
  status: number,
  headers: Record<string, string>,
  body: Buffer,
): boolean {
  const close = !head.keepAlive;
  const payload = head.method === "HEAD" ? Buffer.alloc(0) : body;
  const response = http1ResponseBytes(status, headers, payload, close);
  client.write(response.bytes);
  rec.addRequest({
    method: head.method,
    ...(head.host ? { host: head.host } : {}),
    path: head.target,
    status,
    bytes: response.bytes.length,
    durationMs: 0,
  });
  return close;
}

/** Writes one of the proxy's pages as the answer to `head`; true when the client is to be closed after it. */
export function writePage(client: net.Socket, rec: ConnectionRecorder, head: RequestHead, page: PageContent): boolean {
  const r = renderPage(page);
  return writeLocalAnswer(client, rec, head, r.status, r.headers, r.body);
}

/** Joins the client and the upstream after a 101; `buffered`: client bytes that came after the request. */
export function spliceTunnel(client: net.Socket, upstream: net.Socket, buffered: Buffer): void {
  upstream.write(buffered);
  client.pipe(upstream);
  upstream.pipe(client);
  client.resume();
}

/** Ends the client connection; one that never reads its last response is destroyed after 5 s. */
export function endClientConnection(client: net.Socket): void {
  client.end();
  // The timer goes when the socket closes, so a closed connection's objects are not kept alive for 5 s.
  const timer = setTimeout(() => client.destroy(), 5000);
  timer.unref();
  client.once("close", () => clearTimeout(timer));
}
