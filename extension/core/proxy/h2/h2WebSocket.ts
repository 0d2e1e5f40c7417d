/**
 * WebSockets over h2 (RFC 8441): the front advertises SETTINGS_ENABLE_CONNECT_PROTOCOL, a client
 * opens a WebSocket as an extended CONNECT stream (`:protocol: websocket`), and dev servers, which
 * speak HTTP/1.1, get the classic Upgrade (RFC 6455 4.1) instead. The upstream's 101 becomes the
 * stream's 200, and from then on the stream's DATA and the upstream socket's bytes are the same
 * WebSocket frames. Any other answer is relayed as an ordinary response (a 404, a 502 page).
 */
import { randomBytes } from "node:crypto";
import http2 from "node:http2";
import type net from "node:net";
import type { HeaderLine, ResponseHead } from "../http/httpHead";
import { h2Headers } from "./h2Headers";

/** True for an RFC 8441 extended CONNECT that asks for a WebSocket. */
export function isWebSocketConnect(headers: http2.IncomingHttpHeaders): boolean {
  return headers[":method"] === "CONNECT" && String(headers[":protocol"] ?? "").toLowerCase() === "websocket";
}

/**
 * The HTTP/1.1 Upgrade request's fields: the client's (its Sec-WebSocket-Version, -Protocol and
 * -Extensions already among them) plus the Upgrade, Connection and a fresh Sec-WebSocket-Key, which
 * an extended CONNECT does not carry (RFC 8441 5). A CONNECT has no content (RFC 9110 9.3.6) and
 * the Upgrade request gets no body, so a Content-Length the client sent is dropped: left in, the
 * upstream would take the next request on its socket for that body.
 */
export function upgradeRequestLines(lines: HeaderLine[]): HeaderLine[] {
  return [
    ...lines.filter(([name]) => name.toLowerCase() !== "content-length"),
    ["Connection", "Upgrade"],
    ["Upgrade", "websocket"],
    ["Sec-WebSocket-Key", randomBytes(16).toString("base64")],
  ];
}

/** The stream's 200 for the upstream's 101: the negotiated subprotocol and extensions, no Sec-WebSocket-Accept. */
export function acceptedHeaders(response: ResponseHead): http2.OutgoingHttpHeaders {
  const headers = h2Headers(response, "sec-websocket-accept");
  headers[":status"] = 200;
  return headers;
}

/** Joins the stream and the upstream socket; `rest` is what the upstream sent after its 101. */
export function spliceWebSocket(stream: http2.ServerHttp2Stream, socket: net.Socket, rest: Buffer): void {
  socket.on("error", () => stream.close(http2.constants.NGHTTP2_CONNECT_ERROR));
  socket.on("close", () => {
    if (!stream.destroyed && !stream.closed) stream.close(http2.constants.NGHTTP2_NO_ERROR);
  });
  stream.on("error", () => socket.destroy());
  stream.on("close", () => socket.destroy());
  if (rest.length > 0) stream.write(rest);
  stream.pipe(socket);
  socket.pipe(stream);
}
