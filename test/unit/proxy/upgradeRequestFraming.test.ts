/**
 * Issue 22 item 2: an RFC 8441 extended CONNECT carrying `content-length: 120` must not leave its
 * upstream socket waiting for a body that never comes while the pool hands that socket to the next
 * request (whose head, cookies included, would reach the dev server as the attacker's body).
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { UpstreamOrigin } from "../../../extension/core/proxy/upstream/dial";
import { UpstreamPool } from "../../../extension/core/proxy/upstream/upstreamPool";
import { curl, startProxy, type ProxyFixture } from "./harness";

interface Seen {
  method: string;
  url: string;
  contentLength?: string;
  body: string;
  cookie?: string;
}

/**
 * A dev server with no WebSocket endpoint: it answers at once, before reading any body (404 to the
 * upgrade, which is relayed as an ordinary response and leaves the socket reusable).
 */
async function recordingUpstream(): Promise<{ server: http.Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    res.statusCode = req.url === "/ws" ? 404 : 200;
    res.end(`answer ${req.url}`);
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const entry: Seen = { method: req.method!, url: req.url!, body: Buffer.concat(chunks).toString("latin1") };
      if (req.headers["content-length"] !== undefined) entry.contentLength = req.headers["content-length"];
      if (req.headers.cookie !== undefined) entry.cookie = req.headers.cookie;
      seen.push(entry);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { server, url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, seen };
}

describe("an extended CONNECT with a Content-Length", () => {
  let f: ProxyFixture;
  let up: Awaited<ReturnType<typeof recordingUpstream>>;
  let client: http2.ClientHttp2Session;

  before(async () => {
    up = await recordingUpstream();
    // One upstream connection per origin: the next request must get the attacker's socket, if pooled.
    f = await startProxy(
      [{ host: "app.test", upstream: up.url }],
      {},
      { upstreamResponseMs: 3000 },
      { upstreamConnectionsPerOrigin: 1 },
    );
    client = http2.connect(`https://127.0.0.1:${f.port}`, { servername: "app.test", ca: f.leaves.rootPem() });
    client.on("error", () => {});
  });
  after(async () => {
    client.close();
    await f.close();
    up.server.closeAllConnections();
    up.server.close();
  });

  const get = async (path: string, headers: http2.OutgoingHttpHeaders = {}): Promise<[number, string]> => {
    const stream = client.request({ ":path": path, ":authority": "app.test", ...headers });
    const [h] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
    let body = "";
    stream.on("data", (c: Buffer) => (body += c));
    await once(stream, "end");
    return [Number(h[":status"]), body];
  };

  it("is sent upstream without the length, and the next requests (h2 and h1) reach the dev server as requests", async () => {
    if (!client.remoteSettings.enableConnectProtocol) await once(client, "remoteSettings");
    const attack = client.request({
      ":method": "CONNECT",
      ":protocol": "websocket",
      ":scheme": "https",
      ":authority": "app.test",
      ":path": "/ws",
      "sec-websocket-version": "13",
      "content-length": "120",
    });
    attack.on("error", () => {});
    const [headers] = (await once(attack, "response")) as [http2.IncomingHttpHeaders];
    assert.equal(headers[":status"], 404, "the dev server's ordinary answer, relayed");
    attack.resume();
    attack.close();

    const [status, body] = await get("/next", { cookie: "session=developer-secret" });
    assert.equal(status, 200);
    assert.equal(body, "answer /next");
    const h1 = await curl(f, "app.test", ["--http1.1", `https://app.test:${f.port}/after`]);
    assert.equal(h1.stdout, "answer /after", h1.stderr);

    const ws = up.seen.find((s) => s.url === "/ws");
    assert.ok(ws, JSON.stringify(up.seen));
    assert.equal(ws.method, "GET");
    assert.equal(ws.contentLength, undefined, "an upgrade request carries no Content-Length");
    assert.equal(ws.body, "", "nothing of a later request reached the dev server as a body");
    assert.deepEqual(
      up.seen.map((s) => s.url).sort(),
      ["/after", "/next", "/ws"],
      "three well-formed requests, each seen as itself",
    );
    assert.equal(up.seen.find((s) => s.url === "/next")?.cookie, "session=developer-secret");
  });
});

describe("the upstream pool", () => {
  it("never pools a socket whose request is not complete as framed, and pools one that is", async () => {
    const server = net.createServer((s) => s.on("error", () => {}));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as net.AddressInfo).port;
    const origin: UpstreamOrigin = {
      url: `http://127.0.0.1:${port}`,
      secure: false,
      host: "127.0.0.1",
      port,
      insecure: false,
      key: `http://127.0.0.1:${port}#false`,
    };
    const pool = new UpstreamPool(4);
    try {
      const incomplete = await pool.dial(origin, 5000);
      assert.equal(incomplete.address, `127.0.0.1:${port}`);
      incomplete.requestStarted();
      pool.release(incomplete, true);
      assert.equal(incomplete.socket.destroyed, true, "closed, not pooled");
      assert.equal(pool.take(origin), undefined);

      const complete = await pool.dial(origin, 5000);
      complete.requestStarted();
      complete.requestWritten();
      pool.release(complete, true);
      assert.equal(pool.take(origin), complete, "a complete request's socket is reused");
      complete.socket.destroy();
    } finally {
      pool.destroy();
      server.close();
    }
  });
});
