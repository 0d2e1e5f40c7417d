import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type http from "node:http";
import { ConnectionForwarding, forwardedLines } from "../../../extension/core/proxy/http/forwarding";
import type { HeaderLine } from "../../../extension/core/proxy/http/httpHead";
import { TrustedHopError, TrustedHops } from "../../../extension/core/proxy/http/trustedHops";
import { curl, echoUpstream, startProxy, type ProxyFixture } from "./harness";

const SPOOFED = [
  "-H",
  "X-Forwarded-For: 6.6.6.6",
  "-H",
  "X-Forwarded-Proto: gopher",
  "-H",
  "X-Forwarded-Host: evil.test",
  "-H",
  'Forwarded: for=6.6.6.6;host="evil.test";proto=http',
];

describe("forwarding fields a client sent", () => {
  let f: ProxyFixture;
  let up: { server: http.Server; url: string };
  before(async () => {
    up = await echoUpstream();
    f = await startProxy([{ host: "app.test", upstream: up.url }]);
  });
  after(async () => {
    await f.close();
    up.server.close();
  });

  for (const version of ["--http1.1", "--http2"]) {
    it(`are replaced by the proxy's own, the client named alone (${version})`, async () => {
      const r = await curl(f, "app.test", [version, ...SPOOFED, `https://app.test:${f.port}/who`]);
      assert.equal(r.code, 0, r.stderr);
      const { headers } = JSON.parse(r.stdout) as { headers: Record<string, string> };
      assert.equal(headers["x-forwarded-for"], "127.0.0.1");
      assert.equal(headers["x-forwarded-proto"], "https");
      assert.equal(headers["x-forwarded-host"], `app.test:${f.port}`);
      assert.equal(headers.forwarded, `for=127.0.0.1;host="app.test:${f.port}";proto=https`);
    });
  }
});

describe("trusted hops", () => {
  const sent: HeaderLine[] = [
    ["X-Forwarded-For", "203.0.113.7"],
    ["X-Forwarded-Proto", "https"],
    ["X-Forwarded-Host", "shop.example"],
    ["Forwarded", "for=203.0.113.7"],
  ];
  const get = (out: HeaderLine[], n: string): string[] => out.filter(([k]) => k.toLowerCase() === n).map(([, v]) => v);

  it("keeps what a trusted proxy sent and appends the proxy's hop, as Caddy's trusted_proxies does", () => {
    const hops = new TrustedHops(["10.0.0.0/8", "fd00::/8"]);
    const conn = new ConnectionForwarding("::ffff:10.1.2.3", "http", "1.1 v", hops);
    const out = forwardedLines(sent, conn, "app.test");
    assert.deepEqual(get(out, "x-forwarded-for"), ["203.0.113.7, 10.1.2.3"]);
    assert.deepEqual(get(out, "x-forwarded-proto"), ["https"]);
    assert.deepEqual(get(out, "x-forwarded-host"), ["shop.example"]);
    assert.deepEqual(get(out, "forwarded"), ['for=203.0.113.7, for=10.1.2.3;host="app.test";proto=http']);
    const v6 = new ConnectionForwarding("fd12::5", "http", "1.1 v", hops);
    assert.deepEqual(get(forwardedLines(sent, v6, "app.test"), "x-forwarded-for"), ["203.0.113.7, fd12::5"]);
  });

  it("replaces what a client outside the trusted blocks sent", () => {
    const conn = new ConnectionForwarding("192.168.1.9", "http", "1.1 v", new TrustedHops(["10.0.0.0/8", "127.0.0.1"]));
    const out = forwardedLines(sent, conn, "app.test");
    assert.deepEqual(get(out, "x-forwarded-for"), ["192.168.1.9"]);
    assert.deepEqual(get(out, "x-forwarded-proto"), ["http"]);
    assert.deepEqual(get(out, "x-forwarded-host"), ["app.test"]);
    assert.deepEqual(get(out, "forwarded"), ['for=192.168.1.9;host="app.test";proto=http']);
  });

  it("refuses entries that are not an address or a CIDR block, naming the entry", () => {
    for (const bad of ["localhost", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/8x"]) {
      assert.throws(
        () => new TrustedHops([bad]),
        (e: unknown) => e instanceof TrustedHopError && e.entry === bad,
      );
    }
  });
});
