import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { bodyCursor, BodyFramingError } from "../../../extension/core/proxy/http/bodyFraming";
import { forwardedHeaders, hasLooped } from "../../../extension/core/proxy/http/forwarding";
import { httpsLocation } from "../../../extension/core/proxy/requestDecision";
import {
  HttpHeadError,
  InvalidStatusError,
  parseRequestHead,
  parseResponseHead,
  responseFraming,
} from "../../../extension/core/proxy/http/httpHead";
import { hostMatches, hostOf, pathMatches, RouteTable } from "../../../extension/core/proxy/routes";
import { parseRouteFlag } from "../../../extension/core/settings";

const head = (s: string): Buffer => Buffer.from(s.replace(/\n/g, "\r\n") + "\r\n", "latin1");
const status = (f: () => unknown): number => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof HttpHeadError, String(e));
    return e.status;
  }
  return 0;
};

describe("request heads", () => {
  it("reads method, target, Host and keep-alive", () => {
    const r = parseRequestHead(head("GET /a?b=1 HTTP/1.1\nHost: app.test:8443\nX: y\n"));
    assert.equal(r.method, "GET");
    assert.equal(r.target, "/a?b=1");
    assert.equal(r.host, "app.test:8443");
    assert.equal(r.keepAlive, true);
    assert.deepEqual(r.framing, { kind: "none" });
  });

  it("refuses Content-Length together with Transfer-Encoding (request smuggling)", () => {
    assert.equal(
      status(() => parseRequestHead(head("POST / HTTP/1.1\nHost: a\nContent-Length: 5\nTransfer-Encoding: chunked\n"))),
      400,
    );
  });

  it("refuses conflicting Content-Length values but accepts repeated identical ones", () => {
    assert.equal(
      status(() => parseRequestHead(head("POST / HTTP/1.1\nHost: a\nContent-Length: 5\nContent-Length: 6\n"))),
      400,
    );
    assert.deepEqual(parseRequestHead(head("POST / HTTP/1.1\nHost: a\nContent-Length: 5, 5\n")).framing, {
      kind: "length",
      length: 5,
    });
  });

  it("refuses a Transfer-Encoding that does not end in chunked, and obs-fold", () => {
    assert.equal(
      status(() => parseRequestHead(head("POST / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked, gzip\n"))),
      501,
    );
    assert.equal(
      status(() => parseRequestHead(head("GET / HTTP/1.1\nHost: a\nX: 1\n  folded\n"))),
      400,
    );
  });

  it("refuses a missing or doubled Host on HTTP/1.1, and accepts HTTP/1.0 without one", () => {
    assert.equal(
      status(() => parseRequestHead(head("GET / HTTP/1.1\n"))),
      400,
    );
    assert.equal(
      status(() => parseRequestHead(head("GET / HTTP/1.1\nHost: a\nHost: b\n"))),
      400,
    );
    assert.equal(parseRequestHead(head("GET / HTTP/1.0\n")).keepAlive, false);
  });

  it("refuses unknown versions with 505 and a header name with a space with 400", () => {
    assert.equal(
      status(() => parseRequestHead(head("GET / HTTP/2.0\nHost: a\n"))),
      505,
    );
    assert.equal(
      status(() => parseRequestHead(head("GET / HTTP/1.1\nHost: a\nBad Name: x\n"))),
      400,
    );
  });

  it("flags WebSocket upgrades", () => {
    assert.equal(
      parseRequestHead(head("GET /ws HTTP/1.1\nHost: a\nConnection: Upgrade\nUpgrade: websocket\n")).upgrade,
      true,
    );
  });
});

describe("response framing", () => {
  const res = (s: string) => parseResponseHead(head(s));
  it("follows RFC 9112 6.3", () => {
    assert.deepEqual(responseFraming(res("HTTP/1.1 200 OK\nContent-Length: 3\n"), "HEAD"), { kind: "none" });
    assert.deepEqual(responseFraming(res("HTTP/1.1 304 Not Modified\nContent-Length: 3\n"), "GET"), { kind: "none" });
    assert.deepEqual(responseFraming(res("HTTP/1.1 200 OK\nTransfer-Encoding: chunked\n"), "GET"), { kind: "chunked" });
    assert.deepEqual(responseFraming(res("HTTP/1.1 200 OK\n"), "GET"), { kind: "until-close" });
    assert.equal(res("HTTP/1.0 200 OK\n").keepAlive, false);
  });

  it("refuses a status outside 100-599 (RFC 9110 15) instead of reading 0xx as a 1xx", () => {
    for (const code of ["000", "099", "600", "999"]) {
      assert.throws(
        () => res(`HTTP/1.1 ${code} Odd\nContent-Length: 1\n`),
        (e: unknown) => {
          assert.ok(e instanceof InvalidStatusError, String(e));
          assert.equal(e.received, code);
          return true;
        },
      );
    }
    assert.equal(res("HTTP/1.1 100 Continue\n").status, 100);
    assert.equal(res("HTTP/1.1 599 Last\n").status, 599);
  });

  it("sends Transfer-Encoding on without a Content-Length beside it (RFC 9112 6.3)", () => {
    const r = res("HTTP/1.1 200 OK\nContent-Length: 3\nX: y\nTransfer-Encoding: chunked\n");
    assert.deepEqual(r.headers, [
      ["X", "y"],
      ["Transfer-Encoding", "chunked"],
    ]);
    assert.deepEqual(r.names, ["x", "transfer-encoding"]);
    assert.deepEqual(r.contentLengths, ["3"], "what was sent is still known");
    assert.deepEqual(responseFraming(r, "GET"), { kind: "chunked" });
  });

  it("sends a 1xx or 204 on without Content-Length or Transfer-Encoding (RFC 9110 8.6), a 304 with its length", () => {
    const noContent = res("HTTP/1.1 204 No Content\nContent-Length: 5\nTransfer-Encoding: chunked\nX: y\n");
    assert.deepEqual(noContent.headers, [["X", "y"]]);
    assert.deepEqual(noContent.names, ["x"]);
    assert.deepEqual(res("HTTP/1.1 103 Early Hints\nContent-Length: 0\nLink: </a>\n").headers, [["Link", "</a>"]]);
    assert.deepEqual(res("HTTP/1.1 304 Not Modified\nContent-Length: 5\n").headers, [["Content-Length", "5"]]);
  });
});

