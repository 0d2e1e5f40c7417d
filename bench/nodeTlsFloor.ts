/**
 * A reference, not a proxy: Node's own tls.Server with the bench certificate, answering every
 * request itself with a fixed 200 and no upstream hop. Its new-connection rate is the ceiling any
 * design built on Node's TLS can reach on this machine, so the bench can tell Switchyard's own
 * per-connection cost apart from the cost of Node's handshake.
 *
 * With UPSTREAM_PORT it is the leanest proxy Node allows instead: each request head goes as it came
 * (Connection: close aside) to the bench upstream over a pooled keep-alive socket, and the response
 * (Content-Length framed, as the upstream always answers) comes back unchanged. That is the floor of
 * any Node proxy, which must make the upstream hop: no record, no header rewriting, no routing.
 *
 *     node bench/nodeTlsFloor.ts PORT CERT KEY [UPSTREAM_PORT]     (run by bench/proxy.ts)
 */
import { readFileSync } from "node:fs";
import net from "node:net";
import tls from "node:tls";

const [port, certPath, keyPath, upstreamPort] = process.argv.slice(2);
const body = "hello from the Node TLS floor\n";
const keepAlive = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
const closing = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);

const server = tls.createServer(
  // noDelay as every proxy here sets it: with Nagle on, the response waits behind TLS 1.3's session
  // tickets for the client's delayed ACK (40 ms on Linux) on each new connection.
  { cert: readFileSync(certPath!), key: readFileSync(keyPath!), ALPNProtocols: ["http/1.1"], noDelay: true },
  (socket) => {
    socket.on("error", () => {});
    if (upstreamPort) return forward(socket, Number(upstreamPort));
    let pending = "";
    socket.on("data", (chunk: Buffer) => {
      pending += chunk.toString("latin1");
      let end: number;
      // wrk sends GETs without bodies: each blank line ends one request.
      while ((end = pending.indexOf("\r\n\r\n")) >= 0) {
        const head = pending.slice(0, end).toLowerCase();
        pending = pending.slice(end + 4);
        if (head.includes("\r\nconnection: close")) return void socket.end(closing);
        socket.write(keepAlive);
      }
    });
  },
);
server.listen({ port: Number(port), host: "127.0.0.1", backlog: 1024 });

/** Idle keep-alive sockets to the upstream. */
const idle: net.Socket[] = [];

/** One client connection of the forwarding floor: one request at a time, each over a pooled upstream socket. */
function forward(client: tls.TLSSocket, upPort: number): void {
  let pending: Buffer = Buffer.alloc(0);
  let busy = false;
  const next = (): void => {
    const end = pending.indexOf("\r\n\r\n");
    if (busy || end < 0) return;
    busy = true;
    const head = pending.subarray(0, end + 4).toString("latin1");
    pending = pending.subarray(end + 4);
    const close = /\r\nconnection: *close/i.test(head);
    const upstream = idle.pop() ?? net.connect({ port: upPort, host: "127.0.0.1", noDelay: true });
    upstream.on("error", () => client.destroy());
    upstream.write(close ? head.replace(/\r\nconnection: *close/i, "\r\nConnection: keep-alive") : head);
    let response: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      response = response.length === 0 ? chunk : Buffer.concat([response, chunk]);
      const headEnd = response.indexOf("\r\n\r\n");
      if (headEnd < 0) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(response.subarray(0, headEnd).toString("latin1"))?.[1]);
      if (response.length < headEnd + 4 + length) return;
      upstream.off("data", onData);
      upstream.removeAllListeners("error");
      idle.push(upstream);
      busy = false;
      if (close) {
        // As the client asked: this response is the connection's last, and says so.
        const head = response
          .subarray(0, headEnd)
          .toString("latin1")
          .replace(/\r\nconnection:[^\r]*/i, "");
        return void client.end(
          Buffer.concat([Buffer.from(`${head}\r\nConnection: close`, "latin1"), response.subarray(headEnd)]),
        );
      }
      client.write(response);
      next();
    };
    upstream.on("data", onData);
  };
  client.on("data", (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    next();
  });
}
