/**
 * One wildcard leaf per wildcard route, with the real local CA and real clients that trust only its
 * root: every name one label under `*.shop.test` is served the same `*.shop.test` leaf (Node's tls,
 * curl, openssl verify, headless Chromium loading two names without a certificate error), while
 * `*.test` and `*.localhost` routes (wildcards browsers reject), an exact route under the wildcard
 * and a name two labels deep each get a leaf of their own. Loopback only.
 */
import CHROMIUM_FLAGS from "../../harness/chromium-flags.json";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import type http from "node:http";
import path from "node:path";
import tls from "node:tls";
import { chromium, type Browser } from "playwright-core";
import {
  curl,
  echoUpstream,
  getWithPeer,
  needTools,
  nssHome,
  run,
  sClient,
  startRealProxy,
  waitForRecord,
  type RealProxy,
} from "./harness";
import { need } from "../requirements";

const CHROMIUM = "/usr/bin/chromium";

/** A GET with `servername` as SNI and Host, trusting only the root (host name checked); resolves with the leaf served. */
async function handshake(f: RealProxy, servername: string): Promise<tls.PeerCertificate> {
  const r = await getWithPeer({ port: f.port, servername, headers: { host: servername }, ca: f.rootPem, path: "/" });
  assert.equal(r.status, 200, servername);
  return r.peer;
}

