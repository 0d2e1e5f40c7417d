/**
 * A reference, not a proxy: Node's own tls.Server with the bench certificate, answering every
 * request itself with a fixed 200 and no upstream hop. Its new-connection rate is the ceiling any
 * design built on Node's TLS can reach on this machine, so the bench can tell Switchyard's own
 * per-connection cost apart from the cost of Node's handshake.
 *
 *     node bench/nodeTlsFloor.ts PORT CERT KEY      (run by bench/proxy.ts)
 */
import { readFileSync } from "node:fs";
import tls from "node:tls";

const [port, certPath, keyPath] = process.argv.slice(2);
const body = "hello from the Node TLS floor\n";
const keepAlive = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
const closing = Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);

const server = tls.createServer(
  // noDelay as every proxy here sets it: with Nagle on, the response waits behind TLS 1.3's session
  // tickets for the client's delayed ACK (40 ms on Linux) on each new connection.
  { cert: readFileSync(certPath!), key: readFileSync(keyPath!), ALPNProtocols: ["http/1.1"], noDelay: true },
  (socket) => {
    socket.on("error", () => {});
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
