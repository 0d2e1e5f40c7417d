/**
 * h2 streams on the proxy's own upstream pool (h2/h2UpstreamExchange.ts), with Node's http2 client and
 * curl --http2 against real Node upstreams: every response framing decoded (h2 frames the data
 * itself), request bodies with and without a length, upstream sockets reused across streams,
 * repeated headers, HEAD, backpressure from a slow h2 reader, and the failure pages.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { once } from "node:events";
import http from "node:http";
import http2 from "node:http2";
import net from "node:net";
import type { ProxyTimeouts } from "../../../extension/core/proxy/context";
import type { DevProxyOptions } from "../../../extension/core/proxy/devProxy";
import { curl, startProxy, type ProxyFixture } from "./harness";

const BIG = randomBytes(8 * 1024 * 1024 + 77);
const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");

interface H2Response {
  status: number;
  headers: http2.IncomingHttpHeaders;
  body: Buffer;
}

/** One request on `client`; `stallMs` stops reading the body for a while (flow control pushes back). */
function h2request(
  client: http2.ClientHttp2Session,
  headers: http2.OutgoingHttpHeaders,
  body?: Buffer[],
  stallMs = 0,
): Promise<H2Response> {
  return new Promise((resolve, reject) => {
    const req = client.request(headers, { endStream: body === undefined });
    const chunks: Buffer[] = [];
    let status = 0;
    let responseHeaders: http2.IncomingHttpHeaders = {};
    req.on("response", (h) => {
      status = Number(h[":status"]);
      responseHeaders = h;
      if (stallMs > 0) {
        req.pause();
        setTimeout(() => req.resume(), stallMs);
      }
    });
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve({ status, headers: responseHeaders, body: Buffer.concat(chunks) }));
    req.on("error", reject);
    if (body) {
      for (const piece of body) req.write(piece);
      req.end();
    }
  });
}

/** A proxy routing `host` to `upstream` (started here on loopback), and an h2 client of the proxy. */
async function proxiedH2(
  upstream: http.Server,
  host: string,
  timeouts: Partial<ProxyTimeouts> = {},
  options: Pick<DevProxyOptions, "upstreamConnectionsPerOrigin"> = {},
): Promise<{ f: ProxyFixture; client: http2.ClientHttp2Session; upstreamUrl: string; close(): Promise<void> }> {
  await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as net.AddressInfo).port}`;
  const f = await startProxy([{ host, upstream: upstreamUrl }], {}, timeouts, options);
  const client = http2.connect(`https://127.0.0.1:${f.port}`, { ca: f.leaves.rootPem(), servername: host });
  const close = async (): Promise<void> => {
    client.close();
    upstream.closeAllConnections();
    upstream.close();
    await f.close();
  };
  return { f, client, upstreamUrl, close };
}

