/**
 * An h2 request body sent on as an HTTP/1.1 body: DATA frames are written to the upstream socket
 * as they come (chunked when the client sent no length), and the h2 stream is paused while the
 * socket's buffer is full, so a large upload moves at the upstream's pace.
 */
import type http2 from "node:http2";
import type net from "node:net";

const LAST_CHUNK = Buffer.from("0\r\n\r\n");

/** What the exchange hears while the body is sent. */
export interface RequestBodyEvents {
  /** False once the exchange has given this socket up: later bytes are dropped. */
  current(): boolean;
  /** A chunk was written (the exchange restarts its response deadline). */
  onChunk(): void;
  /** The whole body was written. */
  onSent(): void;
}

/**
 * Writes the request `head`, then `stream`'s body in HTTP/1.1 framing (chunked when `chunked`).
 * The socket stays corked until the next tick, so the body bytes that came with the HEADERS frame
 * leave with the head in one write.
 */
export function sendRequestBody(
  stream: http2.ServerHttp2Stream,
  socket: net.Socket,
  head: string,
  chunked: boolean,
  events: RequestBodyEvents,
): void {
  socket.cork();
  socket.write(head, "latin1");
  stream.on("data", (chunk: Buffer) => {
    if (!events.current() || chunk.length === 0) return;
    events.onChunk();
    if (chunked) {
      // Size line, data and CRLF leave in one write.
      socket.cork();
      socket.write(`${chunk.length.toString(16)}\r\n`, "latin1");
      socket.write(chunk);
      socket.write("\r\n", "latin1");
      socket.uncork();
    } else socket.write(chunk);
    if (socket.writableNeedDrain) {
      stream.pause();
      // A socket destroyed while full never drains: the body is then read and dropped.
      const resume = (): void => {
        socket.off("drain", resume);
        socket.off("close", resume);
        stream.resume();
      };
      socket.once("drain", resume);
      socket.once("close", resume);
    }
  });
  stream.once("end", () => {
    if (!events.current()) return;
    if (chunked) socket.write(LAST_CHUNK);
    events.onSent();
  });
  // After 'data' is attached: its resume runs first, so DATA already buffered joins the head too.
  process.nextTick(uncork, socket);
}

function uncork(socket: net.Socket): void {
  socket.uncork();
}
