import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http2 from "node:http2";
import https from "node:https";
import http from "node:http";
import { readdirSync } from "node:fs";
import type net from "node:net";
import tls from "node:tls";
import { WebSocket, WebSocketServer } from "ws";
import { curl, echoUpstream, getWithPeer, nextRecord, run, sClient, startProxy, type ProxyFixture } from "./harness";

describe("DevProxy with real clients", () => {
  let f: ProxyFixture;
  let up: { server: http.Server; port: number; url: string };
  let wss: WebSocketServer;
  /** Another program on the same port number at ::1, answering every request with 418. */
  let impostor: http.Server | undefined;
  let impostorError: string | undefined;

  before(async () => {
    up = await echoUpstream();
    impostor = http.createServer((_q, s) => s.writeHead(418).end("impostor"));
    impostorError = await new Promise<string | undefined>((resolve) => {
      impostor!.once("error", (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      impostor!.listen(up.port, "::1", () => resolve(undefined));
    });
    if (impostorError) impostor = undefined;
    wss = new WebSocketServer({ server: up.server });
    wss.on("connection", (ws) => ws.on("message", (m) => ws.send(`echo:${String(m)}`)));
    f = await startProxy([
      { host: "app.test", upstream: up.url },
      { host: "plain.test", upstream: up.url, redirect: false },
      { host: "rewrite.test", upstream: up.url, rewriteHost: true },
    ]);
  });
  after(async () => {
    await f.close();
    wss.close();
    up.server.close();
    impostor?.close();
  });

  const json = (s: string): { url: string; headers: Record<string, string>; body: string } =>
    JSON.parse(s.slice(s.indexOf("{")));

  it("proxies curl --http1.1 with forwarding headers and Host preserved", async () => {
    const r = await curl(f, "app.test", ["--http1.1", `https://app.test:${f.port}/hello?x=1`]);
    assert.equal(r.code, 0, r.stderr);
    const body = json(r.stdout);
    assert.equal(body.url, "/hello?x=1");
    assert.equal(body.headers.host, `app.test:${f.port}`);
    assert.equal(body.headers["x-forwarded-proto"], "https");
    assert.equal(body.headers["x-forwarded-for"], "127.0.0.1");
    assert.match(body.headers.forwarded!, /for=127\.0\.0\.1;host="app\.test:\d+";proto=https/);
  });

  it("reaches the upstream it bound while another program holds the same port on ::1", async (t) => {
    if (impostorError) {
      const message = `cannot listen on [::1]:${up.port} (${impostorError})`;
      if (process.env.CI === "true") throw new Error(`${message} (CI=true)`);
      return t.skip(message);
    }
    assert.equal((impostor!.address() as net.AddressInfo).port, up.port);
    for (const version of ["--http1.1", "--http2"]) {
      const r = await curl(f, "app.test", ["-i", version, `https://app.test:${f.port}/which`]);
      assert.doesNotMatch(r.stdout, /impostor/, version);
      assert.equal(json(r.stdout).url, "/which", version);
    }
  });

  it("proxies curl --http2 and records the negotiated ALPN, version and certificate", async () => {
    const r = await curl(f, "app.test", ["--http2", "-w", "%{http_version}", `https://app.test:${f.port}/h2`]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.endsWith("2"));
    const rec = await nextRecord(f, (x) => x.tls?.alpn === "h2" && x.requests.some((q) => q.path === "/h2"));
    assert.equal(rec.tls?.version, "TLSv1.3");
    assert.deepEqual(rec.tls?.certificate?.sans, ["app.test"]);
    assert.equal(rec.clientHello?.serverName, "app.test");
    assert.ok(rec.timeline.handshakeDone! >= rec.timeline.clientHello!);
  });

  it("redirects plain HTTP with 307 to https on the same port, and curl -L follows it", async () => {
    const r = await curl(f, "app.test", ["-i", "-L", `http://app.test:${f.port}/a/b?c=d`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^HTTP\/1\.1 307/);
    assert.match(r.stdout, new RegExp(`location: https://app.test:${f.port}/a/b\\?c=d`, "i"));
    assert.equal(json(r.stdout).url, "/a/b?c=d");
  });

  it("serves a route with redirect:false over plain HTTP", async () => {
    const r = await curl(f, "plain.test", [`http://plain.test:${f.port}/p`]);
    assert.equal(json(r.stdout).headers["x-forwarded-proto"], "http");
  });

  it("rewrites Host to the upstream's when the route says so", async () => {
    const r = await curl(f, "rewrite.test", [`https://rewrite.test:${f.port}/`]);
    assert.equal(json(r.stdout).headers.host, `127.0.0.1:${up.port}`);
  });

  it("answers plain HTTP without Host with 400 and an explanation", async () => {
    const r = await run("bash", [
      "-c",
      `exec 3<>/dev/tcp/127.0.0.1/${f.port}; printf 'GET / HTTP/1.0\\r\\n\\r\\n' >&3; cat <&3`,
    ]);
    assert.match(r.stdout, /^HTTP\/1\.1 400/);
    assert.match(r.stdout, /no Host header/);
  });

  it("answers a name with no route over the fallback certificate (none issued for it), with a page listing the routes", async () => {
    // The fallback's own leaf (the dialled address's, what a client without SNI gets) exists first.
    await getWithPeer({ port: f.port, servername: "", headers: { host: "app.test" }, rejectUnauthorized: false });
    const issuedBefore = f.leaves.issued;
    const filesBefore = readdirSync(f.leaves.dir).sort();

    // A client that checks the certificate stops: it does not name other.test (curl: 60, peer verification failed).
    const checked = await curl(f, "other.test", ["-i", `https://other.test:${f.port}/`]);
    assert.equal(checked.code, 60, checked.stderr);

    // One that goes on anyway (curl -k) gets the page listing the routes.
    const r = await curl(f, "other.test", ["-i", "-k", `https://other.test:${f.port}/`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^HTTP\/2 404/);
    assert.match(r.stdout, /No route for other\.test/);
    assert.match(r.stdout, /app\.test/);

    const { peer } = await getWithPeer({
      port: f.port,
      servername: "other.test",
      headers: { host: "other.test" },
      rejectUnauthorized: false,
    });
    assert.equal(peer.subjectaltname, "IP Address:127.0.0.1", "the dialled address's certificate, as without SNI");
    assert.ok(tls.checkServerIdentity("other.test", peer) instanceof Error, "it does not cover other.test");
    assert.equal(f.leaves.issued, issuedBefore, "no leaf was issued for other.test");
    assert.deepEqual(readdirSync(f.leaves.dir).sort(), filesBefore, "no leaf file was written for it");

    const rec = await nextRecord(f, (x) => x.clientHello?.serverName === "other.test" && x.requests.length > 0);
    assert.equal(rec.outcome.kind, "no-route");
    assert.deepEqual(rec.tls?.certificate?.sans, ["127.0.0.1"]);
    assert.match(rec.tls?.certificateNote ?? "", /no route serves other\.test/);
    assert.match(rec.tls?.certificateNote ?? "", /add a route for it/);
  });

  it("issues for a name as soon as a route for it is added while the proxy runs", async () => {
    const routes = [{ host: "app.test", upstream: up.url }];
    try {
      await f.proxy.update(f.settings([...routes, { host: "*.late.test", upstream: up.url }]));
      const r = await curl(f, "now.late.test", ["-w", "\n%{http_code}", `https://now.late.test:${f.port}/late`]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.endsWith("\n200"), r.stdout);
      const rec = await nextRecord(f, (x) => x.requests.some((q) => q.path === "/late"));
      assert.deepEqual(rec.tls?.certificate?.sans, ["*.late.test"], "the wildcard route's one leaf");
      assert.equal(rec.tls?.certificateNote, undefined);
    } finally {
      await f.proxy.update(
        f.settings([
          ...routes,
          { host: "plain.test", upstream: up.url, redirect: false },
          { host: "rewrite.test", upstream: up.url, rewriteHost: true },
        ]),
      );
    }
  });

  it("handshakes with openssl s_client with SNI and -alpn h2, and without SNI (dialled address)", async () => {
    const withSni = await sClient(f, ["-servername", "app.test", "-alpn", "h2"]);
    assert.match(withSni.stdout, /ALPN protocol: h2/);
    assert.match(withSni.stdout, /Verify return code: 0/);
    const noSni = await sClient(f, ["-noservername", "-verify_ip", "127.0.0.1"]);
    assert.match(noSni.stdout, /Verify return code: 0/);
    assert.match(noSni.stdout, /subject=CN ?= ?127\.0\.0\.1/);
  });

  it("serves Node's https and http2 clients", async () => {
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(
          {
            host: "127.0.0.1",
            port: f.port,
            servername: "app.test",
            headers: { host: "app.test" },
            path: "/node",
            ca: f.leaves.rootPem(),
          },
          (res) => {
            let s = "";
            res.on("data", (c: Buffer) => (s += c));
            res.on("end", () => resolve(s));
          },
        )
        .on("error", reject);
    });
    assert.equal(json(body).url, "/node");
    const client = http2.connect(`https://127.0.0.1:${f.port}`, { ca: f.leaves.rootPem(), servername: "app.test" });
    const h2body = await new Promise<string>((resolve, reject) => {
      const req = client.request({ ":path": "/h2node", ":method": "POST", ":authority": `app.test:${f.port}` });
      let s = "";
      req.on("data", (c: Buffer) => (s += c));
      req.on("end", () => resolve(s));
      req.on("error", reject);
      req.end("posted");
    });
    client.close();
    assert.equal(json(h2body).body, "posted");
  });

  it("carries a WebSocket upgrade both ways", async () => {
    // servername is passed through to tls.connect; ws's types do not list it.
    const options = { ca: f.leaves.rootPem(), servername: "app.test", headers: { host: `app.test:${f.port}` } };
    const ws = new WebSocket(`wss://127.0.0.1:${f.port}/socket`, options);
    await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
    const reply = new Promise<string>((resolve) => ws.once("message", (m) => resolve(String(m))));
    ws.send("ping");
    assert.equal(await reply, "echo:ping");
    ws.close();
  });

  it("keeps pipelined requests apart: each gets its own response, in order", async () => {
    const req = (p: string, body: string): string =>
      `POST ${p} HTTP/1.1\r\nHost: plain.test\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    const payload =
      req("/one", "GET /smuggled HTTP/1.1\r\n\r\n") +
      req("/two", "b") +
      "GET /three HTTP/1.1\r\nHost: plain.test\r\nConnection: close\r\n\r\n";
    const r = await run("bash", ["-c", `exec 3<>/dev/tcp/127.0.0.1/${f.port}; printf '%s' "$P" >&3; cat <&3`], {
      env: { ...process.env, P: payload },
    });
    const urls = [...r.stdout.matchAll(/"url":"([^"]+)"/g)].map((m) => m[1]);
    assert.deepEqual(urls, ["/one", "/two", "/three"]);
    assert.ok(!r.stdout.includes('"url":"/smuggled"'));
  });
});