describe("h2 streams on the upstream pool", () => {
  let f: ProxyFixture;
  let upstream: http.Server;
  let connections = 0;
  let client: http2.ClientHttp2Session;
  let upstreamUrl = "";
  let close: () => Promise<void>;
  const authority = (): string => `h2.test:${f.port}`;
  /** Starts `raw` on loopback and routes `host` to it, next to h2.test. */
  const routeAlongside = async (host: string, raw: net.Server): Promise<void> => {
    await new Promise<void>((r) => raw.listen(0, "127.0.0.1", r));
    const port = (raw.address() as net.AddressInfo).port;
    const routes = [
      { host, upstream: `http://127.0.0.1:${port}` },
      { host: "h2.test", upstream: upstreamUrl },
    ];
    await f.proxy.update(f.settings(routes));
  };
  /** An h2 connection whose SNI is `host`: the proxy answers 421 to streams for another host. */
  const clientFor = (host: string): http2.ClientHttp2Session =>
    http2.connect(`https://127.0.0.1:${f.port}`, { ca: f.leaves.rootPem(), servername: host });

  before(async () => {
    upstream = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on("data", (c: Buffer) => parts.push(c));
      req.on("end", () => {
        const got = Buffer.concat(parts);
        if (req.url === "/chunked") {
          res.writeHead(200, { "content-type": "text/plain" }); // no length: chunked on the wire
          for (let i = 0; i < 50; i++) res.write(`line ${i}\n`);
          return res.end("end\n");
        }
        if (req.url === "/big-chunked") {
          // No length: chunked on the wire, in pieces that do not line up with the proxy's reads.
          res.writeHead(200, { "content-type": "application/octet-stream" });
          for (let at = 0; at < BIG.length; at += 700_001) res.write(BIG.subarray(at, at + 700_001));
          return res.end();
        }
        if (req.url === "/big") {
          res.writeHead(200, { "content-length": BIG.length });
          return res.end(BIG);
        }
        if (req.url === "/cookies") {
          res.setHeader("set-cookie", ["a=1; Path=/", "b=2; Path=/"]);
          res.setHeader("x-multi", ["one", "two"]);
          res.setHeader("connection", "keep-alive, x-hop");
          res.setHeader("x-hop", "must not pass");
          return res.end("ok");
        }
        if (req.url === "/close") {
          res.setHeader("connection", "close");
          return res.end("closing");
        }
        const summary = {
          method: req.method,
          length: req.headers["content-length"] ?? null,
          te: req.headers["transfer-encoding"] ?? null,
          sha: sha(got),
          xfp: req.headers["x-forwarded-proto"],
        };
        res.writeHead(200, { "content-type": "application/json", "content-length": 1234 });
        res.end(req.method === "HEAD" ? undefined : JSON.stringify(summary).padEnd(1234));
      });
    });
    upstream.on("connection", () => connections++);
    ({ f, client, upstreamUrl, close } = await proxiedH2(upstream, "h2.test", { upstreamConnectMs: 1000 }));
  });
  after(() => close());

  it("decodes a chunked upstream response into h2 DATA (no chunk-size lines reach the client)", async () => {
    const r = await h2request(client, { ":path": "/chunked", ":authority": authority() });
    assert.equal(r.status, 200);
    const expected = Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join("") + "end\n";
    assert.equal(r.body.toString(), expected);
    assert.equal(r.headers["transfer-encoding"], undefined);
  });

  it("frames request bodies for HTTP/1.1: Content-Length as sent, chunked when the h2 client sent none", async () => {
    const body = [randomBytes(70_000), randomBytes(5), randomBytes(300_000)];
    const all = Buffer.concat(body);
    const withLength = await h2request(
      client,
      { ":path": "/echo", ":method": "POST", ":authority": authority(), "content-length": String(all.length) },
      body,
    );
    const sized = JSON.parse(withLength.body.toString()) as Record<string, unknown>;
    assert.deepEqual([sized.length, sized.te, sized.sha, sized.xfp], [String(all.length), null, sha(all), "https"]);
    const noLength = await h2request(client, { ":path": "/echo", ":method": "POST", ":authority": authority() }, body);
    const chunked = JSON.parse(noLength.body.toString()) as Record<string, unknown>;
    assert.deepEqual([chunked.length, chunked.te, chunked.sha], [null, "chunked", sha(all)]);
  });

  it("reuses upstream sockets across streams and connections, and drops one the upstream closes", async () => {
    await h2request(client, { ":path": "/warm", ":authority": authority() });
    const before = connections;
    for (let i = 0; i < 5; i++) await h2request(client, { ":path": `/seq${i}`, ":authority": authority() });
    const other = http2.connect(`https://127.0.0.1:${f.port}`, { ca: f.leaves.rootPem(), servername: "h2.test" });
    await h2request(other, { ":path": "/other", ":authority": authority() });
    other.close();
    assert.equal(connections, before, "six requests, no new upstream connection");
    const closing = await h2request(client, { ":path": "/close", ":authority": authority() });
    assert.equal(closing.body.toString(), "closing");
    const after = await h2request(client, { ":path": "/after", ":authority": authority() });
    assert.equal(after.status, 200, "the next stream gets a working socket");
  });

  it("keeps repeated headers (set-cookie as a list) and drops the upstream's hop-by-hop ones", async () => {
    const r = await h2request(client, { ":path": "/cookies", ":authority": authority() });
    assert.deepEqual(r.headers["set-cookie"], ["a=1; Path=/", "b=2; Path=/"]);
    assert.equal(r.headers["x-multi"], "one, two");
    assert.equal(r.headers["x-hop"], undefined);
    assert.equal(r.headers.connection, undefined);
  });

  it("answers HEAD with the upstream's length and no body", async () => {
    const r = await h2request(client, { ":path": "/head", ":method": "HEAD", ":authority": authority() });
    assert.equal(r.status, 200);
    assert.equal(r.headers["content-length"], "1234");
    assert.equal(r.body.length, 0);
  });

  it("delivers a large body byte for byte to a reader that stalls (h2 flow control backs up to the upstream)", async () => {
    const [slow, fast] = await Promise.all([
      h2request(client, { ":path": "/big", ":authority": authority() }, undefined, 300),
      h2request(client, { ":path": "/big", ":authority": authority() }),
    ]);
    assert.equal(sha(slow.body), sha(BIG));
    assert.equal(sha(fast.body), sha(BIG));
    const viaCurl = await curl(f, "h2.test", [
      "--http2",
      "-o",
      "/dev/null",
      "-w",
      "%{size_download} %{http_version}",
      `https://h2.test:${f.port}/big`,
    ]);
    assert.equal(viaCurl.stdout, `${BIG.length} 2`);
  });

  it("keeps six large bodies intact while their streams share the proxy's reused copy buffers", async () => {
    // Four stall at different times, so copies are held by queued writes while others are reused.
    const paths = ["/big", "/big-chunked", "/big", "/big-chunked", "/big", "/big-chunked"];
    const bodies = await Promise.all(
      paths.map((p, i) => h2request(client, { ":path": p, ":authority": authority() }, undefined, i < 4 ? 100 * i : 0)),
    );
    for (const [i, r] of bodies.entries()) {
      assert.equal(r.status, 200, paths[i]);
      assert.equal(sha(r.body), sha(BIG), `${paths[i]} (stream ${i}) arrived byte for byte`);
    }
  });

  it("answers 502 for a status HTTP/2 cannot carry, and the proxy goes on serving", async () => {
    const odd = net.createServer((s) => {
      s.once("data", () => s.end("HTTP/1.1 600 Weird\r\ncontent-length: 2\r\n\r\nok"));
      s.on("error", () => {});
    });
    await routeAlongside("odd.test", odd);
    const oddClient = clientFor("odd.test");
    const r = await h2request(oddClient, { ":path": "/", ":authority": `odd.test:${f.port}` });
    oddClient.close();
    assert.equal(r.status, 502);
    assert.match(r.body.toString(), /status 600, which is not an HTTP status/);
    const after = await h2request(client, { ":path": "/still", ":authority": authority() });
    assert.equal(after.status, 200);
    odd.close();
  });

  it("ends an upload the upstream refused early (413, connection closed) instead of leaving it hanging", async () => {
    const refusing = net.createServer((s) => {
      // Reads nothing more, lets the proxy fill the socket, then refuses and closes.
      s.once("data", () => {
        s.pause();
        const refusal = "HTTP/1.1 413 Payload Too Large\r\nconnection: close\r\ncontent-length: 8\r\n\r\ntoo big\n";
        setTimeout(() => s.end(refusal), 400);
      });
      s.on("error", () => {});
    });
    await routeAlongside("refuse.test", refusing);
    const refuseClient = clientFor("refuse.test");
    const req = refuseClient.request({ ":path": "/upload", ":method": "POST", ":authority": `refuse.test:${f.port}` });
    let status = 0;
    req.on("response", (h) => (status = Number(h[":status"])));
    req.on("error", () => {});
    req.resume();
    const body = randomBytes(1024 * 1024);
    let sent = 0;
    const pump = (): void => {
      while (sent < 64 && !req.destroyed) {
        sent++;
        if (!req.write(body)) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
    const closed = await Promise.race([
      new Promise<boolean>((r) => req.once("close", () => r(true))),
      new Promise<boolean>((r) => setTimeout(() => r(false), 8000)),
    ]);
    assert.equal(status, 413);
    assert.ok(closed, "the stream ended within 8 s");
    refuseClient.close();
    refusing.close();
  });

  it("answers 502 with the reason in words when the upstream is down", async () => {
    const dead = http.createServer();
    await new Promise<void>((r) => dead.listen(0, "127.0.0.1", r));
    const port = (dead.address() as net.AddressInfo).port;
    await new Promise<void>((r) => dead.close(() => r()));
    await f.proxy.update(f.settings([{ host: "gone.test", upstream: `http://127.0.0.1:${port}` }]));
    const goneClient = clientFor("gone.test");
    const r = await h2request(goneClient, { ":path": "/", ":authority": `gone.test:${f.port}` });
    goneClient.close();
    assert.equal(r.status, 502);
    assert.match(r.body.toString(), /nothing is listening on 127\.0\.0\.1:\d+/);
  });
});

