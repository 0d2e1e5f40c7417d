import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import http from "node:http";
import http2 from "node:http2";
import https from "node:https";
import { once } from "node:events";
import net from "node:net";
import tls from "node:tls";
import { curl, echoUpstream, nextRecord, startProxy, testLeaves, type ProxyFixture } from "./harness";

/**
 * A port where nothing listens, picked on purpose (listen on 0, close): the test needs a refused
 * connect first and a server on that same port later; Node cannot hold a TCP port bound without
 * listening, and a listening socket would accept instead of refusing.
 */
async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe("upstream failures and live updates", () => {
  let f: ProxyFixture;
  before(async () => {
    f = await startProxy([], {}, { upstreamResponseMs: 800, upstreamConnectMs: 1000 });
  });
  after(() => f.close());

  it("explains nothing listening, then works once the dev server is up (localhost on ::1 only)", async () => {
    const port = await freePort();
    await f.proxy.update(f.settings([{ host: "down.test", upstream: `http://localhost:${port}` }]));
    const r = await curl(f, "down.test", ["-i", `https://down.test:${f.port}/`]);
    assert.match(r.stdout, /^HTTP\/2 502/);
    assert.match(r.stdout, /nothing is listening on \[::1\]:\d+ or 127\.0\.0\.1:\d+: is the dev server running\?/);
    const late = http.createServer((_q, s) => s.end("up now"));
    await new Promise<void>((res) => late.listen(port, "::1", res));
    const r2 = await curl(f, "down.test", [`https://down.test:${f.port}/`]);
    assert.equal(r2.stdout, "up now");
    late.close();
  });

  it("says the route should be https:// when the upstream answers with TLS", async () => {
    const leaf = await testLeaves().leafFor("localhost");
    const tlsUp = https.createServer({ cert: leaf.chainPem, key: leaf.keyPem }, (_q, s) => s.end("secret"));
    await new Promise<void>((r) => tlsUp.listen(0, "127.0.0.1", r));
    const port = (tlsUp.address() as net.AddressInfo).port;
    await f.proxy.update(
      f.settings([
        { host: "mismatch.test", upstream: `http://127.0.0.1:${port}` },
        { host: "fixed.test", upstream: `https://localhost:${port}` },
      ]),
    );
    const r = await curl(f, "mismatch.test", ["--http1.1", `https://mismatch.test:${f.port}/`]);
    assert.match(r.stdout, /should say https:\/\/|closed the connection without answering/);
    const ok = await curl(f, "fixed.test", [`https://fixed.test:${f.port}/`]);
    assert.equal(ok.stdout, "secret", "the Switchyard root is trusted for https upstreams");
    // localhost is dialled on ::1 first, which refuses: TLS must start on the socket that connected.
    const h1 = await curl(f, "fixed.test", ["--http1.1", `https://fixed.test:${f.port}/`]);
    assert.equal(h1.stdout, "secret", "HTTP/1.1 to the https upstream via localhost");
    tlsUp.close();
  });

  it("says the route should be http:// when an https route reaches a plain server", async () => {
    const up = await echoUpstream();
    await f.proxy.update(f.settings([{ host: "plainup.test", upstream: `https://127.0.0.1:${up.port}` }]));
    const r = await curl(f, "plainup.test", ["--http1.1", `https://plainup.test:${f.port}/`]);
    assert.match(r.stdout, /should say http:\/\/ instead of https:\/\//);
    up.server.close();
  });

  it("answers 504 when the upstream does not answer in time", async () => {
    const slow = http.createServer(() => {});
    await new Promise<void>((r) => slow.listen(0, "127.0.0.1", r));
    await f.proxy.update(
      f.settings([{ host: "slow.test", upstream: `http://127.0.0.1:${(slow.address() as net.AddressInfo).port}` }]),
    );
    const r = await curl(f, "slow.test", ["--http1.1", "-i", `https://slow.test:${f.port}/`]);
    assert.match(r.stdout, /^HTTP\/1\.1 504/);
    assert.match(r.stdout, /<title>[^<]*Upstream timed out/);
    const h2 = await curl(f, "slow.test", ["-i", `https://slow.test:${f.port}/`]);
    assert.match(h2.stdout, /^HTTP\/2 504/);
    assert.match(h2.stdout, /<title>[^<]*Upstream timed out/, "the same page on both front ends");
    slow.closeAllConnections();
    slow.close();
  });

  it("answers a response with unusable framing with the 502 page on HTTP/1.1 and h2 alike", async () => {
    const bad = net.createServer((s) => {
      s.once("data", () => s.end("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"));
    });
    await new Promise<void>((r) => bad.listen(0, "127.0.0.1", r));
    const port = (bad.address() as net.AddressInfo).port;
    await f.proxy.update(f.settings([{ host: "framing.test", upstream: `http://127.0.0.1:${port}` }]));
    for (const proto of ["--http1.1", "--http2"]) {
      const r = await curl(f, "framing.test", [proto, "-i", `https://framing.test:${f.port}/`]);
      assert.match(r.stdout, /^HTTP\/(1\.1|2) 502/, `${proto}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /sent a response with unusable framing/);
    }
    bad.close();
  });

  it("does not cut off an upload that takes longer than the response deadline while it moves (HTTP/1.1 and h2)", async (t) => {
    // The upstream answers once it has the whole body: with the proxy's 800 ms response deadline,
    // a 1.6 s upload must still get its answer, over both front ends.
    const reader = http.createServer((q, s) => {
      let n = 0;
      q.on("data", (c: Buffer) => (n += c.length));
      q.on("end", () => s.end(`got ${n}`));
    });
    await new Promise<void>((r) => reader.listen(0, "127.0.0.1", r));
    t.after(() => reader.close());
    const upstream = `http://127.0.0.1:${(reader.address() as net.AddressInfo).port}`;
    await f.proxy.update(f.settings([{ host: "upload.test", upstream }]));
    const ca = readFileSync(f.rootFile);
    const chunk = Buffer.alloc(1000, 120);
    const dribble = async (write: (b: Buffer) => void): Promise<void> => {
      for (let i = 0; i < 8; i++) {
        write(chunk);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const h1 = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const req = https.request(
        {
          host: "127.0.0.1",
          port: f.port,
          servername: "upload.test",
          ca,
          method: "POST",
          path: "/",
          headers: { host: "upload.test" },
        },
        (res) => {
          let body = "";
          res.on("data", (c: Buffer) => (body += c));
          res.on("end", () => resolve({ status: res.statusCode, body }));
        },
      );
      req.on("error", reject);
      void dribble((b) => req.write(b)).then(() => req.end());
    });
    assert.deepEqual(h1, { status: 200, body: "got 8000" });
    const session = http2.connect(`https://127.0.0.1:${f.port}`, { ca, servername: "upload.test" });
    t.after(() => session.close());
    const h2 = await new Promise<{ status?: number; body: string }>((resolve, reject) => {
      const stream = session.request({ ":method": "POST", ":path": "/", ":authority": `upload.test:${f.port}` });
      let status: number | undefined;
      let body = "";
      stream.on("response", (h) => (status = Number(h[":status"])));
      stream.on("data", (c: Buffer) => (body += c));
      stream.on("end", () => resolve({ status, body }));
      stream.on("error", reject);
      void dribble((b) => stream.write(b)).then(() => stream.end());
    });
    assert.deepEqual(h2, { status: 200, body: "got 8000" });
  });

  it("does not pool an upstream socket that answered before the request body ended (the next request still gets through)", async (t) => {
    // 413 after the head, with keep-alive: Node's server then reads the rest of the declared body
    // before the next request, so that socket must not carry another request.
    const early = http.createServer((q, s) => {
      if (q.url === "/upload") return s.writeHead(413, { "content-length": "0" }).end();
      s.end("fine");
    });
    await new Promise<void>((r) => early.listen(0, "127.0.0.1", r));
    t.after(() => {
      early.closeAllConnections();
      early.close();
    });
    await f.proxy.update(
      f.settings([{ host: "early.test", upstream: `http://127.0.0.1:${(early.address() as net.AddressInfo).port}` }]),
    );
    const client = tls.connect({
      port: f.port,
      host: "127.0.0.1",
      servername: "early.test",
      ca: readFileSync(f.rootFile),
      ALPNProtocols: ["http/1.1"],
    });
    t.after(() => client.destroy());
    await once(client, "secureConnect");
    client.write("POST /upload HTTP/1.1\r\nHost: early.test\r\nContent-Length: 100000\r\n\r\n0123456789");
    let got = "";
    for await (const chunk of client) {
      got += String(chunk);
      if (got.includes("\r\n\r\n")) break;
    }
    assert.match(got, /^HTTP\/1\.1 413/);
    for (const proto of ["--http1.1", "--http2"]) {
      const r = await curl(f, "early.test", [
        proto,
        "-sS",
        "-o",
        "-",
        "-w",
        " %{http_code}",
        `https://early.test:${f.port}/next`,
      ]);
      assert.equal(r.stdout, "fine 200", `${proto}: the next request reached a clean upstream socket`);
    }
  });

  it("resets the client when the upstream dies mid-response, and records why", async () => {
    const dying = http.createServer((_q, s) => {
      s.writeHead(200, { "content-length": "100000" });
      s.write("x".repeat(1000));
      setTimeout(() => s.socket?.destroy(), 50);
    });
    await new Promise<void>((r) => dying.listen(0, "127.0.0.1", r));
    await f.proxy.update(
      f.settings([{ host: "dying.test", upstream: `http://127.0.0.1:${(dying.address() as net.AddressInfo).port}` }]),
    );
    const r = await curl(f, "dying.test", ["--http1.1", `https://dying.test:${f.port}/`]);
    assert.notEqual(r.code, 0, "curl sees a short body, not a clean end");
    const rec = await nextRecord(f, (x) => x.requests.some((q) => q.host?.startsWith("dying.test") === true));
    assert.match(rec.outcome.kind === "failed" ? rec.outcome.explanation : "", /in the middle of its response/);
    dying.close();
  });

  it("detects a route that points back at the proxy (508)", async () => {
    await f.proxy.update(f.settings([{ host: "loop.test", upstream: `https://127.0.0.1:${f.port}` }]));
    const r = await curl(f, "loop.test", ["-i", `https://loop.test:${f.port}/`]);
    assert.match(r.stdout, /^HTTP\/2 508/);
  });

  it("keeps requests in flight across a settings update", async () => {
    let arrived = 0;
    let allArrived: () => void = () => {};
    const three = new Promise<void>((r) => (allArrived = r));
    const a = http.createServer((_q, s) => {
      if (++arrived === 3) allArrived();
      setTimeout(() => s.end("from-a"), 300);
    });
    const b = http.createServer((_q, s) => s.end("from-b"));
    await Promise.all([a, b].map((s) => new Promise<void>((r) => s.listen(0, "127.0.0.1", r))));
    const url = (s: http.Server): string => `http://127.0.0.1:${(s.address() as net.AddressInfo).port}`;
    await f.proxy.update(f.settings([{ host: "live.test", upstream: url(a) }]));
    const inFlight = Promise.all([1, 2, 3].map(() => curl(f, "live.test", [`https://live.test:${f.port}/`])));
    await three;
    await f.proxy.update(f.settings([{ host: "live.test", upstream: url(b) }]));
    const after = await curl(f, "live.test", [`https://live.test:${f.port}/`]);
    assert.deepEqual(
      (await inFlight).map((r) => r.stdout),
      ["from-a", "from-a", "from-a"],
    );
    assert.equal(after.stdout, "from-b");
    a.close();
    b.close();
  });
});
