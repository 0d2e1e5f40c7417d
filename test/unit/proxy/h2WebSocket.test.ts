/**
 * WebSockets over h2 (RFC 8441) through the real proxy: Node's http2 client opens an extended
 * CONNECT stream, the proxy sends the dev server (a real `ws` server) an HTTP/1.1 Upgrade, and
 * WebSocket frames go both ways on the stream. Loopback only.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import http2 from "node:http2";
import { WebSocketServer } from "ws";
import { echoUpstream, nextRecord, startProxy, type ProxyFixture } from "./harness";

/** A masked (client-to-server) text frame, RFC 6455 5.2; short payloads only. */
function clientTextFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  assert.ok(payload.length < 126);
  const mask = randomBytes(4);
  const frame = Buffer.alloc(6 + payload.length);
  frame[0] = 0x81;
  frame[1] = 0x80 | payload.length;
  mask.copy(frame, 2);
  for (let i = 0; i < payload.length; i++) frame[6 + i] = payload[i]! ^ mask[i % 4]!;
  return frame;
}

/** Reads unmasked (server-to-client) text frames off a stream, in order. */
function textFrames(stream: http2.ClientHttp2Stream): () => Promise<string> {
  let buf = Buffer.alloc(0);
  const waiting: (() => void)[] = [];
  stream.on("data", (d: Buffer) => {
    buf = Buffer.concat([buf, d]);
    waiting.splice(0).forEach((w) => w());
  });
  const take = (): string | undefined => {
    if (buf.length < 2) return undefined;
    const length = buf[1]! & 0x7f;
    assert.ok(length < 126, "short frames only");
    if (buf.length < 2 + length) return undefined;
    assert.equal(buf[0], 0x81, "a final text frame");
    const text = buf.subarray(2, 2 + length).toString();
    buf = buf.subarray(2 + length);
    return text;
  };
  return async () => {
    for (let i = 0; i < 50; i++) {
      const text = take();
      if (text !== undefined) return text;
      await Promise.race([
        new Promise<void>((r) => waiting.push(r)),
        once(stream, "close").then(() => {
          throw new Error("the stream closed before a frame came");
        }),
      ]);
    }
    throw new Error("no complete frame");
  };
}

describe("WebSockets over h2 (RFC 8441)", () => {
  let f: ProxyFixture;
  let up: Awaited<ReturnType<typeof echoUpstream>>;
  let wss: WebSocketServer;
  let deadPort: number;
  let client: http2.ClientHttp2Session;

  before(async () => {
    up = await echoUpstream();
    wss = new WebSocketServer({ server: up.server, path: "/socket" });
    wss.on("connection", (ws) => {
      ws.send("welcome");
      ws.on("message", (m) => ws.send(`echo: ${String(m)}`));
    });
    const spare = await echoUpstream();
    deadPort = spare.port;
    spare.server.close();
    f = await startProxy([
      { host: "ws.test", upstream: up.url },
      { host: "down.test", upstream: `http://127.0.0.1:${deadPort}` },
    ]);
    client = http2.connect(`https://127.0.0.1:${f.port}`, { servername: "ws.test", ca: f.leaves.rootPem() });
    client.on("error", () => {});
  });
  after(async () => {
    client.close();
    await f.close();
    wss.close();
    up.server.closeAllConnections();
    up.server.close();
  });

  const connect = (authority: string, path: string): http2.ClientHttp2Stream =>
    client.request({
      ":method": "CONNECT",
      ":protocol": "websocket",
      ":scheme": "https",
      ":authority": authority,
      ":path": path,
      "sec-websocket-version": "13",
    });

  it("advertises SETTINGS_ENABLE_CONNECT_PROTOCOL", async () => {
    if (!client.remoteSettings.enableConnectProtocol) await once(client, "remoteSettings");
    assert.equal(client.remoteSettings.enableConnectProtocol, true);
  });

  it("carries WebSocket frames both ways on an extended CONNECT stream, to an HTTP/1.1 Upgrade upstream", async () => {
    const stream = connect("ws.test", "/socket");
    const [headers] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
    assert.equal(headers[":status"], 200, "the upstream's 101 becomes the stream's 200");
    assert.equal(headers["sec-websocket-accept"], undefined, "no HTTP/1.1 handshake field reaches the h2 client");
    const next = textFrames(stream);
    assert.equal(await next(), "welcome", "server to client");
    stream.write(clientTextFrame("hello over h2"));
    assert.equal(await next(), "echo: hello over h2", "client to server and back");
    stream.write(clientTextFrame("second"));
    assert.equal(await next(), "echo: second");
    stream.close();
  });

  it("relays the upstream's refusal as the stream's status (a path with no WebSocket: 400)", async () => {
    const stream = connect("ws.test", "/not-a-socket");
    const [headers] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
    assert.equal(headers[":status"], 400);
    stream.resume();
    await once(stream, "close");
  });

  it("answers 502 with the reason when the dev server is down, and the session goes on", async () => {
    const down = http2.connect(`https://127.0.0.1:${f.port}`, { servername: "down.test", ca: f.leaves.rootPem() });
    const stream = down.request({
      ":method": "CONNECT",
      ":protocol": "websocket",
      ":scheme": "https",
      ":authority": "down.test",
      ":path": "/socket",
      "sec-websocket-version": "13",
    });
    const [headers] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
    assert.equal(headers[":status"], 502);
    let body = "";
    stream.setEncoding("utf8");
    stream.on("data", (d: string) => (body += d));
    await once(stream, "end");
    assert.match(body, new RegExp(`nothing is listening on 127\\.0\\.0\\.1:${deadPort}`));
    down.close();
    const again = connect("ws.test", "/socket");
    const [ok] = (await once(again, "response")) as [http2.IncomingHttpHeaders];
    assert.equal(ok[":status"], 200);
    again.close();
  });

  it("still refuses a plain CONNECT (no :protocol) with 501", async () => {
    const stream = client.request({ ":method": "CONNECT", ":authority": "ws.test:443" });
    const [headers] = (await once(stream, "response")) as [http2.IncomingHttpHeaders];
    assert.equal(headers[":status"], 501);
    stream.resume();
    await once(stream, "close");
  });

  it("records the WebSocket as a request on the h2 connection, with the upstream's 101", async () => {
    client.close();
    const rec = await nextRecord(
      f,
      (r) => r.clientHello?.serverName === "ws.test" && r.requests.some((q) => q.path === "/socket"),
    );
    assert.equal(rec.tls?.alpn, "h2");
    const request = rec.requests.find((q) => q.path === "/socket")!;
    assert.equal(request.status, 101);
    assert.equal(request.method, "GET");
    assert.equal(request.upstream, up.url);
    assert.ok(rec.requests.some((q) => q.path === "/not-a-socket" && q.status === 400));
  });
});