describe("an h2 page that opens many streams at once", () => {
  const LIMIT = 8;
  let f: ProxyFixture;
  let upstream: http.Server;
  let open = 0;
  let most = 0;
  let dialled = 0;
  let client: http2.ClientHttp2Session;
  let close: () => Promise<void>;

  before(async () => {
    // Each answer takes 10 ms, so the streams overlap and would each dial without a limit.
    upstream = http.createServer((req, res) => {
      req.resume();
      // Server-sent events: the response starts and never ends (until the client goes).
      if (req.url?.startsWith("/events"))
        return res.writeHead(200, { "content-type": "text/event-stream" }).write("data: hi\n\n");
      req.on("end", () => setTimeout(() => res.end(`answer ${req.url}`), 10));
    });
    upstream.on("connection", (s: net.Socket) => {
      dialled++;
      most = Math.max(most, ++open);
      s.once("close", () => open--);
    });
    ({ f, client, close } = await proxiedH2(upstream, "many.test", {}, { upstreamConnectionsPerOrigin: LIMIT }));
  });
  after(() => close());

  it("holds the upstream to the per-origin connection limit; streams beyond it wait and all get their answer", async () => {
    const authority = `many.test:${f.port}`;
    const answers = await Promise.all(
      Array.from({ length: 120 }, (_, i) => h2request(client, { ":path": `/${i}`, ":authority": authority })),
    );
    answers.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), `answer /${i}`);
    });
    assert.ok(most <= LIMIT, `the upstream saw ${most} connections at once (limit ${LIMIT})`);
    assert.ok(dialled <= LIMIT, `${dialled} upstream connections were dialled for 120 streams (limit ${LIMIT})`);
  });

  it("dials anyway after a short wait when long responses (server-sent events) hold every connection", async () => {
    const authority = `many.test:${f.port}`;
    const events = Array.from({ length: LIMIT }, (_, i) => {
      const req = client.request({ ":path": `/events/${i}`, ":authority": authority });
      req.on("error", () => {});
      return req;
    });
    try {
      await Promise.all(events.map((req) => once(req, "data")));
      const before = dialled;
      const r = await h2request(client, { ":path": "/while-events", ":authority": authority });
      assert.equal(r.status, 200, "not a 504 after waiting for the event streams to end");
      assert.equal(r.body.toString(), "answer /while-events");
      assert.equal(dialled, before + 1, "a connection beyond the limit, since none would be released");
    } finally {
      for (const req of events) req.close(http2.constants.NGHTTP2_CANCEL);
    }
  });

  it("drops a waiting stream the client cancels, and later streams still get connections", async () => {
    const authority = `many.test:${f.port}`;
    const waiting = Array.from({ length: 40 }, (_, i) => {
      const req = client.request({ ":path": `/cancel/${i}`, ":authority": authority });
      req.on("error", () => {});
      return req;
    });
    // Cancel the ones queued behind the limit before a connection frees up for them.
    for (const req of waiting.slice(LIMIT)) req.close(http2.constants.NGHTTP2_CANCEL);
    await Promise.all(waiting.slice(0, LIMIT).map((req) => new Promise((r) => req.on("close", r).resume())));
    const again = await Promise.all(
      Array.from({ length: 20 }, (_, i) => h2request(client, { ":path": `/after/${i}`, ":authority": authority })),
    );
    for (const r of again) assert.equal(r.status, 200);
  });
});
