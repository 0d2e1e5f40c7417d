/**
 * The proxy with the real local CA (a name-constrained root and intermediate created in a temp
 * dir), checked by clients that trust only that root: Node's https, curl over HTTP/1.1 and HTTP/2,
 * and openssl s_client with and without SNI. Loopback only.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import type http from "node:http";
import https from "node:https";
import { X509Certificate } from "node:crypto";
import {
  curl as curlVia,
  echoUpstream,
  getWithPeer,
  sClient,
  type run,
  needTools,
  startRealProxy,
  waitForRecord,
  type RealProxy,
} from "./harness";

describe("DevProxy with the real local CA", () => {
  let f: RealProxy;
  let up: { server: http.Server; url: string };
  const curl = (name: string, args: string[]): ReturnType<typeof run> => curlVia(f, name, args);
  const json = (s: string): { url: string; headers: Record<string, string> } =>
    JSON.parse(s.slice(s.indexOf("{"), s.lastIndexOf("}") + 1));

  before(async () => {
    up = await echoUpstream();
    f = await startRealProxy([
      { host: "my-awesome-service.test", upstream: up.url },
      { host: "*.api.test", upstream: up.url },
    ]);
  });
  after(async () => {
    await f.close();
    up.server.close();
  });

  it("serves Node's https client that trusts only the root", async () => {
    const { status, body, peer } = await getWithPeer({
      port: f.port,
      servername: "my-awesome-service.test",
      headers: { host: `my-awesome-service.test:${f.port}` },
      path: "/node?x=1",
      ca: f.rootPem,
    });
    assert.equal(status, 200);
    assert.equal(json(body).url, "/node?x=1");
    assert.equal(peer.subjectaltname, "DNS:my-awesome-service.test");
    const root = new X509Certificate(f.rootPem);
    assert.notEqual(peer.issuer.CN, root.subject.match(/CN=([^\n]+)/)?.[1], "the leaf is signed by the intermediate");
  });

  it("records a resumed TLS session as resumed, and a full handshake as not", async () => {
    // Node's https agent keeps the TLS 1.3 ticket from the first connection and offers it on the next.
    const agent = new https.Agent({ keepAlive: false, maxCachedSessions: 4 });
    const get = async (path: string): Promise<boolean> =>
      (await getWithPeer({ port: f.port, servername: "my-awesome-service.test", ca: f.rootPem, agent, path })).reused;
    assert.equal(await get("/ticket-1"), false);
    assert.equal(await get("/ticket-2"), true, "the client resumed");
    const first = await waitForRecord(f.proxy, (r) => r.requests.some((q) => q.path === "/ticket-1"));
    const second = await waitForRecord(f.proxy, (r) => r.requests.some((q) => q.path === "/ticket-2"));
    assert.equal(first.tls?.resumed, undefined);
    assert.equal(second.tls?.resumed, true);
    agent.destroy();
  });

  it("serves curl over HTTP/1.1 and HTTP/2 with only --cacert root.pem", async (t) => {
    if (!needTools(t, "curl")) return;
    const h1 = await curl("my-awesome-service.test", [
      "--http1.1",
      "-w",
      "\n%{http_version}",
      `https://my-awesome-service.test:${f.port}/one`,
    ]);
    assert.equal(h1.code, 0, h1.stderr);
    assert.ok(h1.stdout.endsWith("\n1.1"), h1.stdout);
    assert.equal(json(h1.stdout).url, "/one");
    const h2 = await curl("my-awesome-service.test", [
      "--http2",
      "-w",
      "\n%{http_version}",
      `https://my-awesome-service.test:${f.port}/two`,
    ]);
    assert.equal(h2.code, 0, h2.stderr);
    assert.ok(h2.stdout.endsWith("\n2"), h2.stdout);
    assert.equal(json(h2.stdout).url, "/two");
    const rec = await waitForRecord(f.proxy, (r) => r.tls?.alpn === "h2" && r.requests.some((q) => q.path === "/two"));
    assert.equal(rec.tls?.version, "TLSv1.3");
    assert.deepEqual(rec.tls?.certificate?.sans, ["my-awesome-service.test"]);
  });

  it("verifies with openssl s_client -verify_return_error, with SNI and without (the dialled 127.0.0.1)", async (t) => {
    if (!needTools(t, "openssl")) return;
    const withSni = await sClient(f, [
      "-servername",
      "my-awesome-service.test",
      "-verify_hostname",
      "my-awesome-service.test",
    ]);
    assert.match(withSni.stdout, /Verify return code: 0 \(ok\)/, withSni.stdout + withSni.stderr);
    assert.match(withSni.stdout, /subject=.*CN ?= ?my-awesome-service\.test/);
    const noSni = await sClient(f, ["-noservername", "-verify_ip", "127.0.0.1"]);
    assert.match(noSni.stdout, /Verify return code: 0 \(ok\)/, noSni.stdout + noSni.stderr);
    // An IP leaf carries no CN; -verify_ip passing already proves the SAN, this names it.
    const served = new X509Certificate(
      noSni.stdout.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/)![0],
    );
    assert.equal(served.subjectAltName, "IP Address:127.0.0.1");
    const rec = await waitForRecord(
      f.proxy,
      (r) => r.protocol === "tls" && r.clientHello !== undefined && r.clientHello.serverName === undefined,
    );
    assert.deepEqual(rec.tls?.certificate?.sans, ["127.0.0.1"]);
  });

  it("serves a.api.test through the wildcard route *.api.test", async (t) => {
    if (!needTools(t, "curl")) return;
    const r = await curl("a.api.test", ["-w", "\n%{http_code}", `https://a.api.test:${f.port}/wild`]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.endsWith("\n200"));
    assert.equal(json(r.stdout).headers.host, `a.api.test:${f.port}`);
    const rec = await waitForRecord(f.proxy, (x) => x.requests.some((q) => q.path === "/wild"));
    assert.equal(rec.route?.host, "*.api.test");
    assert.equal(rec.clientHello?.serverName, "a.api.test");
  });

  it("answers SNI outside the CA's constraints (example.com) with the no-route page, noting why, without crashing", async () => {
    const { status, body, peer } = await getWithPeer({
      port: f.port,
      servername: "example.com",
      headers: { host: "example.com" },
      path: "/",
      // The certificate cannot name example.com: the point is what the proxy does, not trust.
      rejectUnauthorized: false,
    });
    assert.equal(status, 404);
    assert.match(body, /No route for example\.com/);
    assert.match(body, /my-awesome-service\.test/, "the page lists the configured routes");
    assert.doesNotMatch(peer.subjectaltname ?? "", /example\.com/, "the CA never issues for example.com");
    const rec = await waitForRecord(f.proxy, (r) => r.clientHello?.serverName === "example.com");
    assert.equal(rec.outcome.kind, "no-route");
    assert.match(rec.tls?.certificateNote ?? "", /example\.com/);
    // Still alive and serving.
    const ok = await curl("my-awesome-service.test", [
      "-o",
      "/dev/null",
      "-w",
      "%{http_code}",
      `https://my-awesome-service.test:${f.port}/`,
    ]);
    assert.equal(ok.stdout, "200", ok.stderr);
  });
});
