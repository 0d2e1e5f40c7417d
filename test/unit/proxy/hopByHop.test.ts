import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import type net from "node:net";
import tls from "node:tls";
import { stripHopByHop } from "../../../extension/core/proxy/http/hopByHop";
import type { HeaderLine } from "../../../extension/core/proxy/http/httpHead";
import { nextRecord, startProxy, type ProxyFixture } from "./harness";

const names = (lines: HeaderLine[]): string[] => lines.map(([n]) => n.toLowerCase());

describe("hop-by-hop header fields (RFC 9110 7.6.1)", () => {
  it("drops Connection, Keep-Alive, Proxy-Connection, TE and every field Connection names", () => {
    const out = stripHopByHop(
      [
        ["Host", "a.test"],
        ["Connection", "close, X-Foo"],
        ["Keep-Alive", "timeout=5"],
        ["Proxy-Connection", "keep-alive"],
        ["X-Foo", "secret"],
        ["TE", "deflate"],
        ["Accept", "*/*"],
      ],
      { upgrade: false, teTrailers: true },
    );
    assert.deepEqual(out, [
      ["Host", "a.test"],
      ["Accept", "*/*"],
    ]);
  });

  it("keeps TE: trailers (announced in Connection) and an upgrade's Upgrade", () => {
    const te = stripHopByHop([["TE", "trailers, deflate;q=0.5"]], { upgrade: false, teTrailers: true });
    assert.deepEqual(te, [
      ["TE", "trailers"],
      ["Connection", "te"],
    ]);
    const ws = stripHopByHop(
      [
        ["Connection", "keep-alive, Upgrade"],
        ["Upgrade", "websocket"],
        ["Sec-WebSocket-Key", "k"],
      ],
      { upgrade: true, teTrailers: false },
    );
    assert.deepEqual(ws, [
      ["Sec-WebSocket-Key", "k"],
      ["Upgrade", "websocket"],
      ["Connection", "upgrade"],
    ]);
    assert.deepEqual(names(stripHopByHop([["Upgrade", "h2c"]], { upgrade: false, teTrailers: false })), []);
  });

  it("never lets Connection remove the framing or forwarding fields (smuggling guard)", () => {
    const out = stripHopByHop(
      [
        ["Connection", "Content-Length, Transfer-Encoding, Host, X-Forwarded-For"],
        ["Host", "a.test"],
        ["Content-Length", "5"],
      ],
      { upgrade: false, teTrailers: false },
    );
    assert.deepEqual(names(out), ["host", "content-length"]);
  });
});

describe("the proxy manages each hop's connection itself", () => {
  let f: ProxyFixture;
  let upstream: http.Server;
  const seen: http.IncomingHttpHeaders[] = [];
  const upstreamSockets = new Set<net.Socket>();
  let connections = 0;
  let dropNextIdle = false;
  const stale = new WeakSet<net.Socket>();

  before(async () => {
    upstream = http.createServer((req, res) => {
      if (stale.has(req.socket)) {
        // The dev server had closed this keep-alive socket just as the request arrived (the
        // keepAliveTimeout race): the request is lost without an answer.
        req.socket.destroy();
        return;
      }
      seen.push(req.headers);
      res.setHeader("Keep-Alive", "timeout=5");
      res.setHeader("Connection", "X-Upstream-Hop");
      res.setHeader("X-Upstream-Hop", "1");
      res.setHeader("Proxy-Connection", "keep-alive");
      res.setHeader("Content-Length", "2");
      res.end("ok");
      if (dropNextIdle) {
        dropNextIdle = false;
        stale.add(req.socket);
      }
    });
    upstream.on("connection", (s: net.Socket) => {
      connections++;
      upstreamSockets.add(s);
      s.on("close", () => upstreamSockets.delete(s));
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const port = (upstream.address() as net.AddressInfo).port;
    f = await startProxy([{ host: "hop.test", upstream: `http://127.0.0.1:${port}` }]);
  });
  after(async () => {
    await f.close();
    upstream.closeAllConnections();
    upstream.close();
  });

  /** One request on a new TLS connection, raw bytes both ways; resolves with the response head. */
  const rawRequest = (head: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const s = tls.connect({
        host: "127.0.0.1",
        port: f.port,
        servername: "hop.test",
        ca: f.leaves.rootPem(),
        ALPNProtocols: ["http/1.1"],
      });
      let got = "";
      s.setEncoding("latin1");
      s.on("secureConnect", () => s.write(head));
      s.on("data", (d: string) => {
        got += d;
        if (got.includes("\r\n\r\nok")) {
          s.destroy();
          resolve(got.slice(0, got.indexOf("\r\n\r\n")));
        }
      });
      s.on("error", reject);
      s.on("close", () => resolve(got.split("\r\n\r\n")[0]!));
      s.setTimeout(5000, () => reject(new Error(`no response; got ${JSON.stringify(got)}`)));
    });

  it("does not forward the client's hop-by-hop fields, and Connection: close closes only the client side", async () => {
    const before = connections;
    const head = await rawRequest(
      "GET /one HTTP/1.1\r\nHost: hop.test\r\nConnection: close, X-Foo\r\nX-Foo: bar\r\nKeep-Alive: timeout=9\r\n" +
        "Proxy-Connection: keep-alive\r\nTE: trailers, deflate\r\nX-End-To-End: yes\r\n\r\n",
    );
    const got = seen.at(-1)!;
    assert.equal(got.connection, "te", "only the proxy's own Connection reaches the upstream");
    assert.equal(got["x-foo"], undefined);
    assert.equal(got["keep-alive"], undefined);
    assert.equal(got["proxy-connection"], undefined);
    assert.equal(got.te, "trailers");
    assert.equal(got["x-end-to-end"], "yes");
    assert.ok(got["x-forwarded-for"], "forwarding headers still added");
    assert.match(head, /^HTTP\/1\.1 200 OK/);
    assert.match(head, /\r\nConnection: close(\r\n|$)/i, "the client asked to close: the proxy says so itself");
    assert.doesNotMatch(head, /keep-alive|x-upstream-hop|proxy-connection/i, "no upstream hop-by-hop field leaks");

    // The upstream socket survived the client's Connection: close and carries the next client's request.
    // The client connection's record is published once the proxy closed it, after the socket was pooled.
    await nextRecord(f, (r) => r.requests.some((q) => q.path === "/one"));
    assert.equal(upstreamSockets.size, 1, "the upstream connection stays open");
    const second = await rawRequest("GET /two HTTP/1.1\r\nHost: hop.test\r\n\r\n");
    assert.match(second, /^HTTP\/1\.1 200 OK/);
    assert.doesNotMatch(second, /\r\nConnection:/i, "a keep-alive client gets no Connection field");
    assert.equal(connections - before, 1, "both client connections were served over one upstream connection");
  });

  it("retries an idempotent request once when the pooled upstream socket went stale", async () => {
    dropNextIdle = true;
    await rawRequest("GET /prime HTTP/1.1\r\nHost: hop.test\r\n\r\n");
    const before = connections;
    const head = await rawRequest("GET /after-drop HTTP/1.1\r\nHost: hop.test\r\n\r\n");
    assert.match(head, /^HTTP\/1\.1 200 OK/, "no 502 for a socket the upstream closed while idle");
    assert.equal(connections - before, 1, "one new upstream connection");
    assert.equal(seen.at(-1)!.host, "hop.test");
  });
});