describe("body cursors", () => {
  it("stops a Content-Length body exactly at its end, leaving the next request", () => {
    const c = bodyCursor({ kind: "length", length: 5 });
    assert.deepEqual(c.feed(Buffer.from("abc")), { take: 3, done: false });
    assert.deepEqual(c.feed(Buffer.from("deGET /")), { take: 2, done: true });
  });

  it("follows chunked framing with extensions and trailers, byte by byte", () => {
    const body = Buffer.from("4;ext=1\r\nWiki\r\n5\r\npedia\r\n0\r\nTrailer: x\r\n\r\nNEXT");
    const c = bodyCursor({ kind: "chunked" });
    let taken = 0;
    for (let i = 0; i < body.length && !c.done; i++) taken += c.feed(body.subarray(i, i + 1)).take;
    assert.equal(body.subarray(taken).toString(), "NEXT");
  });

  it("throws BodyFramingError when a chunk is longer than its size line says", () => {
    assert.throws(() => bodyCursor({ kind: "chunked" }).feed(Buffer.from("2\r\nabc\r\n")), BodyFramingError);
    assert.throws(() => bodyCursor({ kind: "chunked" }).feed(Buffer.from("zz\r\n")), BodyFramingError);
  });
});

describe("routes", () => {
  const table = new RouteTable([
    parseRouteFlag("app.test=http://localhost:3000"),
    { ...parseRouteFlag("app.test=http://localhost:4000"), pathPrefix: "/api" },
    parseRouteFlag("*.api.test=http://localhost:5000"),
  ]);
  it("prefers the longest path prefix on an exact host", () => {
    assert.equal(table.match("app.test:8443", "/api/users")?.upstream, "http://localhost:4000");
    assert.equal(table.match("APP.test", "/apix")?.upstream, "http://localhost:3000");
  });
  it("matches wildcards one label deep, like certificates", () => {
    assert.equal(table.match("v1.api.test", "/")?.upstream, "http://localhost:5000");
    assert.equal(table.match("a.v1.api.test", "/"), undefined);
    assert.equal(hostMatches("*.api.test", "api.test"), false);
  });
  it("normalises Host values", () => {
    assert.equal(hostOf("[::1]:8443"), "::1");
    assert.equal(hostOf("App.Test.:8443"), "app.test");
    assert.ok(pathMatches("/api/", "/api?x=1"));
  });
});

describe("forwarding headers", () => {
  it("replaces a client's X-Forwarded-For, -Proto and Forwarded, and appends to Via", () => {
    const out = forwardedHeaders(
      [
        ["X-Forwarded-For", "10.0.0.1"],
        ["X-Forwarded-Proto", "http"],
        ["Forwarded", "for=10.0.0.1"],
        ["Via", "1.1 elsewhere"],
        ["Accept", "*/*"],
      ],
      { clientAddress: "::ffff:127.0.0.1", proto: "https", host: "app.test:8443", via: "1.1 switchyard-x" },
    );
    const get = (n: string): string[] => out.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);
    assert.deepEqual(get("x-forwarded-for"), ["127.0.0.1"]);
    assert.deepEqual(get("via"), ["1.1 elsewhere, 1.1 switchyard-x"]);
    assert.deepEqual(get("accept"), ["*/*"]);
    assert.deepEqual(get("x-forwarded-proto"), ["https"]);
    assert.deepEqual(get("host"), ["app.test:8443"]);
    assert.deepEqual(get("forwarded"), ['for=127.0.0.1;host="app.test:8443";proto=https']);
    assert.ok(hasLooped(out, "switchyard-x"));
  });
  it("quotes IPv6 clients in Forwarded and rewrites Host when asked", () => {
    const out = forwardedHeaders([], {
      clientAddress: "::1",
      proto: "http",
      host: "a.test",
      via: "v",
      rewriteHostTo: "localhost:3000",
    });
    assert.ok(out.some(([k, v]) => k === "Forwarded" && v.startsWith('for="[::1]"')));
    assert.deepEqual(out[0], ["Host", "localhost:3000"]);
  });
  it("builds the https redirect target from Host, TLS port, path and query", () => {
    assert.equal(httpsLocation("app.test:8443", "/x?y=1", 8443), "https://app.test:8443/x?y=1");
    assert.equal(httpsLocation("app.test", "/", 443), "https://app.test/");
    assert.equal(httpsLocation("[::1]:80", "/", 8443), "https://[::1]:8443/");
  });
});