describe("one wildcard leaf per wildcard route, where browsers accept it", () => {
  let f: RealProxy;
  let up: { server: http.Server; url: string };

  before(async () => {
    up = await echoUpstream();
    f = await startRealProxy([
      { host: "*.shop.test", upstream: up.url },
      { host: "api.shop.test", upstream: up.url },
      { host: "x.y.shop.test", upstream: up.url },
      { host: "*.test", upstream: up.url },
      { host: "*.localhost", upstream: up.url },
      // Raw TLS to its own upstream (nothing listens there: the request must never be forwarded).
      { host: "raw.shop.test", upstream: "https://127.0.0.1:9", passthrough: true },
    ]);
  });
  after(async () => {
    await f.close();
    up.server.close();
  });

  it("serves every name under *.shop.test the same *.shop.test leaf, verified by Node's tls", async () => {
    const a = await handshake(f, "a.shop.test");
    const b = await handshake(f, "b.shop.test");
    assert.equal(a.subjectaltname, "DNS:*.shop.test");
    assert.equal(b.fingerprint256, a.fingerprint256);
    assert.equal(tls.checkServerIdentity("b.shop.test", b), undefined);
    const rec = await waitForRecord(f.proxy, (r) => r.clientHello?.serverName === "b.shop.test");
    assert.deepEqual(rec.tls?.certificate?.sans, ["*.shop.test"]);
    assert.equal(rec.tls?.certificate?.fingerprint256, a.fingerprint256);
    assert.equal(rec.tls?.certificateNote, undefined);
  });

  it("gives *.test and *.localhost routes, an exact route and a deeper name leaves of their own", async () => {
    for (const name of ["one.test", "two.test", "one.localhost", "api.shop.test", "x.y.shop.test"]) {
      const peer = await handshake(f, name);
      assert.equal(peer.subjectaltname, `DNS:${name}`, name);
    }
  });

  it("answers curl (trusting only the root) for two names under the wildcard", async (t) => {
    if (!needTools(t, "curl")) return;
    for (const name of ["c.shop.test", "d.shop.test"]) {
      const r = await curl(f, name, ["-w", "\n%{http_code}", `https://${name}:${f.port}/wild`]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.endsWith("\n200"), r.stdout);
      assert.match(r.stdout, new RegExp(`"host":"${name.replace(/\./g, "\\.")}:${f.port}"`));
    }
  });

  it("passes openssl verify against the root for a name under it, and not two labels down", async (t) => {
    if (!needTools(t, "openssl")) return;
    const s = await sClient(f, ["-servername", "e.shop.test", "-verify_hostname", "e.shop.test", "-showcerts"]);
    assert.match(s.stdout, /Verify return code: 0 \(ok\)/, s.stdout + s.stderr);
    const pems = s.stdout.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? [];
    assert.equal(pems.length, 2, "leaf and intermediate");
    assert.equal(new X509Certificate(pems[0]!).subjectAltName, "DNS:*.shop.test");
    const leafFile = path.join(f.dir, "served-leaf.pem");
    const chainFile = path.join(f.dir, "served-intermediate.pem");
    writeFileSync(leafFile, `${pems[0]}\n`);
    writeFileSync(chainFile, `${pems[1]}\n`);
    const verify = (host: string): ReturnType<typeof run> =>
      run("openssl", ["verify", "-CAfile", f.rootFile, "-untrusted", chainFile, "-verify_hostname", host, leafFile]);
    const ok = await verify("f.shop.test");
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /: OK/);
    const deeper = await verify("g.h.shop.test");
    assert.notEqual(deeper.code, 0, "a wildcard covers one label only");
    assert.match(deeper.stdout + deeper.stderr, /hostname mismatch/);
  });

  const status = (out: string): number => Number(/^HTTP\/[\d.]+ (\d{3})/m.exec(out)?.[1]);

  for (const version of ["--http2", "--http1.1"]) {
    it(`serves another routed name the shared leaf covers on the same connection (${version}), not a 421`, async (t) => {
      if (!needTools(t, "curl")) return;
      const r = await curl(f, "web.shop.test", [
        version,
        "-i",
        "-H",
        `Host: admin.shop.test:${f.port}`,
        `https://web.shop.test:${f.port}/coalesced`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(status(r.stdout), 200, r.stdout);
      assert.match(r.stdout, new RegExp(`"host":"admin\\.shop\\.test:${f.port}"`));
    });
  }

  it("answers 421 for a name the shared leaf does not cover, and for a passthrough route's name under it", async (t) => {
    if (!needTools(t, "curl")) return;
    for (const other of ["one.test", "x.y.shop.test", "raw.shop.test"]) {
      const r = await curl(f, "web.shop.test", [
        "--http2",
        "-i",
        "-H",
        `Host: ${other}`,
        `https://web.shop.test:${f.port}/`,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(status(r.stdout), 421, `${other}: ${r.stdout}`);
    }
  });

  it("loads two names under the wildcard in headless Chromium without a certificate error", async (t) => {
    if (!need(t, existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is required for this test`)) return;
    if (!needTools(t, "certutil")) return;
    const home = nssHome(f.rootFile);
    let browser: Browser | undefined;
    try {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        env: { ...process.env, HOME: home },
        args: [...CHROMIUM_FLAGS, "--host-resolver-rules=MAP *.shop.test 127.0.0.1"],
        timeout: 30_000,
      });
      const page = await browser.newPage();
      for (const name of ["web.shop.test", "admin.shop.test"]) {
        const response = await page.goto(`https://${name}:${f.port}/page-${name}`);
        assert.equal(response?.status(), 200, name);
        const echoed = JSON.parse(await response!.text()) as { url: string; headers: Record<string, string> };
        assert.equal(echoed.url, `/page-${name}`);
        assert.equal(echoed.headers.host, `${name}:${f.port}`);
      }
      // A record is written when its connection closes; Chromium keeps connections open until it exits.
      await browser.close();
      browser = undefined;
      // Chromium reuses web.shop.test's h2 connection for admin.shop.test (the leaf covers both), and
      // the proxy serves it there: no 421, no second connection.
      const rec = await waitForRecord(
        f.proxy,
        (r) =>
          r.clientHello?.serverName === "web.shop.test" && r.requests.some((q) => q.path === "/page-admin.shop.test"),
      );
      assert.equal(rec.tls?.alpn, "h2");
      assert.deepEqual(rec.tls?.certificate?.sans, ["*.shop.test"]);
      const admin = rec.requests.find((q) => q.path === "/page-admin.shop.test");
      assert.equal(admin?.status, 200);
      assert.equal(admin?.host, `admin.shop.test:${f.port}`);
      assert.ok(
        (await f.proxy.recentRecords()).every((r) =>
          r.requests.every((q) => !q.path.startsWith("/page-") || q.status === 200),
        ),
        "no page request was answered 421 Misdirected Request (and retried)",
      );
    } finally {
      await browser?.close().catch(() => {});
      rmSync(home, { recursive: true, force: true });
    }
  });
});
