// A dev server that restarts under a kept-alive h2 connection, and the h2 GET that meets it: what
// the connection-recovery unit test and the panel's browser tests (test/e2e/panel-records.ts) share.
import http from "node:http";
import type http2 from "node:http2";
import type net from "node:net";

/** An upstream that drops its first connection without answering (the dev server restarting), then answers 200. */
export async function flakyUpstream(): Promise<{ server: http.Server; url: string }> {
  let dropped = false;
  const server = http.createServer((_req, res) => res.end("ok"));
  server.on("connection", (socket: net.Socket) => {
    if (dropped) return;
    dropped = true;
    socket.destroy();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}` };
}

/** GET `path` on the h2 `session`; resolves with the status once the body has ended. */
export function h2Get(session: http2.ClientHttp2Session, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ":path": path });
    req.on("response", (h) => {
      req.resume();
      req.on("end", () => resolve(Number(h[":status"])));
    });
    req.on("error", reject);
    req.end();
  });
}
