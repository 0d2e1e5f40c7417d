/**
 * Headless Debian Chromium loading https://my-awesome-service.test:PORT/ through the proxy, with
 * the real local CA's root trusted in a temp NSS database ($HOME/.pki/nssdb), and without it.
 * The name is mapped to 127.0.0.1 by --host-resolver-rules, so nothing leaves loopback.
 */
import CHROMIUM_FLAGS from "../../harness/chromium-flags.json";
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import http from "node:http";
import type net from "node:net";
import { chromium, type Browser } from "playwright-core";
import { needTools, nssHome, startRealProxy, waitForRecord, type RealProxy } from "./harness";

const CHROMIUM = "/usr/bin/chromium";
const NAME = "my-awesome-service.test";

/** Fails under CI=true, skips elsewhere, when Chromium or certutil is missing. */
function haveBrowser(t: Parameters<typeof needTools>[0]): boolean {
  if (!existsSync(CHROMIUM)) {
    if (process.env.CI === "true") throw new Error(`${CHROMIUM} is required for this test (CI=true)`);
    t.skip(`${CHROMIUM} is not installed`);
    return false;
  }
  return needTools(t, "certutil");
}

function launch(home: string): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    env: { ...process.env, HOME: home },
    args: [...CHROMIUM_FLAGS, `--host-resolver-rules=MAP ${NAME} 127.0.0.1`],
    timeout: 30_000,
  });
}

describe("headless Chromium through the proxy", () => {
  let f: RealProxy;
  let upstream: http.Server;
  const homes: string[] = [];
  const browsers: Browser[] = [];

  before(async () => {
    upstream = http.createServer((req, res) => {
      res.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      res.end(`<!doctype html><title>upstream</title><h1 id="hello">Hello from the dev server ${req.url}</h1>`);
    });
    await new Promise<void>((r) => upstream.listen(0, "127.0.0.1", r));
    const port = (upstream.address() as net.AddressInfo).port;
    f = await startRealProxy([{ host: NAME, upstream: `http://127.0.0.1:${port}` }]);
  });
  after(async () => {
    for (const b of browsers) await b.close().catch(() => {});
    await f.close();
    upstream.close();
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  });

  it("loads the page over h2 and TLS 1.3 with the root in NSS, and http:// is redirected to https", async (t) => {
    if (!haveBrowser(t)) return;
    const home = nssHome(f.rootFile);
    homes.push(home);
    const browser = await launch(home);
    browsers.push(browser);
    const page = await browser.newPage();

    const response = await page.goto(`https://${NAME}:${f.port}/trusted`);
    assert.equal(response?.status(), 200);
    assert.equal(await page.textContent("#hello"), "Hello from the dev server /trusted");
    const redirected = await page.goto(`http://${NAME}:${f.port}/plain?q=1`);
    assert.equal(page.url(), `https://${NAME}:${f.port}/plain?q=1`);
    assert.equal(redirected?.status(), 200);
    assert.equal(await page.textContent("#hello"), "Hello from the dev server /plain?q=1");
    // A record is written when its connection closes; Chromium keeps connections open until it exits.
    await browser.close();
    const rec = await waitForRecord(
      f.proxy,
      (r) => r.clientHello?.serverName === NAME && r.requests.some((q) => q.path === "/trusted"),
    );
    assert.equal(rec.tls?.alpn, "h2");
    assert.equal(rec.tls?.version, "TLSv1.3");
    assert.ok(rec.clientHello?.alpn.includes("h2"));

    const redirect = await waitForRecord(f.proxy, (r) => r.outcome.kind === "redirected");
    assert.equal(redirect.protocol, "http");
    assert.deepEqual(redirect.outcome, {
      kind: "redirected",
      status: 307,
      location: `https://${NAME}:${f.port}/plain?q=1`,
    });
  });

  it("shows Chromium's certificate error without the root, and the record says to trust the CA", async (t) => {
    if (!haveBrowser(t)) return;
    const home = nssHome();
    homes.push(home);
    const browser = await launch(home);
    browsers.push(browser);
    const page = await browser.newPage();
    // Only records of connections from here on (earlier tests failed handshakes too).
    const seen = Math.max(0, ...(await f.proxy.recentRecords()).map((r) => r.id));
    await assert.rejects(page.goto(`https://${NAME}:${f.port}/untrusted`), /net::ERR_CERT_AUTHORITY_INVALID/);
    const rec = await waitForRecord(
      f.proxy,
      (r) =>
        r.id > seen &&
        r.clientHello?.serverName === NAME &&
        r.outcome.kind === "failed" &&
        r.outcome.stage === "handshake",
    );
    assert.match(rec.outcome.kind === "failed" ? rec.outcome.explanation : "", /Trust Local CA/);
    await page.close();
  });
});
