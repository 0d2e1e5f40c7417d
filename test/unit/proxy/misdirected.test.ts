import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type http from "node:http";
import { curl, echoUpstream, getWithPeer, startProxy, type ProxyFixture } from "./harness";

describe("one route per TLS name (421 Misdirected Request)", () => {
  let f: ProxyFixture;
  let a: { server: http.Server; port: number; url: string };
  let b: { server: http.Server; port: number; url: string };
  let bHits = 0;

  before(async () => {
    a = await echoUpstream();
    b = await echoUpstream();
    b.server.on("request", () => bHits++);
    f = await startProxy([
      { host: "a.test", upstream: a.url },
      { host: "b.test", upstream: b.url },
    ]);
  });
  after(async () => {
    await f.close();
    a.server.close();
    b.server.close();
  });

  const status = (out: string): number => Number(/^HTTP\/[\d.]+ (\d{3})/m.exec(out)?.[1]);

  for (const version of ["--http1.1", "--http2"]) {
    it(`answers 421 when SNI a.test carries a request for b.test (${version}), and b's upstream sees nothing`, async () => {
      const before = bHits;
      const r = await curl(f, "a.test", [version, "-i", "-H", "Host: b.test", `https://a.test:${f.port}/secret`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(status(r.stdout), 421, r.stdout);
      assert.match(r.stdout, /set up for a\.test \(its SNI\), but the request is for b\.test/);
      assert.equal(bHits, before);
    });
  }

  it("answers 421 for an absolute-form request naming another host than the SNI", async () => {
    const before = bHits;
    const r = await curl(f, "a.test", [
      "--http1.1",
      "-i",
      "--request-target",
      `https://b.test:${f.port}/secret`,
      `https://a.test:${f.port}/`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(status(r.stdout), 421, r.stdout);
    assert.equal(bHits, before);
  });

  it("serves a request whose host matches the SNI, ignoring case, port and a trailing dot", async () => {
    const r = await curl(f, "a.test", [
      "--http1.1",
      "-i",
      "-H",
      `Host: A.Test.:${f.port}`,
      `https://a.test:${f.port}/`,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(status(r.stdout), 200, r.stdout);
    assert.match(r.stdout, new RegExp(`x-upstream-port: ${a.port}`));
  });

  it("still routes by Host when the client sent no SNI (dialled by IP address)", async () => {
    const before = bHits;
    const r = await getWithPeer({
      port: f.port,
      path: "/",
      headers: { host: "b.test" },
      ca: f.leaves.rootPem(),
      checkServerIdentity: () => undefined,
    });
    assert.equal(r.status, 200, r.body);
    assert.equal(bHits, before + 1);
  });
});
